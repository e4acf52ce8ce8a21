"""The bot's command list as Telegram shows it (the "/" menu): `setMyCommands` payloads,
one per scope, written by the generator to `generated/telegram/commands.json` and sent by
`gmbot telegram-commands`.

Scopes: every member of a group sees the commands anyone may run; chat administrators see
every command, those the spec gives `roles` or `permissions` too (Telegram has one kind of
privileged member, the administrator: any `permissions:` maps to it) (a clan's leaders are usually the group's
administrators; the backend still decides who may run what, so a command typed by anyone
works as on the other platforms). Telegram shows a user the list of the most specific scope
that applies, so the administrators' list repeats the others.

Names: Telegram's are `[a-z0-9_]{1,32}`; a spec name with `-` is listed with `_` (and both
spellings run it, runtime.py). Any command also runs as `/<prefix> <command> ...` (the bot's
prefix as one Telegram command, as on Slack): a name Telegram cannot list (`écho`) is
reached that way, and the prefix is listed too when some command needs it. A list holds at
most 100: the commands after that are still run through the prefix and shown by /help.
Descriptions are 1-256 characters.

Languages: each catalog (gmbot/chat/i18n.py) adds the same lists once more with its
`language_code` (gmbot/telegram/platform.py `command_locales`) and its descriptions; Telegram
shows a user the list of their client's language, else the default (English) one. Names
stay the canonical ones: they are what is typed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gmbot.chat.i18n import ENGLISH, N_, Catalog
from gmbot.spec.model import BotSpec, Command
from gmbot.telegram.platform import command_locales

NAME = re.compile(r"^[a-z0-9_]{1,32}$")
COMMANDS_MAX = 100
DESCRIPTION_MAX = 256
HELP = {"command": "help", "description": N_("List every command, or explain one: /help <command>")}
RUN_ANY = N_("Run any command: /{prefix} <command> -option value …")
EVERYONE = {"type": "all_group_chats"}
ADMINISTRATORS = {"type": "all_chat_administrators"}


def telegram_name(name: str) -> str:
    """A spec name as a Telegram command (`create-war` -> `create_war`)."""
    return name.lower().replace("-", "_")


def listable(name: str) -> bool:
    """Whether `name` can be a Telegram command (once '-' is written '_')."""
    return bool(NAME.match(telegram_name(name)))


def entry(command: Command, t: Catalog = ENGLISH) -> dict[str, str]:
    return {"command": telegram_name(command.name), "description": t.gettext(command.description)[:DESCRIPTION_MAX]}


def _menu(commands: list[Command], extra: list[dict[str, str]], t: Catalog) -> list[dict[str, str]]:
    listed: dict[str, dict[str, str]] = {}
    for command in commands:
        if listable(command.name):
            listed.setdefault(telegram_name(command.name), entry(command, t))
    return [*list(listed.values())[:COMMANDS_MAX - len(extra)], *extra]


def _lists(spec: BotSpec, t: Catalog) -> list[dict[str, Any]]:
    prefix = spec.bot.prefix
    menu = [c for c in spec.commands if listable(c.name)]
    extra = [{**HELP, "description": t.gettext(HELP["description"])}]
    if (len(menu) < len(spec.commands) or len(menu) >= COMMANDS_MAX) and listable(prefix):
        extra.append({"command": telegram_name(prefix),
                      "description": t.gettext(RUN_ANY).format(prefix=telegram_name(prefix))})
    return [
        {"scope": EVERYONE, "commands": _menu([c for c in spec.commands if not c.roles and not c.permissions],
                                              extra, t)},
        {"scope": ADMINISTRATORS, "commands": _menu(spec.commands, extra, t)},
    ]


def scopes(spec: BotSpec, translations: Mapping[str, Catalog] | None = None) -> list[dict[str, Any]]:
    """The `setMyCommands` payloads: `{"scope": ..., "commands": [...]}` per scope, then the same
    per language with its `language_code` (a catalog with no Telegram code is left out)."""
    found = _lists(spec, ENGLISH)
    for locale, catalog in sorted((translations or {}).items()):
        for code in command_locales(locale):
            found += [{**entry, "language_code": code} for entry in _lists(spec, catalog)]
    return found


def name_problem(name: str, prefix: str) -> str | None:
    """Why the command (or alias) `name` cannot be run on Telegram at all, or None."""
    if listable(name) or listable(prefix):
        return None
    return (f"cannot be a Telegram command ('{telegram_name(name)}'), and neither can the bot's prefix "
            f"'{prefix}' that would run it: Telegram allows 1-32 letters a-z, digits and '_'")
