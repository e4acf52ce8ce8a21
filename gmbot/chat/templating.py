"""The one Jinja2 environment card templates live in, with the card filters.

The runtime renders cards with `card_environment()` and the generator compiles
every card template with it too, so a template that passes `gmbot generate`
(syntax, filter and test names) renders the same way in the bot: there is no
second copy of the filter list to drift.

What a `{{ ... }}` writes is data (gmbot/chat/markup.py): the environment's `finalize`
marks it, so no value can become markup on any platform; only a trusted filter's
output (the `time` marker) stays the author's.

Each locale has its environment (`card_environment(catalog)`), with Jinja's i18n extension
(`{% trans %}`, `{% pluralize %}`, `_()`) answering from that locale's catalog. A
`{% trans name=reply.name %}` block keeps values as data: its gettext marks each variable
as `finalize` would and the translated sentence around them as the author's text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import ChainableUndefined, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from gmbot.chat.commands import command
from gmbot.chat.i18n import ENGLISH, Catalog
from gmbot.chat.markup import Trusted, finalize
from gmbot.chat.times import time
from gmbot.spec.model import SECONDS_PER_UNIT

# Largest first: a duration is shown in its largest unit and the next one ("1 h 30 min").
_UNITS = (("day", 86400), ("h", 3600), ("min", 60), ("s", 1))


def _amount(count: int, unit: str, t: Catalog = ENGLISH) -> str:
    if unit == "day":
        return t.ngettext("{n} day", "{n} days", count).format(n=count)
    if unit == "h":
        return t.gettext("{n} h").format(n=count)
    if unit == "min":
        return t.gettext("{n} min").format(n=count)
    return t.gettext("{n} s").format(n=count)


def _seconds_text(seconds: int, t: Catalog = ENGLISH) -> str:
    for i, (unit, size) in enumerate(_UNITS[:-1]):
        if seconds < size:
            continue
        step_unit, step = _UNITS[i + 1]
        rounded = (seconds + step // 2) // step * step  # half up: 89.5 min is "1 h 30 min"
        if i and rounded >= _UNITS[i - 1][1]:  # 23 h 59.7 min rounds up to a day
            return _seconds_text(rounded, t)
        big, rest = divmod(rounded, size)
        return _amount(big, unit, t) + (f" {_amount(rest // step, step_unit, t)}" if rest else "")
    return _amount(seconds, "s", t)


def duration(value: Any, unit: str = "hours", t: Catalog = ENGLISH) -> str:
    """A number of `unit` (hours by default, as the spec's durations) as text: 1.5 -> "1 h 30 min".

    Not a number (a missing field, a string from an odd reply) -> shown as it is.
    """
    if value is None or isinstance(value, Undefined):
        return ""
    if unit not in SECONDS_PER_UNIT:
        raise ValueError(f"duration: unknown unit {unit!r} (one of {', '.join(SECONDS_PER_UNIT)})")
    try:
        amount = float(value)
    except (TypeError, ValueError):
        return str(value)
    if isinstance(value, bool) or amount != amount or abs(amount) == float("inf"):
        return str(value)
    seconds = int(abs(amount) * SECONDS_PER_UNIT[unit] + 0.5)
    return ("-" if amount < 0 and seconds else "") + _seconds_text(seconds, t)


def names(value: Any, attribute: str = "name", separator: str = ", ") -> str:
    """People as text: [{id, name}, ...] -> "alice, bob"; one {id, name} -> "alice".

    An entry without `attribute` shows its id; plain strings are shown as they are.
    """
    if value is None or isinstance(value, Undefined):
        return ""
    if isinstance(value, Mapping | str) or not isinstance(value, Iterable):
        value = [value]
    items = list(value)
    shown = []
    for item in items:
        if isinstance(item, Mapping):
            item = item.get(attribute) or item.get("id") or ""
        shown.append(str(item))
    return separator.join(text for text in shown if text)


CARD_FILTERS = {"duration": duration, "names": names, "time": time}
CARD_GLOBALS = {"command": command}  # a command named in the platform's syntax (gmbot/chat/commands.py)


def _filled(translated: str, variables: dict[str, Any]) -> Trusted:
    """A translated sentence (the author's text) with its `%(name)s` values as data."""
    return Trusted(translated % {name: finalize(value) for name, value in variables.items()})


def gettext_callables(t: Catalog) -> dict[str, Any]:
    """What `{% trans %}` and `_()` call in a card template (Jinja's "newstyle" gettext:
    the call itself fills in the variables)."""

    def gettext(message: str, **variables: Any) -> Trusted:
        return _filled(t.gettext(message), variables)

    def ngettext(singular: str, plural: str, num: Any, **variables: Any) -> Trusted:
        count = _count(num)
        variables.setdefault("num", num)
        return _filled(t.ngettext(singular, plural, count), variables)

    def pgettext(context: str, message: str, **variables: Any) -> Trusted:
        return _filled(t.pgettext(context, message), variables)

    def npgettext(context: str, singular: str, plural: str, num: Any, **variables: Any) -> Trusted:
        variables.setdefault("num", num)
        return _filled(t.npgettext(context, singular, plural, _count(num)), variables)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext, "pgettext": pgettext, "npgettext": npgettext}


def _count(num: Any) -> int:
    """A plural's number as gettext wants it: a missing or odd value counts as many."""
    try:
        return int(float(num))
    except (TypeError, ValueError):
        return 2


def card_environment(catalog: Catalog = ENGLISH) -> ImmutableSandboxedEnvironment:
    """A new sandboxed environment for card templates in one locale (callers keep and reuse it).

    ChainableUndefined: `reply.host.name` on an error reply renders as "" instead of failing.
    """
    env = ImmutableSandboxedEnvironment(undefined=ChainableUndefined, autoescape=False, finalize=finalize,
                                        extensions=["jinja2.ext.i18n"])
    env.filters.update(CARD_FILTERS)
    env.filters["duration"] = lambda value, unit="hours": duration(value, unit, catalog)
    env.globals.update(gettext_callables(catalog))
    env.newstyle_gettext = True  # type: ignore[attr-defined]  # the i18n extension's own switch
    env.globals.update(CARD_GLOBALS)
    return env
