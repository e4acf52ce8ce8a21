"""Telegram mentions -> people, for the core's option parsing.

Telegram writes a mention in two ways:

* a `text_mention` entity (a member without a username, picked from the list): the
  entity carries the user, id and all;
* `@username` (a `mention` entity): text only. The Bot API has no way to look a user up
  by username, and the backend needs the stable id.

So the bot remembers who it has seen, per group: every author of a command or a click,
members joining, the author of a message replied to, users of text mentions (bounded, in
memory). An `@username` it has not seen is looked for among the group's administrators
(`getChatAdministrators`, cached a few minutes); otherwise it names nobody the bot knows,
and the usage card says how to fix it (runtime.py `UNKNOWN_HINT`): the member sends any
command to the bot once, or is mentioned by picking them from the list.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping

import aiohttp
from aiogram import Bot
from aiogram.exceptions import AiogramError
from aiogram.types import User

from gmbot.chat.options import MentionResolver, NotAMention, Person

log = logging.getLogger("gmbot.telegram.people")

USERNAME = re.compile(r"^@([A-Za-z0-9_]{3,32})$")
NAME_MAX = 100  # the backend's names (Telegram's full names reach 129 characters, titles 128)


def person(user: User) -> Person:
    return Person(str(user.id), (user.full_name or user.username or str(user.id))[:NAME_MAX])


class TelegramPeople:
    """(chat, lower-cased username) -> Person, bounded; and each chat's administrators."""

    def __init__(self, *, size: int = 50_000, admins_ttl: float = 300.0) -> None:
        self.size = size
        self.admins_ttl = admins_ttl
        self._known: OrderedDict[tuple[int, str], Person] = OrderedDict()
        self._admins: dict[int, tuple[float, dict[str, Person]]] = {}

    def remember(self, chat_id: int, user: User | None) -> None:
        if user is None or user.is_bot or not user.username:
            return
        key = (chat_id, user.username.lower())
        self._known[key] = person(user)
        self._known.move_to_end(key)
        while len(self._known) > self.size:
            self._known.popitem(last=False)

    def known(self, chat_id: int, username: str) -> Person | None:
        return self._known.get((chat_id, username.lower()))

    async def administrators(self, bot: Bot, chat_id: int) -> dict[str, Person]:
        hit = self._admins.get(chat_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        try:
            members = await bot.get_chat_administrators(chat_id)
        except (AiogramError, aiohttp.ClientError, TimeoutError) as error:  # a private chat, Telegram busy: nobody
            log.info("getChatAdministrators %s: %s", chat_id, error)
            return {}
        found = {m.user.username.lower(): person(m.user) for m in members if m.user.username and not m.user.is_bot}
        self._admins[chat_id] = (time.monotonic() + self.admins_ttl, found)
        return found

    def resolver(self, bot: Bot, chat_id: int, picked: Mapping[str, Person], unknown: list[str]) -> MentionResolver:
        """Tokens of one command: `picked` (its text mentions, by the token standing for each),
        then `@username`. Usernames nobody knows are added to `unknown` (for the usage hint)."""

        async def resolve(token: str) -> Person | None:
            if token in picked:
                return picked[token]
            match = USERNAME.match(token)
            if match is None:
                raise NotAMention(token)
            found = self.known(chat_id, match.group(1)) or (await self.administrators(bot, chat_id)).get(
                match.group(1).lower())
            if found is None:
                unknown.append(token)
            return found

        return resolve
