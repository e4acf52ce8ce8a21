"""Times in cards: the `time` filter marks a moment, each front end writes it natively.

A card is platform-neutral, but every platform shows a moment its own way, in the
reader's time zone (Discord's `<t:1764395000:R>` reads "in 3 hours"); logs show plain UTC
text. So `{{ reply.endsAt | time }}` renders a marker, `⟨time 1764395000 relative⟩`, which
the front end replaces when it turns the card into its format (`with_times`), with the
writer its platform declares (`Platform.write_time`, in the platform's own folder). The marker is
the author's markup (`Trusted`), so it is written only outside data: a clan named
`⟨time 0 relative⟩` stays that text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import Undefined

from gmbot.chat.markup import Trusted, on_literal

if TYPE_CHECKING:  # cards.py imports the filters (through templating.py): no import cycle at run time
    from gmbot.chat.vocabulary import RenderedCard

STYLES = ("relative", "datetime", "date")
MARK = re.compile(r"⟨time (-?\d+) (relative|datetime|date)⟩")

Writer = Callable[[int, str], str]  # (unix seconds, style) -> the platform's text


def time(value: Any, style: str = "relative") -> str:
    """The card filter: an ISO 8601 time (or unix seconds) -> a marker the front end writes.

    `relative` ("3 hours ago"), `datetime` or `date`. Not a time -> shown as it is;
    missing -> empty, as the other filters.
    """
    if value is None or isinstance(value, Undefined):
        return ""
    if style not in STYLES:
        raise ValueError(f"time: unknown style {style!r} (one of {', '.join(STYLES)})")
    moment = _moment(value)
    if moment is None:
        return str(value)
    return Trusted(f"⟨time {int(moment.timestamp())} {style}⟩")


def _moment(value: Any) -> datetime | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            moment = datetime.fromisoformat(value.strip())
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # the API's times are UTC
    except (ValueError, OverflowError, OSError):
        return None
    return None


def plain(unix: int, style: str) -> str:
    """Plain UTC text: the playground, logs, button labels, and Slack's fallback."""
    moment = datetime.fromtimestamp(unix, UTC)
    return moment.strftime("%Y-%m-%d") if style == "date" else moment.strftime("%Y-%m-%d %H:%M UTC")


def write_times(text: str, write: Writer) -> str:
    """The markers of the author's text written by `write`; data (marked) is left as it is."""
    if "⟨time " not in text:
        return text
    return on_literal(text, lambda literal: MARK.sub(lambda m: write(int(m.group(1)), m.group(2)), literal))


def with_times(card: RenderedCard, write: Writer, plain_parts: Collection[str] = ()) -> RenderedCard:
    """A copy of `card` with every time marker written by `write`, or as plain text in the
    `plain_parts` the platform does not format. Button labels are left alone: they are
    plain text everywhere, so the renderer wrote their times already (gmbot/chat/cards.py)."""
    def part(name: str, text: str) -> str:
        return text if name == "button_label" else write_times(text, plain if name in plain_parts else write)

    return card.map(part)
