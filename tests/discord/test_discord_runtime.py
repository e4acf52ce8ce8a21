"""The Discord runtime with fake contexts: the embeds sent, defer, errors. No Discord anywhere."""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import discord
import httpx
from discord.ext import commands

from gmbot.chat.backend import BackendClient
from gmbot.discord.runtime import DiscordRuntime
from gmbot.spec.model import BotSpec
from tests.chat.fakes import GAME4, ROUTES, FakeBackend, war
from tests.discord.fakes import FakeGuild, member, prefix_ctx, sent_embeds, slash_ctx


def clan() -> tuple[FakeGuild, SimpleNamespace, SimpleNamespace]:
    alice, bob = member(1001, "alice"), member(1002, "bob")
    return FakeGuild(9000, "Wolves", [alice, bob]), alice, bob


async def test_slash_command_answers_with_an_embed(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, _bob = clan()
    fake.answer = lambda r: httpx.Response(201, json=war())
    ctx = slash_ctx(guild, alice)
    await DiscordRuntime(spec, fake.client()).run_slash(
        ctx, "createwar", {"players": "<@1001> <@!1002>", "game": 4, "duration": "1.5h", "type": None})
    assert fake.body()["players"] == [{"id": "1001", "name": "alice"}, {"id": "1002", "name": "bob"}]
    assert fake.body()["duration"] == 1.5 and fake.body()["format"] == "ft3"
    assert fake.requests[0].headers["Idempotency-Key"] == "discord-555"
    ctx.defer.assert_not_awaited()
    [embed] = sent_embeds(ctx.respond)
    assert embed["title"] == "War request zyo8 created" and embed["color"] == 0xE67E22


async def test_slash_user_option_from_a_member_object(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, bob = clan()
    fake.answer = lambda r: httpx.Response(200, json={"items": [], "total": 0, "limit": 25, "offset": 0})
    ctx = slash_ctx(guild, alice)
    runtime = DiscordRuntime(spec, fake.client())
    await runtime.run_slash(ctx, "relinquish", {"member": bob})  # py-cord gives a Member
    # relinquish asks first: its Confirm button carries the member as the option read it
    confirm_id = ctx.respond.await_args.kwargs["view"].children[0].custom_id
    await runtime.core.click(confirm_id, runtime.invocation(guild, ctx.channel, alice, 99))
    assert fake.body() == {"actor": {"id": "1001", "name": "alice"}, "member": {"id": "1002", "name": "bob"}}


async def test_slow_backend_defers_then_follows_up(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, _ = clan()

    async def slow(request: httpx.Request) -> httpx.Response:
        fake.requests.append(request)
        await asyncio.sleep(0.3)
        return httpx.Response(200, json={"items": [GAME4], "total": 1, "limit": 25, "offset": 0})

    backend = BackendClient("http://backend.test", "k", "DISCORD-BFF", routes=ROUTES, transport=httpx.MockTransport(slow))
    ctx = slash_ctx(guild, alice)
    await DiscordRuntime(spec, backend, defer_after=0.05).run_slash(ctx, "games", {"limit": None, "offset": None})
    ctx.defer.assert_awaited_once()
    ctx.respond.assert_not_awaited()
    [embed] = sent_embeds(ctx.followup.send)
    assert embed["title"] == "Games (1)" and embed["fields"][0]["name"] == "4: Mini Militia"


async def test_backend_down_error_embed_within_3_seconds(spec: BotSpec) -> None:
    guild, alice, _ = clan()
    backend = BackendClient("http://127.0.0.1:9", "k", "DISCORD-BFF", routes=ROUTES)
    ctx = slash_ctx(guild, alice)
    started = time.perf_counter()
    await DiscordRuntime(spec, backend).run_slash(ctx, "status", {"limit": None})
    assert time.perf_counter() - started < 3
    await backend.aclose()
    [embed] = sent_embeds(ctx.respond)
    assert embed["title"] == "Service unavailable"


async def test_hanging_backend_is_waited_for_until_the_deferred_timeout(spec: BotSpec) -> None:
    guild, alice, _ = clan()

    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(10)
        return httpx.Response(200)

    backend = BackendClient("http://backend.test", "k", "DISCORD-BFF", routes=ROUTES,
                            transport=httpx.MockTransport(hang), timeout=0.1)
    ctx = slash_ctx(guild, alice)
    ctx.interaction.delete_original_response = AsyncMock()  # the public "thinking..." goes
    started = time.perf_counter()
    await DiscordRuntime(spec, backend, defer_after=0.2, deferred_timeout=0.5).run_slash(ctx, "games", {})
    assert time.perf_counter() - started < 3
    ctx.defer.assert_awaited_once()
    [embed] = sent_embeds(ctx.followup.send)
    assert embed["title"] == "No answer in time" and "0.5 s" in embed["description"]
    assert ctx.followup.send.await_args.kwargs["ephemeral"] is True
    ctx.interaction.delete_original_response.assert_awaited_once()


async def test_problem_json_shows_title_and_detail(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, _ = clan()
    fake.answer = lambda r: httpx.Response(409, json={"title": "War already accepted", "status": 409, "detail": "zyo8 is ongoing"},
                                           headers={"content-type": "application/problem+json"})
    ctx = prefix_ctx(guild, alice, mentions=[guild.get_member(1002)])
    await DiscordRuntime(spec, fake.client()).run_prefix(ctx, "accept", "-war zyo8 -players <@1002>")
    [embed] = sent_embeds(ctx.send)
    assert (embed["title"], embed["description"]) == ("War already accepted", "zyo8 is ongoing")
    assert embed["color"] == 0xE74C3C


async def test_prefix_non_member_mention_is_a_usage_error(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, _ = clan()
    stranger = SimpleNamespace(id=4242, name="eve", display_name="eve")  # a User, not a Member
    ctx = prefix_ctx(guild, alice, mentions=[stranger])
    await DiscordRuntime(spec, fake.client()).run_prefix(ctx, "createwar", "-players <@4242> -game 4")
    assert not fake.requests
    [embed] = sent_embeds(ctx.send)
    assert "\\<@4242\\> is not a member of this server" in embed["title"]  # what was typed: data
    assert embed["fields"][0]["name"] == "Usage"


async def test_button_click_votes_as_the_clicking_user(spec: BotSpec, fake: FakeBackend) -> None:
    guild, alice, _ = clan()
    runtime = DiscordRuntime(spec, fake.client())
    opponent = {"server": {"id": "2", "name": "Bears"}, "platform": "discord", "players": [], "glory": 0}
    card = runtime.core.render_event({"id": 3, "type": "war.ended", "serverId": "9000", "data": {"war": war(opponent=opponent)}})
    assert card is not None
    fake.answer = lambda r: httpx.Response(200, json=war(status="ended"))
    interaction = SimpleNamespace(
        type=discord.InteractionType.component, data={"custom_id": card.buttons[0].custom_id}, id=31337,
        guild=guild, channel=SimpleNamespace(id=77, name="wars"), user=alice,
        response=SimpleNamespace(send_message=AsyncMock(), defer=AsyncMock()), followup=SimpleNamespace(send=AsyncMock()))
    await runtime.on_interaction(interaction)
    assert fake.requests[0].url.path == "/wars/zyo8/votes"
    assert fake.body()["actor"] == {"id": "1001", "name": "alice"} and fake.body()["result"] == "win"
    assert fake.requests[0].headers["Idempotency-Key"] == "discord-31337"
    assert sent_embeds(interaction.response.send_message)[0]["title"] == "Vote recorded for war zyo8"


async def test_help_and_unknown_command_on_a_real_bot(spec: BotSpec, fake: FakeBackend) -> None:
    bot = commands.Bot(command_prefix="gmbot ", help_command=None, intents=discord.Intents.none())
    runtime = DiscordRuntime(spec, fake.client())
    runtime.install(bot)
    assert bot.get_command("help") is not None
    guild, alice, _ = clan()
    ctx = prefix_ctx(guild, alice)
    ctx.invoked_with = "subscrbe"
    await runtime.on_command_error(ctx, commands.CommandNotFound('Command "subscrbe" is not found'))
    assert "did you mean \\`gmbot subscribe\\`" in sent_embeds(ctx.send)[0]["description"]
    help_command: Any = bot.get_command("help")
    await help_command.callback(ctx, topic="accept")
    assert sent_embeds(ctx.send)[0]["title"] == "gmbot accept"


async def test_event_card_is_posted_with_real_buttons(spec: BotSpec, fake: FakeBackend) -> None:
    from gmbot.discord.runtime import message_kwargs

    runtime = DiscordRuntime(spec, fake.client())
    opponent = {"server": {"id": "2", "name": "Bears"}, "platform": "discord", "players": [], "glory": 0}
    card = runtime.core.render_event({"id": 3, "type": "war.ended", "serverId": "9000", "channelId": "77",
                                      "data": {"war": war(opponent=opponent)}})
    assert card is not None
    kwargs = message_kwargs(card)
    assert kwargs["embeds"][0].title == "WHO WON?"
    buttons = kwargs["view"].children
    assert [(b.label, b.style) for b in buttons] == [
        ("We won", discord.ButtonStyle.success), ("We lost", discord.ButtonStyle.danger), ("Draw", discord.ButtonStyle.secondary)]
    assert all(b.custom_id.startswith("gm:") for b in buttons) and kwargs["view"].timeout is None
