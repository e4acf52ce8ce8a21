"""`gmbot telegram-commands`: send generated/telegram/commands.json with setMyCommands.

Per scope, the list set now is read first (`getMyCommands`) and written only when it
differs (`setMyCommands`; `deleteMyCommands` when the spec lists none there): running it
again changes nothing. `--dry-run` reads and reports, writing nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeDefault,
)

SCOPES: dict[str, Any] = {
    "default": BotCommandScopeDefault,
    "all_private_chats": BotCommandScopeAllPrivateChats,
    "all_group_chats": BotCommandScopeAllGroupChats,
    "all_chat_administrators": BotCommandScopeAllChatAdministrators,
}


class SyncError(Exception):
    pass


def load(path: Path) -> list[dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise SyncError(f"cannot read {path}: {error} (run `gmbot generate`?)") from None
    scopes = document.get("scopes") if isinstance(document, dict) else None
    if not isinstance(scopes, list):
        raise SyncError(f"{path}: expected {{'scopes': [...]}}")
    return scopes


def changes(wanted: list[dict[str, str]], current: list[BotCommand]) -> list[str]:
    have = {c.command: c.description for c in current}
    want = {c["command"]: c["description"] for c in wanted}
    lines = [f"+ /{name}" for name in want if name not in have]
    lines += [f"~ /{name} (description)" for name in want if name in have and have[name] != want[name]]
    lines += [f"- /{name}" for name in have if name not in want]
    if not lines and list(want) != [c.command for c in current]:
        lines.append("~ (order)")
    return lines


async def sync(bot: Bot, scopes: list[dict[str, Any]], *, dry_run: bool = False) -> list[str]:
    """The report lines; Telegram's refusals raise aiogram's TelegramAPIError."""
    report: list[str] = []
    for entry in scopes:
        kind = str(entry["scope"]["type"])
        if kind not in SCOPES:
            raise SyncError(f"unknown command scope {kind!r}")
        scope = SCOPES[kind]()
        language = entry.get("language_code")  # a list for the users whose client speaks it
        if language:
            kind = f"{kind} ({language})"
        wanted = list(entry.get("commands") or [])
        found = changes(wanted, await bot.get_my_commands(scope=scope, language_code=language))
        if not found:
            report.append(f"{kind}: {len(wanted)} commands already up to date")
            continue
        if dry_run:
            report += [f"dry run ({kind}): {len(found)} change(s)", *found]
            continue
        if wanted:
            await bot.set_my_commands([BotCommand(**c) for c in wanted], scope=scope, language_code=language)
            report += [f"{kind}: set {len(wanted)} commands", *found]
        else:
            await bot.delete_my_commands(scope=scope, language_code=language)
            report += [f"{kind}: removed the list", *found]
    return report
