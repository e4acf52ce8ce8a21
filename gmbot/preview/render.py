"""A rendered card as each registered chat platform shows it, in HTML.

One column per platform of the registry (gmbot/platforms.py), in its order: the
platform's `PreviewLook` (its `preview` part) turns the card into the platform's message
with the front end's own converter (so the preview splits and cuts exactly as the bot
does) and draws it with its template, its markup filters and its CSS, all in the
platform's own folder. This module names no platform.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from gmbot.chat.markup import plain
from gmbot.chat.vocabulary import RenderedCard, RenderedForm
from gmbot.platforms import Platform, PlatformError, PreviewLook, platform, platforms


def css_color(value: int | str | None) -> str:
    if isinstance(value, int):
        return f"#{value:06x}"
    return value if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value) else "#4f545c"


_OPTIONS: dict[str, Any] = {
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "undefined": jinja2.ChainableUndefined,  # a block without `text` draws nothing, not a 500
}


@cache
def environment() -> jinja2.Environment:
    """The page's Jinja2 environment (autoescaped HTML; the page's own templates)."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("gmbot.preview", "templates"), **_OPTIONS)
    env.filters.update(css_color=css_color)
    return env


@cache
def _look_environment(folder: Path, filters: tuple[tuple[str, Callable[..., Any]], ...]) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(folder), **_OPTIONS)
    env.filters.update(css_color=css_color, **dict(filters))
    return env


@cache
def look(name: str) -> PreviewLook:
    """The registered platform `name`'s look (PlatformError when it has none that loads)."""
    found = platform(name)
    loaded = found.load(found.preview)
    if not isinstance(loaded, PreviewLook):
        raise PlatformError(f"the {found.title} platform: its preview {found.preview!r} is a "
                            f"{type(loaded).__name__}, not a PreviewLook")
    return loaded


def columns() -> tuple[Platform, ...]:
    """The page's columns: every registered platform, in the registry's order."""
    return platforms()


def css() -> Markup:
    """Every column's CSS (the platforms' own code, not data: not escaped)."""
    parts = []
    for column in columns():
        try:
            parts.append(look(column.name).css)
        except PlatformError:
            continue  # its column says why
    return Markup("\n".join(parts))


def draw(title: str, shown: PreviewLook, card: RenderedCard) -> Markup:
    """`card` as `shown` draws it; a failing converter shows in its column, not as a 500."""
    try:
        message = shown.to_message(card)
    except Exception as exc:
        return Markup('<div class="render-error">{}</div>').format(f"{title} converter failed: {exc!r}")
    env = _look_environment(shown.template.parent, tuple(sorted(shown.filters.items())))
    return Markup(env.get_template(shown.template.name).render(message=message, card=card))


def render_platform(column: Platform, card: RenderedCard) -> Markup:
    try:
        shown = look(column.name)
    except PlatformError as exc:  # a plugin without a usable look: said in its column
        return Markup('<div class="render-error">{}</div>').format(str(exc))
    return draw(column.title, shown, card)


def draw_form(column: Platform, form: RenderedForm) -> Markup:
    """A form as `column`'s platform shows it (its look's `form`), or why it is not drawn."""
    try:
        shown = look(column.name)
        if shown.form is None:
            return Markup('<div class="render-error">{}</div>').format(f"{column.title} draws no forms here")
        return Markup(shown.form(form))
    except Exception as exc:  # a plugin's drawing failing shows in its column, not as a 500
        return Markup('<div class="render-error">{}</div>').format(f"{column.title} form drawing failed: {exc!r}")


def limit_notes(column: Platform, card: RenderedCard) -> list[str]:
    """Where this card, as rendered with its sample in the page's language, is longer than
    `column` takes (its generator target's limits): what the front end will cut or split.
    A translation is often longer than the English it was checked against."""
    try:
        limits = column.load(column.target).card_limits
    except PlatformError:
        return []
    parts = [("title", card.title), ("description", card.description), ("footer", card.footer)]
    parts += [(f"field_{kind}", text) for f in card.fields for kind, text in (("name", f.name), ("value", f.value))]
    parts += [("button_label", b.label) for b in card.buttons]
    notes = []
    for part, text in parts:
        length, most = len(plain(text)), getattr(limits, part)
        if length > most:
            notes.append(f"{part.replace('_', ' ')}: {length} characters, {column.title} takes {most}: "
                         "cut when posted")
    return notes
