"""Telegram mentions -> people, for the core's option parsing.

Telegram writes a mention in two ways:

* a `text_mention` entity (a member without a username, picked from the list): the
  entity carries the user, id and all;
* `@username` (a `mention` entity): text only. The Bot API has no way to look a user up
  by username, and the backend needs the stable id.

So the bot remembers who it has seen, per group: every author of a command or a click,
members joining (and forgets those leaving), the author of a message replied to (bounded,
in memory). An `@username` it has not seen is looked for among the
group's administrators (`getChatAdministrators`, cached a few minutes); otherwise it names
nobody the bot knows, and the usage card says how to fix it (runtime.py `UNKNOWN_HINT`):
the member sends any command to the bot once, or is mentioned by picking them from the list.

A mention is a player only when it names a member of the group the command came from, the
rule every front end applies: a text mention's user is checked with `getChatMember` (a
user who left, was removed, or is a bot is "not a member of this server"). When Telegram
cannot answer (429, 5xx, the network) the command fails with "try again"
(`PeopleUnavailable`) rather than guess.
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from collections.abc import Mapping

import aiohttp
from aiogram import Bot
from aiogram.exceptions import AiogramError, TelegramBadRequest, TelegramRetryAfter
from aiogram.types import User

from gmbot.chat import guard as chat_guard
from gmbot.chat.fit import cut
from gmbot.chat.i18n import N_
from gmbot.chat.options import MentionResolver, NotAMention
from gmbot.chat.vocabulary import Person

log = logging.getLogger("gmbot.telegram.people")

USERNAME = re.compile(r"^@([A-Za-z0-9_]{3,32})$")
NAME_MAX = 100  # the backend's names (Telegram's full names reach 129 characters, titles 128)


MEMBER = frozenset({"creator", "administrator", "member"})


class PeopleUnavailable(chat_guard.PeopleUnavailable):
    """getChatMember did not answer: whether a mention names a member cannot be known now."""

    def __init__(self, user_id: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__("Telegram", N_("whether a person you mentioned is in this group"), f"getChatMember {user_id}",
                         reason, retry_after)


def person(user: User) -> Person:
    """A Telegram user as the backend takes people: id, and the name cut to fit."""
    return Person(str(user.id), cut(user.full_name or user.username or str(user.id), NAME_MAX))


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

    def forget(self, chat_id: int, user: User | None) -> None:
        if user is not None and user.username:
            self._known.pop((chat_id, user.username.lower()), None)

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

    async def member(self, bot: Bot, chat_id: int, someone: Person) -> Person | None:
        """`someone` when they are a member of the group now, else None."""
        try:
            found = await bot.get_chat_member(chat_id, int(someone.id))
        except TelegramBadRequest:  # no such user in this chat
            return None
        except TelegramRetryAfter as error:
            raise PeopleUnavailable(someone.id, "rate limited", float(error.retry_after)) from None
        except (AiogramError, aiohttp.ClientError, TimeoutError) as error:
            raise PeopleUnavailable(someone.id, f"{type(error).__name__}: {error}") from None
        if found.user.is_bot:
            return None
        joined = found.status in MEMBER or (found.status == "restricted" and getattr(found, "is_member", False))
        return someone if joined else None

    def resolver(self, bot: Bot, chat_id: int, picked: Mapping[str, Person], unknown: list[str]) -> MentionResolver:
        """Tokens of one command: `picked` (its text mentions, by the token standing for each),
        then `@username`. Usernames nobody knows are added to `unknown` (for the usage hint)."""

        async def resolve(token: str) -> Person | None:
            if token in picked:
                return await self.member(bot, chat_id, picked[token])
            match = USERNAME.match(token)
            if match is None:
                raise NotAMention(token)
            found = self.known(chat_id, match.group(1)) or (await self.administrators(bot, chat_id)).get(
                match.group(1).lower())
            if found is None:
                unknown.append(token)
            return found

        return resolve
