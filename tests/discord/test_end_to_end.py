"""Fake Discord contexts -> the real backend over loopback -> database -> embeds."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from generated.application import application
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.chat.request import HttpRequest
from gmbot.discord.runtime import DiscordRuntime
from gmbot.platforms import platform
from gmbot.server.local import LocalBackend, local_backend
from gmbot.spec.model import BotSpec
from tests.chat.fakes import ROUTES
from tests.discord.fakes import FakeGuild, member, prefix_ctx, sent_embeds, slash_ctx

DISCORD_CLIENT = platform("discord").client  # whose key the in-process backend mints first


@pytest.fixture
async def live() -> AsyncIterator[LocalBackend]:
    async with local_backend(application, "DISCORD-BFF") as backend:
        yield backend


@pytest.fixture
async def runtime(spec: BotSpec, live: LocalBackend) -> AsyncIterator[DiscordRuntime]:
    client = BackendClient(live.url, live.api_key, DISCORD_CLIENT, routes=ROUTES)
    yield DiscordRuntime(spec, client)
    await client.aclose()


def clans() -> tuple[FakeGuild, FakeGuild]:
    wolves = FakeGuild(111 << 22, "Wolves", [member(1001, "alice"), member(1002, "bob")])
    bears = FakeGuild(222 << 22, "Bears", [member(2001, "bruno"), member(2002, "carl")])
    return wolves, bears


async def slash(runtime: DiscordRuntime, guild: FakeGuild, user_id: int, command: str, **options: Any) -> dict[str, Any]:
    ctx = slash_ctx(guild, guild.get_member(user_id), interaction_id=time.perf_counter_ns())
    await runtime.run_slash(ctx, command, options)
    # a backend slower than `defer_after` (a loaded machine) is deferred and followed up
    return sent_embeds(ctx.followup.send if ctx.defer.called else ctx.respond)[0]


async def prefix(runtime: DiscordRuntime, guild: FakeGuild, user_id: int, name: str, args: str) -> dict[str, Any]:
    mentions = [m for m in guild.members.values() if f"<@{m.id}>" in args]
    ctx = prefix_ctx(guild, guild.get_member(user_id), mentions, message_id=time.perf_counter_ns())
    await runtime.run_prefix(ctx, name, args)
    return sent_embeds(ctx.send)[0]


async def setup_two_clans(runtime: DiscordRuntime) -> tuple[FakeGuild, FakeGuild]:
    wolves, bears = clans()
    assert (await slash(runtime, wolves, 1001, "setup", name="Wolves", location=None, language=None))["title"] == "Welcome, Wolves!"
    assert (await prefix(runtime, bears, 2001, "setup", "-name Bears -location Europe"))["title"] == "Welcome, Bears!"
    assert (await prefix(runtime, bears, 2001, "add", "-games 4,5"))["title"] == "Subscribed games (2)"
    return wolves, bears


async def test_a_war_through_slash_and_prefix_commands(runtime: DiscordRuntime) -> None:
    wolves, bears = await setup_two_clans(runtime)
    created = await prefix(runtime, wolves, 1001, "createwar", "-players <@1001> <@1002> -game 4 -duration 12 -type ft3")
    war_id = created["footer"]["text"].split()[-1]
    assert created["title"] == f"War request {war_id} created"
    accepted = await slash(runtime, bears, 2001, "accept", war=war_id, players="<@2001> <@2002>")
    assert accepted["title"] == f"War {war_id}: Wolves vs Bears" and "ongoing" in accepted["description"]
    status = await prefix(runtime, wolves, 1002, "wars", "")
    assert any(f["name"] == f"{war_id} vs Bears" for f in status["fields"])
    # the database remembers: read the war back through the API
    shown = await slash(runtime, bears, 2002, "war", war=war_id)
    assert {f["name"]: f["value"] for f in shown["fields"]}["Bears"] == "bruno, carl"


async def test_problem_json_from_the_real_backend(runtime: DiscordRuntime) -> None:
    wolves, _ = await setup_two_clans(runtime)
    denied = await prefix(runtime, wolves, 1002, "promote", "-members <@1001>")  # bob is a plain Member
    assert denied["color"] == 0xE74C3C and denied["title"] and denied.get("description")
    missing = await prefix(runtime, wolves, 1001, "war", "-war zzzz")
    assert missing["color"] == 0xE74C3C and "zzzz" in (missing.get("description", "") + missing["title"])


async def test_backend_stopped_gives_an_error_embed_within_3_seconds(spec: BotSpec) -> None:
    async with local_backend(application, "DISCORD-BFF") as live:
        url, key = live.url, live.api_key
    client = BackendClient(url, key, DISCORD_CLIENT, routes=ROUTES)
    wolves, _ = clans()
    started = time.perf_counter()
    embed = await slash(DiscordRuntime(spec, client), wolves, 1001, "status", limit=None)
    assert time.perf_counter() - started < 3
    assert embed["title"] == "Service unavailable"
    await client.aclose()


async def test_events_consumer_survives_a_restart(runtime: DiscordRuntime, tmp_path: Path) -> None:
    wolves, _ = await setup_two_clans(runtime)
    posted: list[tuple[int, str, str]] = []

    async def deliver(event: Any, card: Any) -> None:
        posted.append((event["id"], event["channelId"], card.title))

    def consumer() -> EventConsumer:  # a fresh process: only the cursor file is shared
        return EventConsumer(runtime.core, runtime.backend, CursorStore(tmp_path / "cursor"), deliver, wait=0)

    await prefix(runtime, wolves, 1001, "createwar", "-players <@1001> -game 4")
    assert await consumer().poll() == 1
    assert posted[0][1:] == ("77", "NEW WAR REQUEST")
    await prefix(runtime, wolves, 1001, "createwar", "-players <@1002> -game 5")
    restarted = consumer()
    assert await restarted.poll() == 1 and await restarted.poll() == 0
    assert len(posted) == 2 and posted[0][0] < posted[1][0]
    assert (tmp_path / "cursor").read_text() == str(posted[1][0])


async def test_events_long_poll_wakes_up(runtime: DiscordRuntime, tmp_path: Path) -> None:
    import asyncio

    wolves, _ = await setup_two_clans(runtime)
    posted: list[str] = []

    async def deliver(event: Any, card: Any) -> None:
        posted.append(card.title)

    feed = EventConsumer(runtime.core, runtime.backend, CursorStore(tmp_path / "c"), deliver, wait=5)
    poll = asyncio.create_task(feed.poll())
    await asyncio.sleep(0.3)
    started = time.perf_counter()
    await prefix(runtime, wolves, 1001, "createwar", "-players <@1001> -game 4")
    assert await poll == 1 and posted == ["NEW WAR REQUEST"]
    assert time.perf_counter() - started < 2


async def test_core_sends_request_id_and_idempotency_key(spec: BotSpec, live: LocalBackend) -> None:
    client = BackendClient(live.url, live.api_key, DISCORD_CLIENT, routes=ROUTES)
    core = Core(spec, client, "discord")
    wolves, _ = clans()
    ctx = DiscordRuntime.invocation(wolves, SimpleNamespace(id=77, name="wars"), wolves.get_member(1001), 4242)
    first = await core.run_prefix("setup", "-name Wolves", ctx)
    again = await core.run_prefix("setup", "-name Wolves", ctx)  # a retry of the same message
    assert first.status == again.status == 201 and first.body == again.body
    health = await client.call(HttpRequest("getHealth", "GET", "/health"), request_id="trace-me-123")
    assert health.ok and health.request_id == "trace-me-123"
    await client.aclose()


async def test_problems_reach_chat_users_in_plain_words(runtime: DiscordRuntime, spec: BotSpec, live: LocalBackend,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    wolves, _ = await setup_two_clans(runtime)
    lonely = FakeGuild(333 << 22, "Lonely", [member(3001, "dora")])
    no_clan = await prefix(runtime, lonely, 3001, "status", "")
    assert "set one up first (\\`gmbot setup\\`)" in no_clan["description"]  # the backend said (setupClan)
    denied = await prefix(runtime, wolves, 1002, "promote", "-members <@1001>")
    assert "\\`gmbot promote\\` needs the role Leader" in denied["description"]
    # A spec bounded more loosely than the API (`gmbot generate` refuses it; the runtime copes):
    # the backend's validation 400 becomes the option's rule, its own words go to the log.
    data = spec.model_dump(mode="json")
    status = next(c for c in data["commands"] if c["name"] == "status")
    status["options"][0]["max"] = 500
    loose = BotSpec.model_validate(data)
    client = BackendClient(live.url, live.api_key, DISCORD_CLIENT, routes=ROUTES)
    try:
        caplog.set_level("WARNING", logger="gmbot.chat.core")
        refused = await prefix(DiscordRuntime(loose, client), wolves, 1001, "status", "-limit 300")
    finally:
        await client.aclose()
    assert refused["title"] == "Not accepted" and refused["description"] == "-limit must be at most 100"
    assert refused["footer"]["text"].startswith("request id ")
    assert "300 is greater than the maximum of 100 - query parameter 'limit'" in caplog.text


async def test_bot_metrics_count_outcomes_and_time_backend_calls(runtime: DiscordRuntime) -> None:
    from gmbot.service.metrics import BotMetrics, count_outcomes, instrument_backend

    metrics = BotMetrics()
    instrument_backend(runtime.backend, metrics)
    count_outcomes(runtime.core, "discord", metrics)
    wolves, _ = clans()
    await slash(runtime, wolves, 1001, "setup", name="Wolves", location=None, language=None)
    await prefix(runtime, wolves, 1001, "createwar", "-game nope")  # a usage error: no backend call
    text = metrics.text().decode()
    assert 'gmbot_bot_commands_total{command="setup",outcome="reply",platform="discord"} 1.0' in text
    assert 'gmbot_bot_commands_total{command="createwar",outcome="usage",platform="discord"} 1.0' in text
    assert 'gmbot_bot_backend_request_seconds_count{operation="setupClan",status="201"} 1.0' in text
    assert "createWar" not in text
