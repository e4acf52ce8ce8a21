"""Permissions on Telegram (spec `permissions:` on a command): Telegram has one kind of
privileged member, the chat administrator, so a command with any permission is listed in the
administrators' menu only (setMyCommands with scope all_chat_administrators), never in the
group's; the menus reach the fake Bot API through `gmbot telegram-commands`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from gmbot.spec.model import BotSpec, Permission
from gmbot.telegram.cli import commands_main
from gmbot.telegram.commands import scopes

from .fake_telegram import FakeTelegram


def test_a_command_with_permissions_is_the_administrators_only(spec: BotSpec) -> None:
    # a command everyone sees, given a permission (roles too, as the generator asks)
    anyone = next(c for c in spec.commands if not c.roles and not c.permissions)
    hidden = spec.model_copy(update={"commands": [
        c.model_copy(update={"permissions": [Permission.MANAGE_CHANNELS]}) if c is anyone else c
        for c in spec.commands]})
    before = {s["scope"]["type"]: [e["command"] for e in s["commands"]] for s in scopes(spec)}
    after = {s["scope"]["type"]: [e["command"] for e in s["commands"]] for s in scopes(hidden)}
    assert anyone.name in before["all_group_chats"] and anyone.name not in after["all_group_chats"]
    assert anyone.name in after["all_chat_administrators"]


async def test_the_administrators_menu_carries_them_at_the_wire(
    spec: BotSpec, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)
    document = {"scopes": scopes(spec)}
    menus = tmp_path / "commands.json"
    menus.write_text(json.dumps(document), encoding="utf-8")
    assert await asyncio.to_thread(commands_main, ["--file", str(menus)]) == 0
    sent = {json.dumps(c.data["scope"]) if not isinstance(c.data["scope"], str) else c.data["scope"]:
            {e["command"] for e in c.data["commands"]} for c in fake.of("setMyCommands")
            if not c.data.get("language_code")}
    sent = {json.loads(k)["type"]: v for k, v in sent.items()}
    privileged = {c.name for c in spec.commands if c.permissions}
    assert privileged, "the spec has no command with permissions"  # Gmbot's setup
    assert privileged <= sent["all_chat_administrators"]
    assert not privileged & sent["all_group_chats"]
