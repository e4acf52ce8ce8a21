"""Telegram's stand-in for context menus (gmbot/chat/menus.py): Telegram gives bots no menu on
a member or a message, so a command that has a `menus:` entry takes its target from the message
it is sent in reply to. `/clanof` in reply to someone's message is that person's clan profile:
the entry's user part (the member, or the message's author) fills its option, unless the option
was typed. The message's text and link are not taken (a reply quotes no text to a bot in
privacy mode reliably); docs/spec.md, "Context menus".
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from gmbot.chat import menus
from gmbot.chat.options import UsageError, split_flags
from gmbot.spec.model import BotSpec, MenuTarget
from gmbot.telegram.people import person

if TYPE_CHECKING:
    from aiogram.types import Message

    from gmbot.chat.core import Core
    from gmbot.telegram.runtime import Typed

USER_PARTS = ("member", "author")
TOKEN = "@replied"  # stands for the replied message's author in the flags (as a picked mention does)


def from_reply(spec: BotSpec, core: Core, name: str, typed: Typed, message: Message) -> Typed:
    """`typed` with the option of the command's menu entry filled by the replied message's
    author, where that applies; `typed` as it was otherwise."""
    command = spec.command(name)
    reply = message.reply_to_message
    if command is None or not command.menus or reply is None or reply.from_user is None or reply.from_user.is_bot:
        return typed
    # a reply is to a message: its entry first, else the member's
    entry = next((m for m in command.menus if m.target is MenuTarget.MESSAGE), command.menus[0])
    option = next((o for part, o in menus.filled(entry).items() if part in USER_PARTS), None)
    if option is None:
        return typed
    try:
        given = split_flags(command, typed.args, core.locales.option_names(o.name for o in command.options))
    except UsageError:
        return typed  # the core says what is wrong with the flags
    if given.get(option) is not None:
        return typed  # typed by the user: theirs wins
    token = TOKEN
    while token in typed.picked or token in typed.args:
        token += "~"
    return replace(typed, args=f"{typed.args} -{option} {token}".strip(),
                   picked={**typed.picked, token: person(reply.from_user)})
