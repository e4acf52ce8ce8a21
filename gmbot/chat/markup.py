"""Text is data: what a user typed or the backend sent is never read as markup.

A card template is the spec author's markup (Markdown: `**bold**`, `[label](url)`, plus
a platform override's own). The values it interpolates (`{{ reply.name }}`), and the
text the core builds from user or backend input, are data: a clan named `@here` or
`[FREE GLORY](https://evil.example)` must reach every platform as those characters,
never as a broadcast or a link.

So rendering marks each data value as a span, `DATA` + text + `END` (two private-use
characters no user can send: `data()` strips them from what it wraps). A front end turns
the marked text into its format with a `Format`: the author's literal text through its
markup converter, each data span through its escaper. Where a platform shows plain text
(buttons, headers, footers that render nothing, URLs), `plain()` drops the marks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

DATA, END = "\ue000", "\ue001"
_HOLD, _HELD_END = "\ue002", "\ue003"  # where a span stood while a converter reads the literal text
_MARKS = re.compile("[\ue000-\ue003]")
_DROP_MARKS = dict.fromkeys(range(0xE000, 0xE004))
_HELD = re.compile(f"{_HOLD}(\\d+){_HELD_END}")
_LEADING = re.compile(f"^({DATA}?)\\s+")
_TRAILING = re.compile(f"\\s+({END}?)$")


def data(value: object) -> str:
    """`value` as a data span (empty stays empty). Marks inside it are dropped, so a user
    cannot open or close a span."""
    text = str(value).translate(_DROP_MARKS)
    return f"{DATA}{text}{END}" if text else ""


class Trusted(str):
    """Text a trusted card filter wrote (the `time` filter's marker): the author's markup,
    not data, when it is a whole `{{ ... }}` (joined to other text it is data again)."""


def finalize(value: object) -> str:
    """Jinja's `finalize` for card templates: every `{{ ... }}` is data, but a trusted filter's."""
    return value if isinstance(value, Trusted) else data(value)


def strip(text: str) -> str:
    """`str.strip` that sees through the marks: whitespace at the ends of the text goes,
    also inside a span there, and a span left empty goes too."""
    text = text.strip()
    while _loose(text):
        stripped = _LEADING.sub(r"\1", _TRAILING.sub(r"\1", text)).replace(DATA + END, "").strip()
        if stripped == text:
            break
        text = stripped
    return text


def _loose(text: str) -> bool:
    """Whitespace (or nothing) just inside a span at either end of `text`?"""
    if len(text) < 2:
        return False
    at_start = text[0] == DATA and (text[1].isspace() or text[1] == END)
    return at_start or (text[-1] == END and (text[-2].isspace() or text[-2] == DATA))


def plain(text: str) -> str:
    """The text as a reader sees it, without marks: for places no platform formats."""
    return _MARKS.sub("", text) if DATA in text or END in text else text


def _split(text: str) -> tuple[list[str], list[str]]:
    """The literal pieces of `text` and its spans between them (one fewer): a mark without
    its pair is dropped."""
    literal, spans = [], []
    pieces = text.split(DATA)
    current = pieces[0]
    for piece in pieces[1:]:
        value, closed, rest = piece.partition(END)
        if closed:
            literal.append(current)
            spans.append(value)
            current = rest
        else:
            current += value
    literal.append(current)
    return [p.replace(END, "").replace(_HOLD, "").replace(_HELD_END, "") for p in literal], spans


def on_literal(text: str, convert: Callable[[str], str] | None,
               escape: Callable[[str], str] | None = None) -> str:
    """`text` with `convert` applied to the author's literal text (None: kept as it is) and
    `escape` to each data span; without `escape` the spans stay marked (a step before the
    platform's own).

    `convert` sees the whole literal text, so markup around a value works (`**{{ name }}**`):
    each span stands in it as a private-use character, its number and another, which
    `convert` keeps (no pattern of a converter matches those characters).
    """
    if DATA not in text:
        text = plain(text)
        return convert(text) if convert else text
    literal, spans = _split(text)
    put = escape or data
    if convert is None:
        return "".join(piece + put(span) for piece, span in zip(literal, [*spans, ""], strict=True))
    held = "".join(piece + (f"{_HOLD}{i}{_HELD_END}" if i < len(spans) else "") for i, piece in enumerate(literal))
    return _HELD.sub(lambda m: put(spans[int(m.group(1))]), convert(held))


@dataclass(frozen=True)
class Format:
    """How one platform writes card text: its converter for the author's markup and its
    escaper for data. Each front end defines its own (a future one the same way)."""

    literal: Callable[[str], str] | None  # None: the author writes the platform's markup already
    escape: Callable[[str], str]

    def __call__(self, text: str) -> str:
        return on_literal(text, self.literal, self.escape)
