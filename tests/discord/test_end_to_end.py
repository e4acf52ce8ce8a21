"""End to end: `gmbot bot` (py-cord) against the fake Discord, the real backend over loopback,
its database behind; and the chat core on that backend where no platform is involved."""

from __future__ import annotations

import asyncio
import socket
import time

import httpx
import pytest

from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.markup import plain
from gmbot.chat.request import HttpRequest
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.platforms import platform
from gmbot.server.local import LocalBackend
from gmbot.spec.model import BotSpec
from tests.chat.fakes import ROUTES

from .fake_discord import Guild
from .stage import WAR_GAME, Stage, latest_event, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

DISCORD_CLIENT = platform("discord").client  # whose key the in-process backend mints first
RED = 0xE74C3C


def a_server() -> Invocation:
    """Someone in a server of their own (the backend is shared by the tests of a run)."""
    server = str(time.time_ns())
    return Invocation("discord", author=Person("1001", "alice"), server=Place(server, "Wolves"),
                      channel=Place("77", "wars"), id=f"m{server}")


def requests_in(s: Stage, guild: Guild) -> int:
    return len([m for m in s.discord.posted(guild.channel("wars")) if title(m) == "NEW WAR REQUEST"])


async def test_problems_reach_chat_users_in_plain_words(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    lonely = d.add_guild("Lonely", members=["dora"], channels=["wars"])  # a server with no clan
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    await d.say(lonely, "dora", "gmbot status")
    no_clan = (await d.wait_for_message(lonely.channel()))["embeds"][0]
    assert "set one up first (\\`gmbot setup\\`)" in no_clan["description"]  # the backend said (setupClan)
    await d.say(wolves, "bob", f"gmbot promote -members <@{wolves.member('alice').id}>", wolves.channel("general"))
    denied = (await d.wait_for_message(wolves.channel("general")))["embeds"][0]  # bob is a plain Member
    assert denied["color"] == RED and denied["title"]
    assert "\\`gmbot promote\\` needs the role Leader" in denied["description"]
    await d.say(wolves, "alice", "gmbot war -war zzzz", wolves.channel("general"))
    missing = (await d.wait_for_message(wolves.channel("general"), 2))["embeds"][0]
    assert missing["color"] == RED and "zzzz" in missing.get("description", "") + missing["title"]


async def test_the_events_feed_goes_on_where_it_was_after_a_restart(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    for n in (1, 2):  # a war asked for, seen by Bears; the bot stops; a new process starts
        await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                    wolves.channel("general"))
        await d.wait_for_message(bears.channel("wars"), n, where=lambda m: title(m) == "NEW WAR REQUEST")
        await s.stop_bots()
        if n == 1:
            await s.start_bot()  # only the cursor file is shared with the first
    assert requests_in(s, bears) == 2
    # the first was not even sent again (Discord would drop a repeated nonce: count the posts)
    posts = d.find_calls("POST", rf"/channels/{bears.channel('wars').id}/messages",
                         where=lambda c: str(c.body.get("nonce")).startswith("gmbot-ev-"))  # events' posts
    assert len(posts) == 2, [c.body.get("nonce") for c in posts]
    assert (s.tmp / "events.cursor").read_text() == str(await latest_event(s.backend))


async def test_the_events_long_poll_wakes_up(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    await asyncio.sleep(0.3)  # the bot is waiting on the feed
    started = time.perf_counter()
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                wolves.channel("general"))
    await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "NEW WAR REQUEST")
    assert time.perf_counter() - started < 2


async def test_bot_metrics_count_outcomes_and_time_backend_calls(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await s.start_bot("--health-port", str(port))
    await d.reply_to(await d.slash(wolves, "alice", "setup", name="Wolves"))
    await d.say(wolves, "alice", "gmbot createwar -game nope")  # a usage error: no backend call
    await d.wait_for_message(wolves.channel(), 2)
    async with httpx.AsyncClient() as http:
        text = (await http.get(f"http://127.0.0.1:{port}/metrics")).text
    assert 'gmbot_bot_commands_total{command="setup",outcome="reply",platform="discord"} 1.0' in text
    assert 'gmbot_bot_commands_total{command="createwar",outcome="usage",platform="discord"} 1.0' in text
    assert 'gmbot_bot_backend_request_seconds_count{operation="setupClan",status="201"} 1.0' in text
    assert "createWar" not in text


# -- the core on the real backend: nothing of Discord in these ----------------------------------
async def test_core_sends_request_id_and_idempotency_key(spec: BotSpec, backend: LocalBackend) -> None:
    client = BackendClient(backend.url, backend.api_key, DISCORD_CLIENT, routes=ROUTES)
    core = Core(spec, client, "discord")
    inv = a_server()
    first = await core.run_prefix("setup", "-name Wolves", inv)
    again = await core.run_prefix("setup", "-name Wolves", inv)  # a retry of the same message
    assert first.status == again.status == 201 and first.body == again.body
    health = await client.call(HttpRequest("getHealth", "GET", "/health"), request_id="trace-me-123")
    assert health.ok and health.request_id == "trace-me-123"
    await client.aclose()


async def test_a_validation_problem_becomes_the_options_rule(spec: BotSpec, backend: LocalBackend,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    # A spec bounded more loosely than the API (`gmbot generate` refuses it; the runtime copes):
    # the backend's validation 400 becomes the option's rule, its own words go to the log.
    data = spec.model_dump(mode="json")
    status = next(c for c in data["commands"] if c["name"] == "status")
    status["options"][0]["max"] = 500
    loose = BotSpec.model_validate(data)
    client = BackendClient(backend.url, backend.api_key, DISCORD_CLIENT, routes=ROUTES)
    inv = a_server()
    try:
        core = Core(loose, client, "discord")
        assert (await core.run_prefix("setup", "-name Wolves", inv)).status == 201
        caplog.set_level("WARNING", logger="gmbot.chat.core")
        refused = await core.run_prefix("status", "-limit 300", inv)
    finally:
        await client.aclose()
    assert refused.card is not None
    assert plain(refused.card.title) == "Not accepted" and plain(refused.card.description) == "-limit must be at most 100"
    assert plain(refused.card.footer).startswith("request id ")
    assert "300 is greater than the maximum of 100 - query parameter 'limit'" in caplog.text
