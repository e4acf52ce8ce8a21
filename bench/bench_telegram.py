"""Telegram beside Discord and Slack, in one run: a command's answer, and an event card's post.

Everything real but the platforms: `gmbot serve` in its own process on a temporary SQLite,
with a key for each front end; the platforms are the tests' fakes on loopback in this process
(tests/telegram/fake_telegram.py, tests/slack/fake_slack.py, tests/discord/fake_discord.py).

1. A command, `games` and `status`, interleaved across the three:
   * Telegram: an update POSTed to the real webhook endpoint (aiohttp, secret checked, aiogram
     parses it) until its HTTP answer (what Telegram waits for), and until the card's
     `sendMessage` reaches the fake Bot API (real aiogram client);
   * Slack: a signed `/gmbot <command>` to Bolt until its acknowledgement and until the card
     reaches `response_url` (as bench/bench_slack.py);
   * Discord: `DiscordRuntime.run_slash` until its `respond` (as bench/bench_slack.py).
2. An event card: a war asked for by a host clan, heard of by one subscribed clan on each
   platform, so each war makes one event per platform at the same moment. Each front end's
   real events consumer (`EventConsumer`, long-polling the feed) posts it with its real poster
   (aiogram `sendMessage`, slack-sdk `chat.postMessage`, py-cord `POST /channels/{id}/messages`);
   the time is from the `POST /wars` to the card's arrival at the platform's fake.

    .venv/bin/python bench/bench_telegram.py [-n 300] [--events 100] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*httpx2.*")

import aiohttp  # noqa: E402
import discord  # noqa: E402
import httpx  # noqa: E402
from aiohttp import web  # noqa: E402

from bench.bench_slack import SECRET as SLACK_SECRET  # noqa: E402
from bench.bench_slack import backend_process, discord_ctx, pct, slack_slash  # noqa: E402
from bench.docs_section import replace_section  # noqa: E402
from generated.application import application  # noqa: E402
from generated.chat.routes import ROUTES  # noqa: E402
from gmbot.chat.backend import BackendClient  # noqa: E402
from gmbot.chat.core import Core  # noqa: E402
from gmbot.chat.events import CursorStore, Deliver, EventConsumer  # noqa: E402
from gmbot.discord.api import DEFAULT_API_BASE_URL, use_api_base_url  # noqa: E402
from gmbot.discord.delivery import post_event  # noqa: E402
from gmbot.discord.runtime import DiscordRuntime  # noqa: E402
from gmbot.platforms import platform as registered  # noqa: E402
from gmbot.slack.app import build_app, web_app, web_client  # noqa: E402
from gmbot.slack.delivery import event_poster as slack_poster  # noqa: E402
from gmbot.slack.runtime import SlackRuntime  # noqa: E402
from gmbot.telegram.api import make_bot  # noqa: E402
from gmbot.telegram.delivery import event_poster as telegram_poster  # noqa: E402
from gmbot.telegram.runtime import TelegramRuntime  # noqa: E402
from gmbot.telegram.webhook import webhook_app  # noqa: E402
from tests.discord.fake_discord import FakeDiscord  # noqa: E402
from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.telegram.fake_telegram import FakeTelegram  # noqa: E402

PLATFORMS = ("telegram", "slack", "discord")
COMMANDS = ("games", "status")
GAME = 4
TG_SECRET = "bench-webhook-secret"
TG_GROUP = -1001001  # the Telegram clan's supergroup
SLACK_TEAM, SLACK_CHANNEL = "T0WOLF", "CWARS"


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


class Clans:
    """The clans of the run, set up through the backend's API with each front end's key."""

    def __init__(self, url: str, keys: dict[str, str]) -> None:
        self.http = {name: httpx.AsyncClient(base_url=url, timeout=30, headers={
            "client": registered(name).client, "x-api-key": keys[registered(name).client]}) for name in PLATFORMS}

    async def clan(self, name: str, server: str, channel: str, leader: dict[str, str]) -> None:
        reply = await self.http[name].post("/clans", json={
            "server": {"id": server, "name": f"{name} clan"}, "actor": leader,
            "channel": {"id": channel, "name": "wars"}, "name": f"{name}-hosts"})
        assert reply.status_code == 201, reply.text

    async def subscribe(self, name: str, server: str, leader: dict[str, str]) -> None:
        reply = await self.http[name].post(f"/clans/{server}/subscriptions", json={"actor": leader, "games": [GAME]})
        assert reply.status_code == 200, reply.text

    async def aclose(self) -> None:
        for http in self.http.values():
            await http.aclose()


async def measure(n: int, warmup: int, events: int) -> dict[str, Any]:
    spec = application.spec()
    clients = tuple((registered(name).client, name) for name in PLATFORMS)
    async with backend_process(clients) as (url, keys), FakeDiscord() as fake_discord, contextlib.AsyncExitStack() as stack:
        fake_tg = await FakeTelegram().start()
        stack.push_async_callback(fake_tg.stop)
        fake_slack = await FakeSlack().start()
        stack.push_async_callback(fake_slack.stop)
        use_api_base_url(fake_discord.api_url)
        stack.callback(use_api_base_url, DEFAULT_API_BASE_URL)
        backends: dict[str, BackendClient] = {}
        for name in PLATFORMS:
            client = registered(name).client
            backends[name] = BackendClient(url, keys[client], client, routes=ROUTES)
            stack.push_async_callback(backends[name].aclose)

        # -- the three front ends ---------------------------------------------------------------
        tg_bot = make_bot(fake_tg.token, fake_tg.url)
        stack.push_async_callback(tg_bot.session.close)
        telegram = TelegramRuntime(spec, backends["telegram"], tg_bot)
        tg_runner, tg_url = await serve(webhook_app(telegram, TG_SECRET))
        stack.push_async_callback(tg_runner.cleanup)
        webhook = tg_url + "/telegram/webhook"
        group = fake_tg.group(TG_GROUP, "Wolves HQ")
        ann = fake_tg.user("Ann", username="ann")
        fake_tg.members[TG_GROUP] = {ann["id"]}

        slack = SlackRuntime(spec, backends["slack"])
        stack.push_async_callback(slack.aclose)
        slack_runner, slack_url = await serve(web_app(build_app(slack, signing_secret=SLACK_SECRET, token="xoxb-bench",
                                                                api_url=fake_slack.api_url)))
        stack.push_async_callback(slack_runner.cleanup)
        slack_url += "/slack/events"

        discord_runtime = DiscordRuntime(spec, backends["discord"])
        guild = fake_discord.add_guild("Wolves", members=["alice"], channels=["wars"])
        host = fake_discord.add_guild("Hosts", members=["hank"], channels=["wars"])
        alice = guild.member("alice")
        discord_guild = SimpleNamespace(id=guild.id, name=guild.name)
        discord_author = SimpleNamespace(id=alice.id, name=alice.name, display_name=alice.name, guild=discord_guild)
        results: dict[str, Any] = {"commands": {c: {k: [] for k in ("tg_answer", "tg_card", "slack_ack", "slack_card",
                                                                     "discord")} for c in COMMANDS}}
        async with aiohttp.ClientSession() as http:
            counter = 0

            async def telegram_command(text: str) -> tuple[float, float]:
                before = len(fake_tg.sent(TG_GROUP))
                update = fake_tg.message(group, ann, text)
                started = time.perf_counter()
                async with http.post(webhook, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}) as r:
                    await r.read()
                    assert r.status == 200
                answered = time.perf_counter()
                call = (await fake_tg.wait_for(lambda c: c.method == "sendMessage" and str(c.data["chat_id"]) == str(TG_GROUP),
                                               count=before + 1))[before]
                return (answered - started) * 1000, (call.at - started) * 1000

            async def discord_command(name: str, interaction_id: int) -> float:
                ctx = discord_ctx(discord_guild, discord_author, interaction_id)  # each its own: no repeat
                started = time.perf_counter()
                await discord_runtime.run_slash(ctx, name, {"limit": None, "offset": None} if name == "games"
                                                else {"limit": None})
                assert ctx.respond.await_count == 1
                return (time.perf_counter() - started) * 1000

            # a clan on each platform, as its users would set it up
            await telegram_command("/setup -name Wolves")
            counter += 1
            await slack_slash(http, fake_slack, slack_url, "setup -name Wolves", f"bench.{counter}")
            setup = discord_ctx(discord_guild, discord_author, 1)
            setup.channel = SimpleNamespace(id=guild.channel().id, name="wars")  # where its event cards go
            await discord_runtime.run_slash(setup, "setup", {"name": "Wolves", "location": None, "language": None})
            for i in range(warmup + n):
                for name in COMMANDS:
                    tg_answer, tg_card = await telegram_command(f"/{name}")
                    counter += 1
                    slack_ack, slack_card = await slack_slash(http, fake_slack, slack_url, name, f"bench.{counter}")
                    discord_ms = await discord_command(name, 10_000 + counter)
                    if i >= warmup:
                        r = results["commands"][name]
                        for key, value in (("tg_answer", tg_answer), ("tg_card", tg_card), ("slack_ack", slack_ack),
                                           ("slack_card", slack_card), ("discord", discord_ms)):
                            r[key].append(value)
                fake_tg.calls.clear()
                fake_slack.calls.clear()

        # -- event cards: one war, one event on each platform ----------------------------------------
        clans = Clans(url, keys)
        stack.push_async_callback(clans.aclose)
        # the clans the commands set up hear of the wars of a host clan
        await clans.clan("discord", str(host.id), str(host.channel().id), {"id": str(host.owner.id), "name": "hank"})
        await clans.subscribe("telegram", str(TG_GROUP), {"id": str(ann["id"]), "name": "Ann"})
        await clans.subscribe("slack", SLACK_TEAM, {"id": "UALICE", "name": "alice"})
        await clans.subscribe("discord", str(guild.id), {"id": str(alice.id), "name": alice.name})
        discord_client = discord.Client(intents=discord.Intents.none())
        await discord_client.login(fake_discord.token)  # REST only: posting needs no gateway
        stack.push_async_callback(discord_client.close)

        async def one_token(team: str) -> str | None:
            return "xoxb-bench"

        posters: dict[str, Deliver] = {
            "telegram": telegram_poster(tg_bot),
            "slack": slack_poster(one_token, web_client(None, fake_slack.api_url, retry_rate_limits=False)),
            "discord": lambda event, card: post_event(discord_client, event, card),
        }
        # each platform's arrivals, counted on its fake's own clock
        arrivals: dict[str, Callable[[], list[float]]] = {
            "telegram": lambda: [c.at for c in fake_tg.of("sendMessage") if c.failed is None],
            "slack": lambda: [c.at for c in fake_slack.calls if c.method == "chat.postMessage"],
            "discord": lambda: [c.at for c in fake_discord.find_calls("POST", rf"/channels/{guild.channel().id}/messages")],
        }
        clocks = {"telegram": time.perf_counter, "slack": time.perf_counter, "discord": time.monotonic}
        posted: dict[str, list[float]] = {name: [] for name in PLATFORMS}
        with tempfile.TemporaryDirectory(prefix="gmbot-bench-events-") as tmp:
            tasks = []
            for name in PLATFORMS:
                core = Core(spec, backends[name], name)
                cursor = CursorStore(Path(tmp) / name)
                cursor.save(await newest(clans.http[name]))
                consumer = EventConsumer(core, backends[name], cursor, posters[name], wait=2)  # short: the backend stops soon after
                tasks.append(asyncio.create_task(consumer.run()))
            await asyncio.sleep(0.5)  # every consumer is in its long poll
            body = {"server": {"id": str(host.id), "name": "Hosts"}, "actor": {"id": str(host.owner.id), "name": "hank"},
                    "players": [{"id": str(host.owner.id), "name": "hank"}], "game": GAME}
            for i in range(events + 5):
                before = {name: len(arrivals[name]()) for name in PLATFORMS}
                asked = {name: clocks[name]() for name in PLATFORMS}
                reply = await clans.http["discord"].post("/wars", json=body)
                assert reply.status_code == 201, reply.text
                for name in PLATFORMS:
                    deadline = time.monotonic() + 20
                    while len(arrivals[name]()) <= before[name]:
                        assert time.monotonic() < deadline, f"no {name} card for war {i}"
                        await asyncio.sleep(0.0005)
                    if i >= 5:  # the first few warm up
                        posted[name].append((arrivals[name]()[before[name]] - asked[name]) * 1000)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        results["events"] = posted
    return results


async def newest(http: httpx.AsyncClient) -> int:
    after = 0
    while (page := (await http.get("/events", params={"after": after, "limit": 100})).json())["items"]:
        after = page["next"]
    return int(after)


def report(results: dict[str, Any], n: int, events: int) -> str:
    med = statistics.median
    lines = [
        "## Telegram beside Discord and Slack",
        "",
        "`bench/bench_telegram.py`: the three front ends in one run, against one `gmbot serve` (its own",
        "process, SQLite) and the tests' fake platforms on loopback. A command: Telegram's webhook",
        "(an update POSTed with its secret to the real endpoint, until the HTTP answer Telegram waits",
        "for, and until the card's `sendMessage` reaches the fake Bot API through aiogram); Slack's",
        "signed slash command (until Bolt's acknowledgement, and until the card reaches",
        "`response_url`); Discord's `run_slash` until its `respond` (a stand-in interaction: no HTTP",
        f"and no gateway, so the lower bound of Discord's path). Interleaved, {n} of each after a",
        "warm-up. Times in ms.",
        "",
        "| command | Telegram answer p50 | Telegram answer p99 | Telegram card p50 | Telegram card p99 | Slack ack p50 | Slack ack p99 | Slack card p50 | Slack card p99 | Discord p50 | Discord p99 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["commands"].items():
        cells = []
        for key in ("tg_answer", "tg_card", "slack_ack", "slack_card", "discord"):
            cells += [f"{med(r[key]):.2f}", f"{pct(r[key], 0.99):.2f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ratios = ", ".join(f"{name} {med(r['tg_card']) / med(r['slack_card']):.2f}x Slack, "
                       f"{med(r['tg_card']) / med(r['discord']):.2f}x Discord" for name, r in results["commands"].items())
    posted = results["events"]
    lines += [
        "",
        f"Telegram card / other paths, medians: {ratios}.",
        "",
        f"Event cards: {events} wars, each heard of by one clan on each platform, so each makes one",
        "event per platform at once; each front end's real events consumer (long-polling the feed)",
        "posts its card with its real poster. Time from `POST /wars` to the card's arrival at the",
        "platform's fake, in ms (with 100 wars the p99 is the slowest):",
        "",
        "| platform | p50 | p99 | max |",
        "|---|---|---|---|",
    ]
    for name in PLATFORMS:
        times = posted[name]
        lines.append(f"| {name} | {med(times):.2f} | {pct(times, 0.99):.2f} | {max(times):.2f} |")
    lines += [
        "",
        f"Telegram / Discord, medians: {med(posted['telegram']) / med(posted['discord']):.2f}x; "
        f"Telegram / Slack: {med(posted['telegram']) / med(posted['slack']):.2f}x.",
        f"Machine: Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs shared with other jobs (load average {os.getloadavg()[0]:.1f} at the end).",
        "Run: `.venv/bin/python bench/bench_telegram.py --write` (`make bench` runs it with the others).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="commands of each kind on each platform")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--events", type=int, default=100, help="wars, each one event per platform")
    parser.add_argument("--write", action="store_true", help="update the section of docs/benchmarks.md")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    section = report(asyncio.run(measure(args.n, args.warmup, args.events)), args.n, args.events)
    print(section)
    if args.write:
        replace_section("## Telegram beside Discord and Slack", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
