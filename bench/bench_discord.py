"""The Discord side under load: event posts past a rate-limited channel, and memory per card.

1. Rate limit. The real backend (in-process, SQLite) and the fake Discord
   (tests/discord/fake_discord.py, in-process); 20 clans, 19 subscribed to a game. One war
   request makes 19 `war.requested` events; the events consumer posts them through
   py-cord (`gmbot.discord.delivery.post_event`, the bot's path). In the "429" rounds the
   fake answers every post to one clan's channel with Discord's 429 (retry_after 1 s) for
   10 s. Measured: for the 18 other clans, seconds from the war request to their post;
   per round the median and the slowest, then the median over rounds. Both lane modes in
   the same run: `lanes` (one per channel, the bot's) and `in order` (one event after the
   other: what the bot did before, and what the playground does).
2. Memory. The fake in a child process (its own memory does not count); the bot logged
   in, posting 10,000 `war.ended` cards (three buttons each) through `post_event`, eight
   at a time. Measured with tracemalloc after a full collection, every 2,000 cards: the
   bytes py-cord and gmbot hold, and the Views py-cord keeps. Two variants in the same
   run: the bot's (`View(store=False)`) and the previous one (`View(timeout=None)`, stored).

    .venv/bin/python bench/bench_discord.py [--rounds 3] [--cards 10000] [--only limit|memory]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from typing import Any

from gmbot.platforms import platform as registered

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*httpx2.*")

import discord  # noqa: E402
import httpx  # noqa: E402

from generated.application import application  # noqa: E402
from gmbot.chat.backend import BackendClient  # noqa: E402
from gmbot.chat.core import Core  # noqa: E402
from gmbot.chat.events import CursorStore, EventConsumer  # noqa: E402
from gmbot.discord import runtime as discord_runtime  # noqa: E402
from gmbot.discord.api import use_api_base_url  # noqa: E402
from gmbot.discord.delivery import post_event  # noqa: E402
from gmbot.server.local import local_backend  # noqa: E402
from tests.discord.fake_discord import FakeDiscord  # noqa: E402

GAME = 4
CLANS = 20
LIMITED_FOR = 10.0


# -- 1. a rate-limited channel ------------------------------------------------------------------
async def rate_limit(rounds: int) -> dict[str, Any]:
    spec = application.spec()
    async with local_backend(application, registered("discord").client) as live, FakeDiscord() as fake:
        use_api_base_url(fake.api_url)
        guilds = [fake.add_guild(f"Clan{i}", members=[f"leader{i}"], channels=["wars"]) for i in range(CLANS)]
        headers = {"client": registered("discord").client, "x-api-key": live.api_key}
        async with httpx.AsyncClient(base_url=live.url, headers=headers, timeout=30) as http:
            for i, guild in enumerate(guilds):
                leader = guild.member(f"leader{i}")
                actor = {"id": str(leader.id), "name": leader.name}
                answer = await http.post("/clans", json={
                    "server": {"id": str(guild.id), "name": guild.name}, "actor": actor,
                    "channel": {"id": str(guild.channel().id), "name": "wars"}, "name": guild.name})
                assert answer.status_code == 201, answer.text
                if i:
                    answer = await http.post(f"/clans/{guild.id}/subscriptions", json={"actor": actor, "games": [GAME]})
                    assert answer.status_code == 200, answer.text
            bot = discord.Client(intents=discord.Intents.none())
            await bot.login(fake.token)  # REST only: posting needs no gateway
            backend = BackendClient(live.url, live.api_key, registered("discord").client, routes=application.route_table())
            core = Core(spec, backend, "discord")
            results: dict[str, dict[str, list[float]]] = {}
            with tempfile.TemporaryDirectory() as tmp:
                for n in range(-1, rounds):  # round -1 warms up (imports, pools, caches): not counted
                    for mode in ("lanes", "in order"):
                        for limited in (False, True):
                            name = f"{mode}, {'429 on one channel' if limited else 'no 429'}"
                            cursor = CursorStore(Path(tmp) / f"{n}-{mode}-{limited}")
                            cursor.save(await latest(http))
                            consumer = EventConsumer(core, backend, cursor, lambda e, c: post_event(bot, e, c),
                                                     in_order=mode == "in order", wait=1)
                            task = asyncio.create_task(consumer.run())
                            times = await one_war(fake, http, guilds, limited)
                            task.cancel()
                            with contextlib.suppress(asyncio.CancelledError):
                                await task
                            if n < 0:
                                continue
                            entry = results.setdefault(name, {"median": [], "slowest": []})
                            entry["median"].append(statistics.median(times))
                            entry["slowest"].append(max(times))
                            print(f"round {n + 1} {name}: median {statistics.median(times):.2f} s, "
                                  f"slowest {max(times):.2f} s", file=sys.stderr)
            await backend.aclose()
            await bot.close()
    return {name: {k: statistics.median(v) for k, v in entry.items()} for name, entry in results.items()}


async def latest(http: httpx.AsyncClient) -> int:
    after = 0
    while (page := (await http.get("/events", params={"after": after, "wait": 0, "limit": 100})).json())["items"]:
        after = page["next"]
    return after


async def one_war(fake: FakeDiscord, http: httpx.AsyncClient, guilds: list[Any], limited: bool) -> list[float]:
    """Seconds from the war request to each unlimited clan's post (the limited one waits too)."""
    host, victim, others = guilds[0], guilds[1], guilds[2:]
    if limited:
        fake.fail("POST", rf"/channels/{victim.channel().id}/messages", 429, for_seconds=LIMITED_FOR, retry_after=1.0)
    mark = fake.mark()
    leader = host.members[next(iter(host.members))]
    started = time.monotonic()
    answer = await http.post("/wars", json={
        "server": {"id": str(host.id), "name": host.name}, "actor": {"id": str(leader.id), "name": leader.name},
        "players": [{"id": str(leader.id), "name": leader.name}], "game": GAME, "duration": 1})
    assert answer.status_code == 201, answer.text

    def posted(guild: Any) -> list[Any]:
        return fake.find_calls("POST", rf"/channels/{guild.channel().id}/messages", since=mark,
                               where=lambda c: c.status == 200)

    await fake.wait_until(lambda: all(posted(g) for g in [victim, *others]), within=60, what="every post")
    fake.heal()
    return [posted(g)[0].at - started for g in others]


# -- 2. memory per card with buttons ------------------------------------------------------------
CHILD = """
import asyncio, json, sys
sys.path.insert(0, {root!r})
from tests.discord.fake_discord import FakeDiscord
async def main():
    async with FakeDiscord() as fake:
        guild = fake.add_guild("Wolves", channels=[f"c{{i}}" for i in range(8)])
        print(json.dumps({{"api": fake.api_url, "token": fake.token,
                          "channels": [c.id for c in guild.channels.values()]}}), flush=True)
        await asyncio.Event().wait()
asyncio.run(main())
"""


def stored_view_of(card: Any) -> discord.ui.View | None:
    """The previous `view_of`: a View py-cord stores (and keeps) for every card."""
    buttons = [b for b in card.buttons if b.custom_id]
    if not buttons:
        return None
    view = discord.ui.View(timeout=None)
    for button in buttons[:25]:
        view.add_item(discord.ui.Button(label=button.label[:80], custom_id=button.custom_id))
    return view


async def memory(cards: int, step: int) -> dict[str, list[tuple[int, float, int]]]:
    child = subprocess.Popen(  # noqa: ASYNC220 (started once, before measuring)
        [sys.executable, "-c", CHILD.format(root=str(ROOT))], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        info = json.loads(child.stdout.readline())  # the child is up once it has printed this
        use_api_base_url(info["api"])
        spec = application.spec()
        core = Core(spec, BackendClient("http://127.0.0.1:9", "k", registered("discord").client, routes=application.route_table()), "discord")
        results = {}
        original = discord_runtime.view_of
        for name, view_of in (("View(store=False) (now)", original), ("stored View (before)", stored_view_of)):
            discord_runtime.view_of = view_of
            results[name] = await post_cards(core, info, cards, step)
        discord_runtime.view_of = original
        return results
    finally:
        child.terminate()
        child.wait()


async def post_cards(core: Core, info: dict[str, Any], cards: int, step: int) -> list[tuple[int, float, int]]:
    bot = discord.Client(intents=discord.Intents.none())
    await bot.login(info["token"])
    channels = info["channels"]

    def event(i: int) -> dict[str, Any]:
        war = {"id": f"w{i}", "game": {"name": "Mini Militia"}, "host": {"server": {"name": "Wolves"}},
               "opponent": {"server": {"name": "Bears"}}}
        return {"id": i, "type": "war.ended", "serverId": "1", "channelId": str(channels[i % len(channels)]),
                "data": {"war": war}}

    async def post_range(start: int, stop: int) -> None:
        queue = list(range(start, stop))

        async def worker() -> None:
            while queue:
                i = queue.pop()
                e = event(i)
                card = core.render_event(e)
                assert card is not None and card.buttons
                await post_event(bot, e, card)

        await asyncio.gather(*(worker() for _ in range(len(channels))))

    await post_range(0, 200)  # warm-up: imports, caches, pooled connections
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    points: list[tuple[int, float, int]] = [(0, 0.0, len(bot._connection._view_store._views))]
    for done in range(step, cards + 1, step):
        await post_range(200 + done - step, 200 + done)
        gc.collect()
        held = (tracemalloc.get_traced_memory()[0] - base) / 1e6
        points.append((done, held, len(bot._connection._view_store._views)))
        print(f"{done} cards: +{held:.2f} MB, {points[-1][2]} stored view items", file=sys.stderr)
    tracemalloc.stop()
    await bot.close()
    return points


def cpu() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                import os

                return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    return platform.machine()


# -- report ---------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--step", type=int, default=2_000)
    parser.add_argument("--only", choices=["limit", "memory"])
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    print(f"# Python {platform.python_version()}, py-cord {discord.__version__}, {cpu()}; "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    if args.only != "memory":
        limit = asyncio.run(rate_limit(args.rounds))
        print(f"\n## Other clans' event posts while one channel answers 429 for {LIMITED_FOR:g} s "
              f"({CLANS - 2} clans, median of {args.rounds} rounds)\n")
        print("| mode | no 429: median / slowest (s) | 429 on one channel: median / slowest (s) | ratio (slowest) |")
        print("|---|---|---|---|")
        for mode in ("lanes", "in order"):
            free, limited = limit[f"{mode}, no 429"], limit[f"{mode}, 429 on one channel"]
            print(f"| {mode} | {free['median']:.3f} / {free['slowest']:.3f} | "
                  f"{limited['median']:.3f} / {limited['slowest']:.3f} | {limited['slowest'] / free['slowest']:.2f} |")
    if args.only != "limit":
        mem = asyncio.run(memory(args.cards, args.step))
        print("\n## Memory held after posting cards with three buttons (tracemalloc, MB above the start)\n")
        names = list(mem)
        print("| cards | " + " | ".join(f"{n}: MB (stored items)" for n in names) + " |")
        print("|---|" + "---|" * len(names))
        for row in zip(*(mem[n] for n in names), strict=True):
            print(f"| {row[0][0]} | " + " | ".join(f"{mb:.2f} ({items})" for _, mb, items in row) + " |")


if __name__ == "__main__":
    main()
