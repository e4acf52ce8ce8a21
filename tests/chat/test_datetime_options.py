"""Datetime options (issue 17): what a user types, what the API receives (RFC 3339, UTC),
the author's time zone through the platform's hook, and usage errors naming the option."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from gmbot.chat.core import Core
from gmbot.chat.help import command_help, usage
from gmbot.chat.options import AuthorZone, coerce_value, described, needs_zone, parse_datetime
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.spec.model import BotSpec, Option, OptionType, Relative
from tests.chat.fakes import FakeBackend

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")  # UTC+1 in winter, UTC+2 in summer


@pytest.mark.parametrize(
    ("text", "relative", "zone", "sent"),
    [
        ("2026-11-01", Relative.PAST, UTC, "2026-11-01T00:00:00Z"),
        ("2026-11-01", Relative.PAST, PARIS, "2026-10-31T23:00:00Z"),
        ("2026-07-01 18:00", Relative.PAST, PARIS, "2026-07-01T16:00:00Z"),  # summer time
        ("2026-11-01T18:00", Relative.PAST, UTC, "2026-11-01T18:00:00Z"),
        ("2026-11-01 18:00Z", Relative.PAST, PARIS, "2026-11-01T18:00:00Z"),  # says its zone
        ("2026-11-01 18:00 +05:30", Relative.PAST, PARIS, "2026-11-01T12:30:00Z"),
        ("7d", Relative.PAST, PARIS, "2026-11-25T09:30:00Z"),
        ("7d", Relative.FUTURE, UTC, "2026-12-09T09:30:00Z"),
        ("2h30m", Relative.PAST, UTC, "2026-12-02T07:00:00Z"),
        ("in 2h", Relative.PAST, UTC, "2026-12-02T11:30:00Z"),
        ("3 days ago", Relative.FUTURE, UTC, "2026-11-29T09:30:00Z"),
        ("-1w", Relative.FUTURE, UTC, "2026-11-25T09:30:00Z"),
        ("+90m", Relative.PAST, UTC, "2026-12-02T11:00:00Z"),
        ("now", Relative.PAST, PARIS, "2026-12-02T09:30:00Z"),
        ("today", Relative.PAST, PARIS, "2026-12-01T23:00:00Z"),
        ("Yesterday", Relative.PAST, UTC, "2026-12-01T00:00:00Z"),
        ("18:00", Relative.PAST, UTC, "2026-12-02T18:00:00Z"),
    ],
)
def test_what_the_user_types_and_the_api_receives(text: str, relative: Relative, zone: object, sent: str) -> None:
    assert parse_datetime(text, relative, zone, NOW) == sent  # type: ignore[arg-type]
    datetime.fromisoformat(sent)  # RFC 3339, as the API's date-time


@pytest.mark.parametrize(
    ("text", "why"),
    [("2026-13-45", "month must be in 1..12"), ("2026-02-30", "day is out of range"), ("25:00", "no such time"),
     ("7x", "'x' is not a unit of time"), ("soon", ""), ("2026-11-01 18:00 +25:00", "not a time zone offset")],
)
def test_invalid_input_says_why(text: str, why: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_datetime(text, Relative.PAST, UTC, NOW)
    assert why in str(caught.value)


def test_only_days_and_times_of_day_need_the_zone() -> None:
    assert needs_zone("2026-11-01") and needs_zone("18:00") and needs_zone("today")
    assert not needs_zone("7d") and not needs_zone("now") and not needs_zone("in 2h")


async def test_the_zone_is_asked_once_and_only_when_needed() -> None:
    asked: list[int] = []

    async def zone() -> str | None:
        asked.append(1)
        return "Europe/Paris"

    since = Option(name="since", type=OptionType.DATETIME, description="Since")
    cache = AuthorZone(zone)
    relative = await coerce_value(since, "history", "7d", _no_members, cache)
    assert not asked and relative.endswith("Z")
    assert await coerce_value(since, "history", "2026-11-01", _no_members, cache) == "2026-10-31T23:00:00Z"
    assert await coerce_value(since, "history", "2026-11-02", _no_members, cache) == "2026-11-01T23:00:00Z"
    assert len(asked) == 1


async def test_a_zone_the_platform_cannot_tell_is_utc() -> None:
    async def broken() -> str | None:
        raise RuntimeError("users.info is down")

    async def unknown() -> str | None:
        return "Mars/Olympus"

    since = Option(name="since", type=OptionType.DATETIME, description="Since")
    for lookup in (broken, unknown, None):
        assert await coerce_value(since, "history", "2026-11-01", _no_members, AuthorZone(lookup)) == "2026-11-01T00:00:00Z"


async def _no_members(token: str) -> Person | None:
    return None


INV = Invocation("discord", author=Person("11", "alice"), server=Place("1", "Wolves"), channel=Place("7", "wars"),
                 id="1")


async def test_history_since_reaches_the_api_as_rfc3339_in_the_authors_zone(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json={"serverId": "1", "items": [], "total": 0, "limit": 10,
                                                      "offset": 0})

    async def paris() -> str | None:
        return "Europe/Paris"

    inv = Invocation("slack", author=INV.author, server=INV.server, channel=INV.channel, id="2", zone=paris)
    core = Core(spec, fake.client(), "slack")
    outcome = await core.run_prefix("history", "-since 2026-11-01 -until 2026-12-01 18:00", inv)
    assert outcome.kind == "reply", outcome.card
    params = fake.requests[0].url.params
    assert params["since"] == "2026-10-31T23:00:00Z" and params["until"] == "2026-12-01T17:00:00Z"
    before = datetime.now(UTC)
    await core.run("history", {"since": "7d"}, INV)  # a slash value: the same parsing
    sent = datetime.fromisoformat(fake.requests[1].url.params["since"])
    assert timedelta(days=7, seconds=-5) < before - sent < timedelta(days=7, seconds=5)


async def test_an_impossible_date_is_a_usage_error_naming_the_option(spec: BotSpec, fake: FakeBackend) -> None:
    outcome = await Core(spec, fake.client(), "discord").run_prefix("history", "-since 2026-13-45", INV)
    assert outcome.kind == "usage" and not fake.requests
    assert "-since must be a date like 2026-11-01" in outcome.card.title
    assert "month must be in 1..12" in outcome.card.title
    assert "Unprocessable" not in outcome.card.title
    assert "[-since <when>]" in outcome.card.fields[0].value  # the usage line, with the placeholder


def test_help_shows_the_format_and_placeholders(spec: BotSpec) -> None:
    command = spec.command("history")
    assert command is not None
    line = usage(spec.bot.prefix, command)
    assert "-opponent <clan id>" in line and "-since <when>" in line
    fields = {f.name: f.value for f in command_help(spec, command).fields}
    assert "2026-11-01 18:00 or 7d ago" in fields["-since"]
    since = next(o for o in command.options if o.name == "since")
    assert described(since).startswith(since.description) and "7d ago" in described(since)
