"""The generated py-cord commands, registered on a real bot object that never connects."""

from __future__ import annotations

import json
from typing import Any

import discord
import httpx
from discord.ext import commands

import generated.discord.commands as generated  # committed: a missing file must fail, not skip
from generated.application import application
from gmbot.discord.cli import intents_for, make_bot
from gmbot.discord.runtime import DiscordRuntime
from gmbot.spec.load import load_spec_json
from gmbot.spec.model import BotSpec
from tests.chat.fakes import GAME4, FakeBackend, war
from tests.discord.fakes import FakeGuild, member, prefix_ctx, sent_embeds, slash_ctx
from tests.support import ROOT


def build(fake: FakeBackend) -> tuple[commands.Bot, DiscordRuntime]:
    spec = load_spec_json(application.spec_json)
    bot = make_bot(spec)
    runtime = DiscordRuntime(spec, fake.client())
    runtime.install(bot)
    generated.register(bot, runtime)
    return bot, runtime


async def test_every_spec_command_is_a_slash_and_a_prefix_command(fake: FakeBackend) -> None:
    bot, runtime = build(fake)
    slash = {c.name for c in bot.pending_application_commands if int(c.type) == 1}
    registered = json.loads((ROOT / "generated" / "discord" / "commands.json").read_text())
    registered = registered["commands"] if isinstance(registered, dict) else registered
    assert slash == {c.name for c in runtime.spec.commands} == {c["name"] for c in registered if c.get("type", 1) == 1}
    # and a user or message command per context-menu entry (tests/discord/test_discord_menus.py)
    entries = {(m.name, m.target.value) for c in runtime.spec.commands for m in c.menus}
    menu = {(c.name, "member" if int(c.type) == 2 else "message") for c in bot.pending_application_commands
            if int(c.type) != 1}
    assert menu == entries
    for command in runtime.spec.commands:
        for name in [command.name, *command.aliases]:
            assert bot.get_command(name) is not None, name
    assert bot.get_command("help") is not None
    assert isinstance(bot, commands.AutoShardedBot)


async def test_generated_slash_command_with_a_fake_context(fake: FakeBackend) -> None:
    bot, _ = build(fake)
    fake.answer = lambda r: httpx.Response(200, json={"items": [GAME4], "total": 1, "limit": 25, "offset": 0})
    games = next(c for c in bot.pending_application_commands if c.name == "games")
    guild = FakeGuild(1 << 22, "Wolves", [member(1, "alice")])
    ctx = slash_ctx(guild, guild.get_member(1))
    await games.callback(ctx, limit=None, offset=None)
    assert fake.requests[0].url.path == "/games" and fake.requests[0].url.params["limit"] == "25"
    [embed] = sent_embeds(ctx.respond)
    assert embed["title"] == "Games (1)" and embed["fields"] == [
        {"name": "4: Mini Militia", "value": "1-4 players", "inline": True}]


async def test_generated_prefix_command_and_alias(fake: FakeBackend) -> None:
    bot, _ = build(fake)
    fake.answer = lambda r: httpx.Response(201, json=war())
    guild = FakeGuild(1 << 22, "Wolves", [member(1, "alice"), member(2, "bob")])
    ctx = prefix_ctx(guild, guild.get_member(1), mentions=list(guild.members.values()))
    createwar: Any = bot.get_command("createwar")
    await createwar.callback(ctx, args="-players <@1> <@2> -game 4 -duration 12 -type ft3")
    assert json.loads(fake.requests[0].content)["players"] == [{"id": "1", "name": "alice"}, {"id": "2", "name": "bob"}]
    assert sent_embeds(ctx.send)[0]["title"] == "War request zyo8 created"
    fake.answer = lambda r: httpx.Response(200, json={"items": [GAME4], "total": 1, "limit": 25, "offset": 0})
    add: Any = bot.get_command("add")
    await add.callback(ctx, args="-games 4")
    assert fake.requests[-1].url.path == f"/clans/{1 << 22}/subscriptions"


def test_intents_only_as_needed() -> None:
    spec = load_spec_json(application.spec_json)
    intents = intents_for(spec)
    assert intents.guilds and intents.message_content and not intents.members and not intents.presences
    slash_only = BotSpec.model_validate({**spec.model_dump(), "bot": {**spec.bot.model_dump(), "prefix_commands": False}})
    assert not intents_for(slash_only).message_content
    assert isinstance(intents, discord.Intents)
