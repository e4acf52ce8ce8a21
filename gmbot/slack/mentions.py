"""Slack user mentions -> people of the workspace, for the core's option parsing.

Slack writes a mention as `<@U123>` or, for slash commands with `should_escape`,
`<@U123|ana>`. Either way the user is looked up with `users.info` (once, then cached
per workspace: names change rarely, and users.info is a Tier 4 method, ~100 calls a
minute), because a mention is only a player when it names a member of the workspace
the command came from, the rule every front end applies (Discord: a member of the
guild). Refused, as "not a member of this server": a deactivated account
(`deleted`), a bot (`is_bot`, and Slackbot), and a user of another workspace
(`team_id`, as in a Slack Connect channel; in an Enterprise Grid org, a user whose
`enterprise_user.teams` include this workspace is a member).

When Slack cannot answer (rate limited past the client's retries, which wait out
`Retry-After`; a 5xx; the network), the command fails with "try again"
(`PeopleUnavailable`) rather than guess: a raw id stored as a player's name would stay.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.chat import guard as chat_guard
from gmbot.chat.i18n import N_
from gmbot.chat.options import MentionResolver, NotAMention
from gmbot.chat.vocabulary import Person, ZoneLookup
from gmbot.service.delivery import retry_after
from gmbot.slack.cache import Expiring
from gmbot.slack.delivery import api_error
from gmbot.slack.platform import person_locale
from gmbot.slack.text import fit_name

log = logging.getLogger("gmbot.slack.mentions")

MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|([^>]*))?>$")
SLACKBOT = "USLACKBOT"  # Slack's own bot: users.info says is_bot false
NOT_FOUND = frozenset({"user_not_found", "users_not_found"})


class PeopleUnavailable(chat_guard.PeopleUnavailable):
    """users.info did not answer: who a mention names cannot be known now."""

    def __init__(self, user_id: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__("Slack", N_("who a person you mentioned is"), f"users.info {user_id}", reason, retry_after)
        self.detail = reason  # the HTTP status or error Slack gave, as before
        self.user_id = user_id


@dataclass(frozen=True)
class Known:
    """What users.info said of a user, as far as commands care."""

    person: Person
    team_id: str
    teams: frozenset[str]  # an Enterprise Grid user's workspaces
    deleted: bool
    bot: bool
    tz: str | None = None  # the user's IANA time zone, as their Slack profile sets it
    locale: str | None = None  # the user's language (`es-ES`), asked for with include_locale

    def refusal(self, team: str) -> str | None:
        """Why this user is no member of workspace `team`; None when they are."""
        if self.deleted:
            return "a deactivated account"
        if self.bot:
            return "a bot"
        if team and self.team_id != team and team not in self.teams:
            return f"a user of another workspace ({self.team_id or 'unknown'})"
        return None


def display_name(user: dict[str, Any]) -> str:
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name and str(name).strip():
            return fit_name(str(name), str(user.get("id", "?")))
    return str(user.get("id", "?"))


def known(user: dict[str, Any]) -> Known:
    user_id = str(user.get("id", ""))
    grid = user.get("enterprise_user") or {}
    return Known(Person(user_id, display_name(user)), str(user.get("team_id") or ""),
                 frozenset(str(t) for t in grid.get("teams") or ()), bool(user.get("deleted")),
                 bool(user.get("is_bot")) or user_id == SLACKBOT, str(user["tz"]) if user.get("tz") else None,
                 person_locale(user))


class SlackPeople:
    """A bounded, expiring cache of (team, user id) -> what users.info said (None: no such user)."""

    def __init__(self, *, size: int = 10_000, ttl: float = 3600.0) -> None:
        self._cache: Expiring[tuple[str, str], Known | None] = Expiring(size=size, ttl=ttl)

    async def lookup(self, client: AsyncWebClient, team: str, user_id: str) -> Known | None:
        """The user as Slack describes them, or None when Slack knows no such user.
        Raises PeopleUnavailable when Slack cannot say."""
        key = (team, user_id)
        found, cached = self._cache.get(key)
        if found:
            return cached
        try:
            response = await client.users_info(user=user_id, include_locale=True)
        except SlackApiError as error:
            code = api_error(error)
            if code in NOT_FOUND:
                self._cache.put(key, None)
                return None
            status = int(getattr(error.response, "status_code", 0) or 0)
            raise PeopleUnavailable(user_id, f"HTTP {status} {code or ''}".strip(), retry_after(error)) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise PeopleUnavailable(user_id, f"{type(error).__name__}: {error}".rstrip(": ")) from None
        user = response.get("user") or {}
        entry = known({**user, "id": user.get("id") or user_id})
        self._cache.put(key, entry)
        return entry

    def zone(self, client: AsyncWebClient, team: str, user_id: str) -> ZoneLookup:
        """The user's time zone for datetime options (users.info's `tz`), asked only when an
        option needs it; None (UTC) when Slack does not say."""

        async def lookup() -> str | None:
            entry = await self.lookup(client, team, user_id)
            return entry.tz if entry is not None else None

        return lookup

    async def locale(self, client: AsyncWebClient, team: str, user_id: str) -> str | None:
        """The user's language as Slack names it (`es-ES`), or None when Slack cannot say now:
        the reply then goes in the clan's language."""
        try:
            entry = await self.lookup(client, team, user_id)
        except PeopleUnavailable:
            return None
        return entry.locale if entry is not None else None

    def known_locale(self, team: str, user_id: str) -> str | None:
        """The language of a user looked up lately, without asking Slack (a button's clicker)."""
        found, entry = self._cache.get((team, user_id))
        return entry.locale if found and entry is not None else None

    async def person(self, client: AsyncWebClient, team: str, user_id: str) -> Person | None:
        """Anyone Slack knows, for their name (the author of a mention); None when unknown."""
        entry = await self.lookup(client, team, user_id)
        return entry.person if entry is not None else None

    async def member(self, client: AsyncWebClient, team: str, user_id: str) -> Person | None:
        """The user when they are a member of workspace `team`; None (and why, in the log) when not."""
        entry = await self.lookup(client, team, user_id)
        if entry is None:
            return None
        refusal = entry.refusal(team)
        if refusal is not None:
            log.info("%s mentioned in %s is %s: refused", user_id, team, refusal)
            return None
        return entry.person

    def resolver(self, client: AsyncWebClient, team: str, mentions: Collection[str] | None = None) -> MentionResolver:
        """Mention tokens -> members of `team`. `mentions`: the tokens that were real
        mentions in Slack's text (text.command_text); anything else is no mention."""

        async def resolve(token: str) -> Person | None:
            match = MENTION.match(token)
            if match is None or (mentions is not None and token not in mentions):
                raise NotAMention(token)
            return await self.member(client, team, match.group(1))

        return resolve
