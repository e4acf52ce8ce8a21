"""The bot's command list as Telegram shows it (the "/" menu): `setMyCommands` payloads,
one per scope, written by the generator to `generated/telegram/commands.json` and sent by
`gmbot telegram-commands`.

Scopes: every member of a group sees the commands anyone may run; chat administrators see
every command, those the spec gives `roles` too (a clan's leaders are usually the group's
administrators; the backend still decides who may run what, so a command typed by anyone
works as on the other platforms). Telegram shows a user the list of the most specific scope
that applies, so the administrators' list repeats the others.

Names: Telegram's are `[a-z0-9_]{1,32}`; a spec name with `-` is listed with `_` (and both
spellings run it, runtime.py). Any command also runs as `/<prefix> <command> ...` (the bot's
prefix as one Telegram command, as on Slack): a name Telegram cannot list (`écho`) is
reached that way, and the prefix is listed too when some command needs it. A list holds at
most 100: the commands after that are still run through the prefix and shown by /help.
Descriptions are 1-256 characters.
"""

from __future__ import annotations

import re
from typing import Any

from gmbot.spec.model import BotSpec, Command

NAME = re.compile(r"^[a-z0-9_]{1,32}$")
COMMANDS_MAX = 100
DESCRIPTION_MAX = 256
HELP = {"command": "help", "description": "List every command, or explain one: /help <command>"}
EVERYONE = {"type": "all_group_chats"}
ADMINISTRATORS = {"type": "all_chat_administrators"}


def telegram_name(name: str) -> str:
    """A spec name as a Telegram command (`create-war` -> `create_war`)."""
    return name.lower().replace("-", "_")


def listable(name: str) -> bool:
    """Whether `name` can be a Telegram command (once '-' is written '_')."""
    return bool(NAME.match(telegram_name(name)))


def entry(command: Command) -> dict[str, str]:
    return {"command": telegram_name(command.name), "description": command.description[:DESCRIPTION_MAX]}


def _menu(commands: list[Command], extra: list[dict[str, str]]) -> list[dict[str, str]]:
    listed: dict[str, dict[str, str]] = {}
    for command in commands:
        if listable(command.name):
            listed.setdefault(telegram_name(command.name), entry(command))
    return [*list(listed.values())[:COMMANDS_MAX - len(extra)], *extra]


def scopes(spec: BotSpec) -> list[dict[str, Any]]:
    """The `setMyCommands` payloads: `{"scope": ..., "commands": [...]}` per scope."""
    prefix = spec.bot.prefix
    menu = [c for c in spec.commands if listable(c.name)]
    extra = [HELP]
    if (len(menu) < len(spec.commands) or len(menu) >= COMMANDS_MAX) and listable(prefix):
        extra.append({"command": telegram_name(prefix),
                      "description": f"Run any command: /{telegram_name(prefix)} <command> -option value …"})
    return [
        {"scope": EVERYONE, "commands": _menu([c for c in spec.commands if not c.roles], extra)},
        {"scope": ADMINISTRATORS, "commands": _menu(spec.commands, extra)},
    ]


def name_problem(name: str, prefix: str) -> str | None:
    """Why the command (or alias) `name` cannot be run on Telegram at all, or None."""
    if listable(name) or listable(prefix):
        return None
    return (f"cannot be a Telegram command ('{telegram_name(name)}'), and neither can the bot's prefix "
            f"'{prefix}' that would run it: Telegram allows 1-32 letters a-z, digits and '_'")
