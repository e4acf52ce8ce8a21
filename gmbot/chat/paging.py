"""Paging: the Prev / Next buttons under a command's card over a list (spec `paging:`).

A page button carries everything its click needs in its custom id, like any button, so it
works after a restart and on another replica: the command, the reply status whose card
declared the paging, which button, and the values of the command's options (the one the
buttons move first, then the others in declared order; an option at its default is null,
trailing nulls dropped):

    gm:["p","ranking","200",1,[20,4,2]]

A click re-runs the command with those options as the clicking user, and its card replaces
the one clicked (`Outcome.replaces`), each front end editing the message in place. The
buttons are left off where there is nothing before (the first page) or after (`total`
reached, or no next cursor).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from gmbot.chat.cards import CardRenderer
from gmbot.chat.i18n import N_
from gmbot.chat.vocabulary import RenderedButton, RenderedCard
from gmbot.spec.model import Command, Option, OptionType, Paging

log = logging.getLogger("gmbot.chat.paging")

KIND = "p"  # the custom id's kind: a page button (the core's others: "c", "e", "b")
PREVIOUS, NEXT = 0, 1
LABELS = {PREVIOUS: N_("◀ Previous"), NEXT: N_("Next ▶")}


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def page_size(paging: Paging, options: Mapping[str, Any]) -> int | None:
    size = options.get(paging.limit) if isinstance(paging.limit, str) else paging.limit
    size = _as_int(size)
    return size if size is not None and size > 0 else None


def targets(paging: Paging, options: Mapping[str, Any], scope: Mapping[str, Any],
            renderer: CardRenderer) -> dict[int, Any]:
    """Where each button leads (PREVIOUS / NEXT -> the moved option's value); a button with
    nowhere to go is absent."""
    found: dict[int, Any] = {}
    if paging.cursor:
        for which, expression in ((NEXT, paging.next), (PREVIOUS, paging.previous)):
            cursor = renderer.value(expression, scope) if expression else None
            if isinstance(cursor, int | str) and not isinstance(cursor, bool) and str(cursor):
                found[which] = str(cursor)
        return found
    size = page_size(paging, options)
    total = _as_int(renderer.value(paging.total, scope)) if paging.total else None
    if size is None:
        return found
    if paging.offset:
        offset = _as_int(options.get(paging.offset)) or 0
        if offset > 0:
            found[PREVIOUS] = max(0, offset - size)
        if total is not None and offset + size < total:
            found[NEXT] = offset + size
    elif paging.page:
        page = _as_int(options.get(paging.page)) or 1
        if page > 1:
            found[PREVIOUS] = page - 1
        if total is not None and page * size < total:
            found[NEXT] = page + 1
    return found


def _others(command: Command, paging: Paging) -> list[Option]:
    return [o for o in command.options if o.name != paging.option]


def carried(command: Command, paging: Paging, options: Mapping[str, Any]) -> list[Any]:
    """The other options' values a page button keeps (null at the default), trailing nulls off."""
    values = [None if options.get(o.name) == o.default else options.get(o.name) for o in _others(command, paging)]
    while values and values[-1] is None:
        values.pop()
    return values


def add_buttons(card: RenderedCard, paging: Paging, command: Command, status: str, options: Mapping[str, Any],
                scope: Mapping[str, Any], renderer: CardRenderer, prefix: str, limit: int) -> None:
    """Append the page buttons that have somewhere to go, each with its custom id."""
    kept = carried(command, paging, options)
    index = len(card.buttons)
    for which, target in sorted(targets(paging, options, scope, renderer).items()):
        custom_id = prefix + json.dumps([KIND, command.name, status, which, [target, *kept]],
                                        separators=(",", ":"), ensure_ascii=False)
        if len(custom_id) > limit:
            log.warning("the %s button of %s is too long to post (%d characters)", LABELS[which],
                        command.name, len(custom_id))
            continue
        label = renderer.locales.catalog(renderer.locale).gettext(LABELS[which])  # the card's language
        card.buttons.append(RenderedButton(label, "secondary", index, custom_id, page=which))
        index += 1


def options_of(command: Command, paging: Paging, values: list[Any], defaults: Mapping[str, Any]) -> dict[str, Any] | None:
    """A page button's options back (None when its values are not what such a button holds:
    a forged or out-of-date custom id)."""
    if not values:
        return None
    target, *rest = values
    if paging.cursor:
        if not isinstance(target, str) or not target:
            return None
    elif _as_int(target) is None or target < (0 if paging.offset else 1):
        return None
    others = _others(command, paging)
    if len(rest) > len(others):
        return None
    options = dict(defaults)
    for option, value in zip(others, rest, strict=False):
        if value is not None:
            options[option.name] = value
    options[paging.option] = target
    return options


def paged_kinds() -> dict[str, set[OptionType]]:
    """Which option types each way of paging moves (the generator checks against it)."""
    return {"offset": {OptionType.INTEGER}, "page": {OptionType.INTEGER}, "cursor": {OptionType.STRING}}
