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
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from gmbot.chat.vocabulary import Person
from gmbot.spec.model import SECONDS_PER_UNIT, Command, DurationUnit, Option, OptionType


class UsageError(Exception):
    """The user typed something the command cannot take; shown with the usage line."""

    def __init__(
        self,
        message: str,
        *,
        command: str | None = None,
        option: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.command = command
        self.option = option
        self.suggestion = suggestion


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


def nearest(word: str, candidates: list[str]) -> str | None:
    matches = difflib.get_close_matches(word.lower(), candidates, n=1, cutoff=0.5)
    return matches[0] if matches else None


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def split_flags(command: Command, args: str) -> dict[str, str]:
    """`-name value words -other v` -> {"name": "value words", "other": "v"}.

    Text before the first flag belongs to the first option. Double quotes keep
    a value with flag-like words together (`-message "see you -later"`).
    """
    args = _SMART_DASH.sub("-", args.translate(_SMART_QUOTES))
    names = {o.name: o for o in command.options}
    pieces: list[tuple[str, int, int]] = []  # (flag, start of value, end of flag token)
    for match in TOKEN.finditer(args):
        found = FLAG.match(match.group())
        if found:
            pieces.append((found.group(1).lower(), match.end(), match.start()))
    raw: dict[str, str] = {}
    first_start = pieces[0][2] if pieces else len(args)
    leading = args[:first_start].strip()
    if leading:
        if not command.options:
            raise UsageError(f"`{command.name}` takes no options, got '{leading}'", command=command.name)
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
                f"unknown flag -{flag}" + (f": did you mean -{hint}?" if hint else "") + quoting,
                command=command.name,
                option=flag,
                suggestion=f"-{hint}" if hint else None,
            )
        if flag in raw:
            raise UsageError(f"-{flag} is given twice", command=command.name, option=flag)
        value = _unquote(args[value_start:value_end])
        if not value and names[flag].type is not OptionType.BOOLEAN:
            raise UsageError(f"-{flag} needs a value", command=command.name, option=flag)
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
            f"-{option.name}: '{text}' is not a mention; mention members like @name",
            command=command,
            option=option.name,
        ) from None
    if person is None:
        raise UsageError(
            f"-{option.name}: {text} is not a member of this server",
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
        raise UsageError(f"-{option.name} must be at least {option.min:g}", command=command, option=option.name)
    if option.max is not None and value > option.max:
        raise UsageError(f"-{option.name} must be at most {option.max:g}", command=command, option=option.name)


def _check_count(option: Option, command: str, values: list[Any]) -> list[Any]:
    """A list option's `min_items`/`max_items` (counted once duplicates are dropped)."""
    if option.max_items is not None and len(values) > option.max_items:
        raise UsageError(f"-{option.name} takes at most {option.max_items} (got {len(values)})",
                         command=command, option=option.name)
    if option.min_items is not None and len(values) < option.min_items:
        raise UsageError(f"-{option.name} needs at least {option.min_items} (got {len(values)})",
                         command=command, option=option.name)
    return values


async def coerce_value(option: Option, command: str, value: Any, resolve: MentionResolver) -> Any:
    def bad(what: str) -> UsageError:
        return UsageError(f"-{option.name} must be {what}, got '{value}'", command=command, option=option.name)

    kind = option.type
    if kind is OptionType.STRING:
        text = str(value)
        if option.min_length is not None and len(text) < option.min_length:
            raise UsageError(f"-{option.name} must be at least {option.min_length} characters", command=command, option=option.name)
        if option.max_length is not None and len(text) > option.max_length:
            raise UsageError(f"-{option.name} must be at most {option.max_length} characters", command=command, option=option.name)
        if "\x00" in text:  # no backend wants one; the generator relies on it (generator/bounds.py)
            raise UsageError(f"-{option.name} cannot contain a NUL character", command=command, option=option.name)
        if option.pattern is not None and re.search(option.pattern, text) is None:
            raise UsageError(f"-{option.name}: '{text}' is not a valid value ({option.description})",
                             command=command, option=option.name)
        return text
    if kind is OptionType.INTEGER:
        if isinstance(value, bool):
            raise bad("a whole number")
        try:
            number: float = int(str(value).strip())
        except ValueError:
            raise bad("a whole number") from None
        _check_bounds(option, command, number)
        return number
    if kind in (OptionType.NUMBER, OptionType.DURATION):
        try:
            if kind is OptionType.NUMBER or isinstance(value, int | float):
                number = float(value)
            else:
                number = parse_duration(str(value), option.unit)
        except (TypeError, ValueError):
            what = "a number" if kind is OptionType.NUMBER else f"a duration like 12, 90m or 1.5h ({option.unit.value} by default)"
            raise bad(what) from None
        _check_bounds(option, command, number)
        return int(number) if number.is_integer() else number
    if kind is OptionType.BOOLEAN:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in _TRUE | _FALSE:
            return word in _TRUE
        raise bad("yes or no")
    if kind is OptionType.CHOICE:
        for choice in option.choices:
            if str(value).lower() in (str(choice.value).lower(), choice.name.lower()):
                return choice.value
        allowed = ", ".join(str(c.value) for c in option.choices)
        raise bad(f"one of {allowed}")
    if kind is OptionType.INTEGERS:
        items = value if isinstance(value, list) else [t for t in re.split(r"[,\s]+", str(value)) if t]
        try:
            numbers = [int(str(item)) for item in items]
        except ValueError:
            raise bad("whole numbers separated by commas, like 4,5") from None
        if not numbers:
            raise bad("at least one number")
        for item in numbers:
            _check_bounds(option, command, item)
        return _check_count(option, command, list(dict.fromkeys(numbers)))
    if kind is OptionType.USER:
        tokens = value.split() if isinstance(value, str) else [value]
        if len(tokens) != 1:
            raise bad("exactly one mention")
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
            raise bad("at least one mention")
        return _check_count(option, command, [p.to_json() for p in people.values()])
    raise UsageError(f"-{option.name}: unsupported option type {kind}", command=command)  # pragma: no cover


async def default_of(option: Option, command: str, resolve: MentionResolver) -> Any:
    """An option's value when it is not given: its default, coerced (`"24h"` -> 24.0), or None."""
    default = option.default
    if isinstance(default, str) and option.type not in (OptionType.STRING, OptionType.CHOICE):
        default = await coerce_value(option, command, default, resolve)
    return default


async def coerce_options(command: Command, raw: Mapping[str, Any], resolve: MentionResolver) -> dict[str, Any]:
    """Typed option values by name; absent optional options get their default (or None)."""
    values: dict[str, Any] = {}
    for option in command.options:
        value = raw.get(option.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if option.required:
                raise UsageError(f"missing required option -{option.name}", command=command.name, option=option.name)
            values[option.name] = await default_of(option, command.name, resolve)
            continue
        values[option.name] = await coerce_value(option, command.name, value, resolve)
    return values
