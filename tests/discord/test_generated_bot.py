"""The generated py-cord commands, registered on a real bot object that never connects (what
they do when run is shown at the wire: tests/discord/test_discord_runtime.py)."""

from __future__ import annotations

import json

import discord
from discord.ext import commands

import generated.discord.commands as generated  # committed: a missing file must fail, not skip
from generated.application import application
from gmbot.discord.cli import intents_for, make_bot
from gmbot.discord.runtime import DiscordRuntime
from gmbot.spec.load import load_spec_json
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend
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


def test_intents_only_as_needed() -> None:
    spec = load_spec_json(application.spec_json)
    intents = intents_for(spec)
    assert intents.guilds and intents.message_content and not intents.members and not intents.presences
    slash_only = BotSpec.model_validate({**spec.model_dump(), "bot": {**spec.bot.model_dump(), "prefix_commands": False}})
    assert not intents_for(slash_only).message_content
    assert isinstance(intents, discord.Intents)
