"""Options: the original prefix syntax and one coercion shared by every front end.

`split_flags` turns `-players @P1 @P2 -game 4 -duration 12 -type ft3` into raw
strings per option; `coerce_options` turns raw values (prefix strings or slash
values) into the typed values the request is built from, applying spec
defaults and bounds. Every mistake is a `UsageError` carrying its data; nothing
here talks to the backend.
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from gmbot.chat.i18n import N_, Words, said
from gmbot.chat.vocabulary import Person, ZoneLookup
from gmbot.spec.model import SECONDS_PER_UNIT, Command, DurationUnit, Option, OptionType, Relative

log = logging.getLogger("gmbot.chat.options")


class UsageError(Exception):
    """The user typed something the command cannot take; shown with the usage line.

    `message` is `Words` (or several, joined) the reader's catalog translates where the card
    is shown (`message_in`); `.message` is the English text."""

    def __init__(
        self,
        message: str | Words | tuple[Words, ...],
        *,
        command: str | None = None,
        option: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        self.words = (message,) if isinstance(message, Words) else message if isinstance(message, tuple) else ()
        self.message = said(self.words) if self.words else str(message)
        super().__init__(self.message)
        self.command = command
        self.option = option
        self.suggestion = suggestion

    def message_in(self, gettext: Callable[[str], str]) -> str:
        return said(self.words, gettext) if self.words else self.message


class NotAMention(Exception):
    """A resolver's answer for a token that is no mention in its platform's syntax."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.token = token


# A front end's mentions: resolves a token in its platform's syntax (Discord's "<@123>",
# Slack's "<@U123|ana>", the playground's "@alice") to a member of the current server;
# None when it names nobody there; raises NotAMention when it is not a mention at all.
MentionResolver = Callable[[str], Awaitable[Person | None]]

RESOLVE_AT_ONCE = 8  # mentions looked up together (a platform's API may be asked for each)

# the prefix syntax: the generator checks the spec's examples with these too
FLAG = re.compile(r"^--?([A-Za-z][A-Za-z0-9_-]*)$")
TOKEN = re.compile(r'"[^"]*"?|\S+')
_SMART_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"'})
_SMART_DASH = re.compile(r"(?<!\S)[\u2013\u2014](?=[A-Za-z])")  # phones turn "--game" into "—game"
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_DURATION = re.compile(r"^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$", re.IGNORECASE)
_SECONDS = {  # every suffix a user may type, by the unit it abbreviates
    **dict.fromkeys(["s", "sec", "secs", "second", "seconds"], SECONDS_PER_UNIT["seconds"]),
    **dict.fromkeys(["m", "min", "mins", "minute", "minutes"], SECONDS_PER_UNIT["minutes"]),
    **dict.fromkeys(["h", "hr", "hrs", "hour", "hours"], SECONDS_PER_UNIT["hours"]),
    **dict.fromkeys(["d", "day", "days"], SECONDS_PER_UNIT["days"]),
}


# a datetime option: what help and Discord's option description show as its format
DATETIME_EXAMPLES = {
    Relative.PAST: "2026-11-01, 2026-11-01 18:00 or 7d ago",
    Relative.FUTURE: "2026-11-01, 2026-11-01 18:00 or in 2h",
}
_WEEK = 7 * SECONDS_PER_UNIT["days"]
_TIME_UNITS = {**_SECONDS, **dict.fromkeys(["w", "wk", "wks", "week", "weeks"], _WEEK)}
_AMOUNT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*([a-z]+)")
_AMOUNTS = re.compile(r"(?:(?:\d+(?:\.\d+)?|\.\d+)\s*[a-z]+\s*)+")
_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_ABSOLUTE = re.compile(r"(?:(?P<date>\d{4}-\d{1,2}-\d{1,2})(?:[ T]+(?P<clock>\d{1,2}:\d{2}(?::\d{2})?)(?:\.\d+)?)?"
                       r"|(?P<only>\d{1,2}:\d{2}(?::\d{2})?))\s*(?P<zone>Z|UTC|[+-]\d{2}:?\d{2})?", re.IGNORECASE)
_DAYS = {"today": 0, "yesterday": -1, "tomorrow": 1}
# integer bounds this large mean "any": an int32/int64 maximum says no more than the type does
_NO_BOUND = 2**31 - 1


def format_hint(option: Option) -> str | None:
    """What a slash option's description adds so the user sees the format to type (datetime)."""
    if option.type is OptionType.DATETIME:
        return f"e.g. {DATETIME_EXAMPLES[option.relative]}"
    return None


def described(option: Option) -> str:
    """The option's description as a slash command shows it: with its format hint, if any."""
    hint = format_hint(option)
    return f"{option.description} ({hint})" if hint else option.description


def number_text(value: float) -> str:
    """A bound as people write it: 2147483647, not 2.14748e+09; 0.5 stays 0.5."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def shown_bounds(option: Option) -> tuple[float | None, float | None]:
    """The bounds worth telling a user: an integer's min/max at the type's own limit
    (2147483647, written to match the API's int32) is no bound to them."""
    low, high = option.min, option.max
    if option.type in (OptionType.INTEGER, OptionType.INTEGERS):
        if high is not None and high >= _NO_BOUND:
            high = None
        if low is not None and low <= -_NO_BOUND - 1:
            low = None
    return low, high


def nearest(word: str, candidates: list[str]) -> str | None:
    matches = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.5)
    return matches[0] if matches else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def split_flags(command: Command, args: str, local: Mapping[str, str] | None = None) -> dict[str, str]:
    """`-name value words -other v` -> {"name": "value words", "other": "v"}.

    `local` maps localized flag names (unambiguous ones, gmbot/chat/i18n.py) to the options'.

    Text before the first flag belongs to the first option. Double quotes keep
    a value with flag-like words together (`-message "see you -later"`).
    """
    args = _SMART_DASH.sub("-", args.translate(_SMART_QUOTES))
    names = {o.name: o for o in command.options}
    pieces: list[tuple[str, int, int]] = []  # (flag, start of value, end of flag token)
    for match in TOKEN.finditer(args):
        found = FLAG.match(match.group())
        if found:
            flag = found.group(1).lower()
            pieces.append(((local or {}).get(flag, flag), match.end(), match.start()))
    raw: dict[str, str] = {}
    first_start = pieces[0][2] if pieces else len(args)
    leading = args[:first_start].strip()
    if leading:
        if not command.options:
            raise UsageError(Words(N_("`{command}` takes no options, got '{text}'"),
                                   {"command": command.name, "text": leading}), command=command.name)
        raw[command.options[0].name] = _unquote(leading)
    for index, (flag, value_start, _) in enumerate(pieces):
        value_end = pieces[index + 1][2] if index + 1 < len(pieces) else len(args)
        if flag not in names:
            hint = nearest(flag, list(names))
            previous = names.get(pieces[index - 1][0]) if index else None
            quoting = (
                f' (text with dashes goes in quotes: -{previous.name} "…")'
                if previous is not None and previous.type is OptionType.STRING
                else ""
            )
            raise UsageError(
                (Words(N_("unknown flag -{flag}"), {"flag": flag}),
                 *((Words(N_(": did you mean -{hint}?"), {"hint": hint}),) if hint else ()),
                 *((Words(N_(' (text with dashes goes in quotes: -{option} "…")'), {"option": previous.name}),)
                   if quoting and previous is not None else ())),
                command=command.name,
                option=flag,
                suggestion=f"-{hint}" if hint else None,
            )
        if flag in raw:
            raise UsageError(Words(N_("-{flag} is given twice"), {"flag": flag}), command=command.name, option=flag)
        value = _unquote(args[value_start:value_end])
        if not value and names[flag].type is not OptionType.BOOLEAN:
            raise UsageError(Words(N_("-{flag} needs a value"), {"flag": flag}), command=command.name, option=flag)
        raw[flag] = value or "true"
    return raw


def parse_duration(text: str, unit: DurationUnit) -> float:
    """"12" (in `unit`), "12h", "90m", "1.5d", "30s" -> a number of `unit`s."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(text)
    amount, suffix = float(match.group(1)), match.group(2).lower()
    if not suffix:
        return amount
    if suffix not in _SECONDS:
        raise ValueError(text)
    return round(amount * _SECONDS[suffix] / _SECONDS[unit.value], 6)  # unit names are suffixes too


async def _person(option: Option, command: str, token: Any, resolve: MentionResolver) -> Person:
    if isinstance(token, Person):
        return token
    if isinstance(token, Mapping) and "id" in token:
        return Person(str(token["id"]), str(token.get("name", token["id"])))
    text = str(token)
    try:
        person = await resolve(text)
    except NotAMention:
        raise UsageError(
            Words(N_("-{option}: '{text}' is not a mention; mention members like @name"),
                  {"option": option.name, "text": text}),
            command=command,
            option=option.name,
        ) from None
    if person is None:
        raise UsageError(
            Words(N_("-{option}: {text} is not a member of this server"), {"option": option.name, "text": text}),
            command=command,
            option=option.name,
        )
    return person


async def _people(option: Option, command: str, tokens: list[Any], resolve: MentionResolver) -> list[Person]:
    """The people of `tokens`, looked up RESOLVE_AT_ONCE at a time (a front end may ask
    its platform for each); the first token's error, in order, when several fail."""
    limit = asyncio.Semaphore(RESOLVE_AT_ONCE)

    async def one(token: Any) -> Person:
        async with limit:
            return await _person(option, command, token, resolve)

    found = await asyncio.gather(*(one(t) for t in tokens), return_exceptions=True)
    for item in found:
        if isinstance(item, BaseException):
            raise item
    return [item for item in found if isinstance(item, Person)]


def _check_bounds(option: Option, command: str, value: float) -> None:
    if option.min is not None and value < option.min:
        raise UsageError(Words(N_("-{option} must be at least {min}"), {"option": option.name, "min": number_text(option.min)}),
                         command=command, option=option.name)
    if option.max is not None and value > option.max:
        raise UsageError(Words(N_("-{option} must be at most {max}"), {"option": option.name, "max": number_text(option.max)}),
                         command=command, option=option.name)


class AuthorZone:
    """The author's time zone, asked of the platform at most once, and only when a datetime
    option needs it (an absolute date, `today`): UTC when the platform cannot say."""

    def __init__(self, lookup: ZoneLookup | None) -> None:
        self.lookup = lookup
        self.zone: tzinfo | None = None

    async def get(self) -> tzinfo:
        if self.zone is None:
            name = None
            if self.lookup is not None:
                try:
                    name = await self.lookup()
                except Exception:  # a platform that cannot tell the zone now: UTC, as documented
                    log.warning("the author's time zone could not be looked up: using UTC", exc_info=True)
            self.zone = UTC
            if name:
                try:
                    self.zone = ZoneInfo(name)
                except (ZoneInfoNotFoundError, ValueError):
                    log.info("unknown time zone %r: using UTC", name)
        return self.zone


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def needs_zone(text: str) -> bool:
    """Whether `text` names a day or a time of day (read in the author's zone), not a time from now."""
    words = text.strip().lower()
    return bool(_DATE.search(words) or _CLOCK.search(words)) or words in _DAYS


def parse_datetime(text: str, relative: Relative, zone: tzinfo = UTC, now: datetime | None = None) -> str:
    """`2026-11-01`, `2026-11-01 18:00` (in the author's zone unless it says `Z`/`+01:00`),
    `18:00` (today), `now`, `today`, `yesterday`, `tomorrow`, and times from now: `7d`, `2h30m`,
    `1w` (back for a `past` option, forward for `future`; `7d ago`, `in 2h`, `-7d`, `+2h` say
    it themselves) -> an RFC 3339 date-time in UTC. ValueError(why) when it is none of these."""
    words = " ".join(text.strip().lower().split())
    now = now or datetime.now(UTC)
    if words == "now":
        return _rfc3339(now)
    if words in _DAYS:
        local = now.astimezone(zone)
        shifted = local.date() + timedelta(days=_DAYS[words])
        return _rfc3339(datetime.combine(shifted, datetime.min.time(), local.tzinfo))
    sign = -1 if relative is Relative.PAST else 1
    amounts = words
    if amounts.startswith("in "):
        sign, amounts = 1, amounts[3:]
    elif amounts.endswith(" ago"):
        sign, amounts = -1, amounts[:-4]
    elif amounts[:1] in "+-" and amounts[1:2].isdigit():
        sign, amounts = (1 if amounts[0] == "+" else -1), amounts[1:]
    if _AMOUNTS.fullmatch(amounts):
        seconds = 0.0
        for amount, unit in _AMOUNT.findall(amounts):
            if unit not in _TIME_UNITS:
                raise ValueError(f"'{unit}' is not a unit of time (s, m, h, d, w)")
            seconds += float(amount) * _TIME_UNITS[unit]
        try:
            return _rfc3339(now + timedelta(seconds=sign * seconds))
        except OverflowError:
            raise ValueError("that is too far from now") from None
    found = _ABSOLUTE.fullmatch(words)
    if found is None:
        raise ValueError("")
    local_zone = zone
    if found.group("only"):
        day: date = now.astimezone(local_zone).date()
        clock = found.group("only")
    else:
        year, month, day_of_month = (int(n) for n in _DATE.fullmatch(found.group("date")).groups())  # type: ignore[union-attr]
        try:
            day = date(year, month, day_of_month)
        except ValueError as error:  # "month must be in 1..12"
            raise ValueError(f"there is no such day ({error})") from None
        clock = found.group("clock") or "0:00"
    hour, minute, second = (int(n or 0) for n in _CLOCK.fullmatch(clock).groups())  # type: ignore[union-attr]
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"there is no such time of day ({clock})")
    written = found.group("zone")
    if written:
        written = written.upper()
        if written in ("Z", "UTC"):
            local_zone = UTC
        else:
            hours, minutes = int(written[1:3]), int(written[-2:])
            if hours > 23 or minutes > 59:
                raise ValueError(f"{written} is not a time zone offset")
            offset = timedelta(hours=hours, minutes=minutes) * (1 if written[0] == "+" else -1)
            local_zone = timezone(offset)
    return _rfc3339(datetime.combine(day, datetime.min.time().replace(hour=hour, minute=minute, second=second),
                                     local_zone))



def _check_count(option: Option, command: str, values: list[Any]) -> list[Any]:
    """A list option's `min_items`/`max_items` (counted once duplicates are dropped)."""
    if option.max_items is not None and len(values) > option.max_items:
        raise UsageError(Words(N_("-{option} takes at most {most} (got {count})"),
                               {"option": option.name, "most": option.max_items, "count": len(values)}),
                         command=command, option=option.name)
    if option.min_items is not None and len(values) < option.min_items:
        raise UsageError(Words(N_("-{option} needs at least {least} (got {count})"),
                               {"option": option.name, "least": option.min_items, "count": len(values)}),
                         command=command, option=option.name)
    return values


async def coerce_value(option: Option, command: str, value: Any, resolve: MentionResolver,
                       zone: AuthorZone | None = None) -> Any:
    def bad(what: Words) -> UsageError:
        return UsageError(Words(N_("-{option} must be {what}, got '{value}'"),
                                {"option": option.name, "what": what, "value": value}), command=command, option=option.name)

    kind = option.type
    if kind is OptionType.STRING:
        text = str(value)
        if option.min_length is not None and len(text) < option.min_length:
            raise UsageError(Words(N_("-{option} must be at least {length} characters"),
                                   {"option": option.name, "length": option.min_length}), command=command, option=option.name)
        if option.max_length is not None and len(text) > option.max_length:
            raise UsageError(Words(N_("-{option} must be at most {length} characters"),
                                   {"option": option.name, "length": option.max_length}), command=command, option=option.name)
        if "\x00" in text:  # no backend wants one; the generator relies on it (generator/bounds.py)
            raise UsageError(Words(N_("-{option} cannot contain a NUL character"), {"option": option.name}),
                             command=command, option=option.name)
        if option.pattern is not None and re.search(option.pattern, text) is None:
            raise UsageError(Words(N_("-{option}: '{text}' is not a valid value ({description})"),
                                   {"option": option.name, "text": text, "description": Words(option.description)}),
                             command=command, option=option.name)
        return text
    if kind is OptionType.INTEGER:
        if isinstance(value, bool):
            raise bad(Words(N_("a whole number")))
        try:
            number: float = int(str(value).strip())
        except ValueError:
            raise bad(Words(N_("a whole number"))) from None
        _check_bounds(option, command, number)
        return number
    if kind in (OptionType.NUMBER, OptionType.DURATION):
        try:
            if kind is OptionType.NUMBER or isinstance(value, int | float):
                number = float(value)
            else:
                number = parse_duration(str(value), option.unit)
        except (TypeError, ValueError):
            what = Words(N_("a number")) if kind is OptionType.NUMBER else Words(
                N_("a duration like 12, 90m or 1.5h ({unit} by default)"), {"unit": Words(option.unit.value)})
            raise bad(what) from None
        _check_bounds(option, command, number)
        return int(number) if number.is_integer() else number
    if kind is OptionType.DATETIME:
        try:
            text = str(value)
            author_zone = await zone.get() if zone is not None and needs_zone(text) else UTC
            return parse_datetime(text, option.relative, author_zone)
        except ValueError as error:
            why = f": {error}" if str(error) else ""
            raise UsageError(Words(N_("-{option} must be a date like {examples}, got '{value}'{why}"),
                                   {"option": option.name, "examples": DATETIME_EXAMPLES[option.relative],
                                    "value": value, "why": why}), command=command, option=option.name) from None
    if kind is OptionType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise bad(Words(N_("yes or no")))
    if kind is OptionType.CHOICE:
        for choice in option.choices:
            if str(value).lower() in (str(choice.value).lower(), choice.name.lower()):
                return choice.value
        allowed = ", ".join(str(c.value) for c in option.choices)
        raise bad(Words(N_("one of {allowed}"), {"allowed": allowed}))
    if kind is OptionType.INTEGERS:
        items = value if isinstance(value, list) else [t for t in re.split(r"[,\s]+", str(value)) if t]
        try:
            numbers = [int(str(item)) for item in items]
        except ValueError:
            raise bad(Words(N_("whole numbers separated by commas, like 4,5"))) from None
        if not numbers:
            raise bad(Words(N_("at least one number")))
        for item in numbers:
            _check_bounds(option, command, item)
        return _check_count(option, command, list(dict.fromkeys(numbers)))
    if kind is OptionType.USER:
        tokens = value.split() if isinstance(value, str) else [value]
        if len(tokens) != 1:
            raise bad(Words(N_("exactly one mention")))
        return (await _person(option, command, tokens[0], resolve)).to_json()
    if kind is OptionType.USERS:
        tokens = value.split() if isinstance(value, str) else list(value)
        texts = {t: None for t in tokens if isinstance(t, str)}  # the same mention twice is one person
        distinct = [*texts, *(t for t in tokens if not isinstance(t, str))]
        if option.max_items is not None and len(distinct) > option.max_items:
            _check_count(option, command, distinct)  # before any lookup: 50 mentions cost no API calls
        people: dict[str, Person] = {}
        for person in await _people(option, command, distinct, resolve):
            people.setdefault(person.id, person)
        if not people:
            raise bad(Words(N_("at least one mention")))
        return _check_count(option, command, [p.to_json() for p in people.values()])
    raise UsageError(f"-{option.name}: unsupported option type {kind}", command=command)  # pragma: no cover


async def default_of(option: Option, command: str, resolve: MentionResolver, zone: AuthorZone | None = None) -> Any:
    """An option's value when it is not given: its default, coerced (`"24h"` -> 24.0), or None."""
    default = option.default
    if isinstance(default, str) and option.type not in (OptionType.STRING, OptionType.CHOICE):
        default = await coerce_value(option, command, default, resolve, zone)
    return default


async def coerce_options(command: Command, raw: Mapping[str, Any], resolve: MentionResolver,
                         zone: ZoneLookup | None = None) -> dict[str, Any]:
    """Typed option values by name; absent optional options get their default (or None).
    `zone`: the author's time zone, where the platform can tell it (datetime options)."""
    values: dict[str, Any] = {}
    author_zone = AuthorZone(zone)
    for option in command.options:
        value = raw.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if option.required:
                raise UsageError(Words(N_("missing required option -{option}"), {"option": option.name}),
                                 command=command.name, option=option.name)
            values[option.name] = await default_of(option, command.name, resolve, author_zone)
            continue
        values[option.name] = await coerce_value(option, command.name, value, resolve, author_zone)
    return values
