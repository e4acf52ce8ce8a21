"""A rendered card as each chat platform shows it, in HTML.

One `Platform` per column of the page: how the card becomes the platform's
message (the front end's own converter, so the preview splits and cuts exactly
as the bot does) and the template that draws that message. Adding a platform is
one `register(...)` line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup, escape

from gmbot.chat.cards import RenderedCard
from gmbot.discord.embeds import card_to_embeds


@dataclass(frozen=True)
class Platform:
    name: str  # "discord": the column's id in the page
    label: str  # "Discord"
    to_message: Callable[[RenderedCard], Any]  # the front end's converter
    template: str  # draws what to_message returned


PLATFORMS: dict[str, Platform] = {}


def register(platform: Platform) -> None:
    PLATFORMS[platform.name] = platform


def discord_message(card: RenderedCard) -> dict[str, Any]:
    rows = [card.buttons[i : i + 5] for i in range(0, len(card.buttons), 5)]
    return {"embeds": card_to_embeds(card), "rows": rows}


register(Platform("discord", "Discord", discord_message, "discord.jinja"))
try:  # the Slack front end (gmbot/slack/blocks.py), once it exists
    from gmbot.slack.blocks import card_to_message  # type: ignore[import-not-found, unused-ignore]

    register(Platform("slack", "Slack", card_to_message, "slack.jinja"))
except ImportError:
    pass


# -- the two markup dialects, rendered simply (enough to see what the reader sees) -------------


def _inline(text: str, rules: list[tuple[str, str]]) -> Markup:
    html = str(escape(text))
    codes: list[str] = []

    def keep(match: re.Match[str]) -> str:  # code spans are not formatted inside
        codes.append(f"<code>{match.group(1)}</code>")
        return f"\0{len(codes) - 1}\0"

    html = re.sub(r"`([^`\n]+)`", keep, html)
    for pattern, replacement in rules:
        html = re.sub(pattern, replacement, html)
    html = re.sub(r"\0(\d+)\0", lambda m: codes[int(m.group(1))], html)
    return Markup(html.replace("\n", "<br>"))


def discord_markdown(text: str) -> Markup:
    return _inline(text, [
        (r"\*\*(.+?)\*\*", r"<strong>\1</strong>"),
        (r"__(.+?)__", r"<u>\1</u>"),
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<em>\1</em>"),
        (r"~~(.+?)~~", r"<s>\1</s>"),
        (r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>'),
    ])


def slack_mrkdwn(text: str) -> Markup:
    return _inline(text, [
        (r"&lt;(https?://[^|&]+)\|([^&]+)&gt;", r'<a href="\1">\2</a>'),
        (r"&lt;(https?://[^&]+)&gt;", r'<a href="\1">\1</a>'),
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<strong>\1</strong>"),
        (r"(?<!\w)_(?!\s)(.+?)_(?!\w)", r"<em>\1</em>"),
        (r"~(.+?)~", r"<s>\1</s>"),
    ])


def css_color(value: int | str | None) -> str:
    if isinstance(value, int):
        return f"#{value:06x}"
    return value if isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value) else "#4f545c"


@cache
def environment() -> jinja2.Environment:
    """The page's Jinja2 environment (autoescaped HTML; the project's own templates)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gmbot.preview", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,  # a block without `text` draws nothing, not a 500
    )
    env.filters.update(discord_md=discord_markdown, slack_md=slack_mrkdwn, css_color=css_color)
    return env


def render_platform(platform: Platform, card: RenderedCard) -> Markup:
    try:
        message = platform.to_message(card)
    except Exception as exc:  # a front end's converter bug shows in its column, not as a 500
        return Markup('<div class="render-error">{}</div>').format(f"{platform.label} converter failed: {exc!r}")
    return Markup(environment().get_template(platform.template).render(message=message, card=card))
