"""Slack user mentions -> people, for the core's option parsing.

Slack writes a mention as `<@U123>` or, for slash commands with `should_escape`,
`<@U123|ana>`. A token without a name is looked up with `users.info` once and
cached per workspace (names change rarely; a stale display name on a card is
harmless, a Web API call per mention per command is not: users.info is a Tier 4
method, ~100 calls a minute).
"""

from __future__ import annotations

import logging
import re
import time
from collections import OrderedDict
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.chat.options import MentionResolver, NotAMention, Person

log = logging.getLogger("gmbot.slack.mentions")

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")


def display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name:
            return str(name)
    return str(user.get("id", "?"))


class SlackPeople:
    """A bounded, expiring cache of (team, user id) -> Person, filled by `users.info`."""

    def __init__(self, *, size: int = 10_000, ttl: float = 3600.0) -> None:
        self.size = size
        self.ttl = ttl
        self._cache: OrderedDict[tuple[str, str], tuple[float, Person | None]] = OrderedDict()

    def remember(self, team: str, person: Person) -> None:
        self._put((team, person.id), person)

    def _put(self, key: tuple[str, str], person: Person | None) -> None:
        self._cache[key] = (time.monotonic() + self.ttl, person)
        self._cache.move_to_end(key)
        while len(self._cache) > self.size:
            self._cache.popitem(last=False)

    async def person(self, client: AsyncWebClient, team: str, user_id: str) -> Person | None:
        """The user as a Person, or None when Slack knows no such user."""
        key = (team, user_id)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as error:
            if error.response.get("error") in {"user_not_found", "users_not_found"}:
                self._put(key, None)
                return None
            log.warning("users.info %s failed: %s", user_id, error.response.get("error"))
            return Person(user_id, user_id)  # Slack hiccup: still the right id, name unknown
        user = response.get("user") or {}
        person = Person(user_id, display_name(user))
        self._put(key, person)
        return person

    def resolver(self, client: AsyncWebClient, team: str) -> MentionResolver:
        async def resolve(token: str) -> Person | None:
            match = MENTION.match(token)
            if match is None:
                raise NotAMention(token)
            user_id, name = match.group(1), match.group(2)
            if name:  # the escaped form carries the name: no lookup needed
                person = Person(user_id, name)
                self.remember(team, person)
                return person
            return await self.person(client, team, user_id)

        return resolve
