"""A card button's custom id as Telegram `callback_data`, which holds at most 64 bytes.

The core's custom ids (`gm:["e","war.ended","",0,["zyo8"]]`) are up to 100 characters and
carry everything a click needs, so no mapping is kept anywhere: a button posted before a
restart, or by another replica, works the same. An id that fits in 64 bytes is used as it
is. A longer one is written shorter, still without any state: the command, event or
operation name becomes a 6-character hash of it (the spec's names are looked up by that
hash when a click comes back) and the JSON brackets go:

    g~e.3kq2vx.201.0.["a long war id ..."]

An id still too long after that is left off the keyboard (logged), as the core leaves off
an id over its own limit.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable

from gmbot.chat.core import BUTTON_PREFIX
from gmbot.spec.model import BotSpec, Card

log = logging.getLogger("gmbot.telegram.buttons")

CALLBACK_DATA_MAX = 64  # bytes (UTF-8)
SHORT = "g~"


def size(data: str) -> int:
    return len(data.encode("utf-8"))


def tag(name: str) -> str:
    """A command, event or operation name as 6 base32 characters (30 bits of its hash)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=5).digest()
    return base64.b32encode(digest).decode("ascii")[:6].lower()


def to_callback_data(custom_id: str, *, quiet: bool = False) -> str | None:
    """The `callback_data` of a button with this core custom id; None when it cannot fit
    (logged, unless `quiet`: asked whether it would)."""
    if size(custom_id) <= CALLBACK_DATA_MAX:
        return custom_id
    try:
        kind, source, status, index, values = json.loads(custom_id[len(BUTTON_PREFIX):])
    except (ValueError, TypeError):
        return None
    short = f"{SHORT}{kind}.{tag(str(source))}.{status}.{index}." + json.dumps(
        values, separators=(",", ":"), ensure_ascii=False)
    if size(short) <= CALLBACK_DATA_MAX:
        return short
    if quiet:
        return None
    log.warning("button of %s left off: its callback data needs %d bytes, Telegram allows %d",
                source, size(short), CALLBACK_DATA_MAX)
    return None


def names(spec: BotSpec) -> Iterable[str]:
    """Every name a custom id can carry as its source: commands, events, button operations."""
    cards: list[Card] = []
    for command in spec.commands:
        yield command.name
        cards += command.replies.values()
    for event in spec.events:
        yield event.name
        cards.append(event.card)
    while cards:  # a button's reply card may have buttons of its own
        for button in cards.pop().buttons:
            yield button.operation
            cards += button.replies.values()


class Callbacks:
    """`callback_data` back to the core's custom id, for one spec."""

    def __init__(self, spec: BotSpec) -> None:
        self._by_tag = {tag(name): name for name in names(spec)}

    def custom_id(self, data: str) -> str | None:
        """The core custom id of a click's `callback_data`, or None when it is not one of ours."""
        if data.startswith(BUTTON_PREFIX):
            return data
        if not data.startswith(SHORT):
            return None
        try:
            kind, hashed, status, index, values = data[len(SHORT):].split(".", 4)
            source = self._by_tag[hashed]
            parsed = [kind, source, status, int(index), json.loads(values)]
        except (ValueError, KeyError):
            return None
        return BUTTON_PREFIX + json.dumps(parsed, separators=(",", ":"))
