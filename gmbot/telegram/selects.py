"""A card's selects on Telegram, which has no menus: one inline keyboard button per option, each
select's buttons in rows of their own above the card's buttons, and the select's placeholder as
an italic line at the end of the card's text, over the keyboard (docs/spec.md, Selects).

Each option's `callback_data` is its choice id (gmbot/chat/selects.py), the select's id with the
value in it, written shorter where it needs to (buttons.py): a choice is a callback query like a
click. An option whose choice id cannot fit in 64 bytes is left off (logged).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from gmbot.chat import markup
from gmbot.chat.fit import cut
from gmbot.chat.vocabulary import RenderedCard, RenderedSelect
from gmbot.telegram.buttons import to_callback_data

log = logging.getLogger("gmbot.telegram.selects")

MARK = "▾ "  # before a placeholder line, as a closed menu shows one


def keys(select: RenderedSelect, label_max: int) -> list[dict[str, Any]]:
    """One button per option whose choice can be posted."""
    found = []
    for option in select.options:
        data = to_callback_data(option.choice_id) if option.choice_id else None
        if data is None:
            log.warning("select %r: option %r left off, its choice does not fit in Telegram's callback data",
                        select.placeholder, option.label)
            continue
        found.append({"text": cut(markup.plain(option.label), label_max) or "?", "callback_data": data})
    return found


def select_rows(card: RenderedCard, row: int, label_max: int, room: int) -> tuple[list[list[dict[str, Any]]],
                                                                                list[str]]:
    """The keyboard rows of the card's selects (at most `room` buttons in all: the rest are cut,
    logged) and the placeholders of those shown."""
    rows: list[list[dict[str, Any]]] = []
    shown: list[str] = []
    for select in card.selects:
        found = keys(select, label_max)
        if len(found) > room:
            log.warning("select %r: %d options, Telegram's keyboard holds %d more buttons", select.placeholder,
                        len(found), max(room, 0))
            found = found[:max(room, 0)]
        if not found:
            continue
        room -= len(found)
        rows += [found[i:i + row] for i in range(0, len(found), row)]
        shown.append(select.placeholder)
    return rows, shown


def with_placeholders(card: RenderedCard, placeholders: list[str]) -> RenderedCard:
    """The card with each shown select's placeholder as a last line of its footer (data: the
    placeholder's values are escaped as any)."""
    if not placeholders:
        return card
    lines = [MARK + markup.data(markup.plain(p)) for p in placeholders]
    return dataclasses.replace(card, footer="\n".join([card.footer, *lines] if card.footer else lines))
