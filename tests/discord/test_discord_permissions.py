"""Permissions at the wire on Discord (spec `permissions:` on a command): `gmbot sync-commands`
registers the command with its default_member_permissions (the sum of the permission bits), and
a later sync that finds another value, or none, changes it. Gmbot's `setup` is shown to members
who may manage the server (MANAGE_GUILD, 1 << 5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generated.chat import load_spec
from generator.targets.discord.model import PERMISSION_BITS
from gmbot.discord.sync import diff
from tests.support import ROOT

from .stage import Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


def _opened(folder: Path) -> Path:
    """generated/discord/commands.json with every command open to everyone."""
    commands = json.loads((ROOT / "generated" / "discord" / "commands.json").read_text(encoding="utf-8"))["commands"]
    for command in commands:
        command.pop("default_member_permissions", None)
    opened = folder / "commands.json"
    opened.write_text(json.dumps({"commands": commands}), encoding="utf-8")
    return opened


async def test_the_registration_carries_each_commands_permissions(s: Stage, tmp_path: Path) -> None:
    await s.two_clans()
    await s.sync_commands()
    registered = {c["name"]: c for c in s.discord.commands[None]}
    for command in load_spec().commands:  # what the spec says, command by command
        wanted = sum(PERMISSION_BITS[p] for p in command.permissions)
        shown = registered[command.name]["default_member_permissions"]
        assert shown == (str(wanted) if command.permissions else None), command.name
    assert registered["setup"]["default_member_permissions"] == str(1 << 5)

    # the same file again: nothing to change; the setup command opened to everyone: a change
    assert "already up to date" in await s.sync_commands()
    opened = _opened(tmp_path)
    report = await s.sync_commands("--file", str(opened))
    assert "~ setup (changed: default_member_permissions)" in report
    assert all(c["default_member_permissions"] is None for c in s.discord.commands[None])


async def test_a_changed_permission_is_a_change() -> None:
    local = [{"name": "setup", "description": "d", "default_member_permissions": "8"}]
    assert diff(local, [{**local[0], "default_member_permissions": "32"}]) == [
        "~ setup (changed: default_member_permissions)"]
    assert diff(local, [{**local[0]}]) == []
