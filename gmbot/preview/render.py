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

from gmbot.chat import times
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
    """The embeds and button rows the Discord runtime posts (buttons without a custom id are left out)."""
    buttons = [b for b in card.buttons if b.custom_id]
    rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
    return {"embeds": card_to_embeds(card), "rows": rows, "unposted": len(card.buttons) - len(buttons)}


register(Platform("discord", "Discord", discord_message, "discord.jinja"))
try:  # the Slack front end (gmbot/slack/blocks.py), once it exists
    from gmbot.slack.blocks import card_to_message  # type: ignore[import-not-found, unused-ignore]

    register(Platform("slack", "Slack", card_to_message, "slack.jinja"))
except ImportError:
    pass


# -- the two markup dialects, rendered simply (enough to see what the reader sees) -------------


def _format(html: str, rules: list[tuple[str, str]], kept: list[str]) -> Markup:
    """Apply inline `rules` to escaped HTML; `\0n\0` marks stand for `kept[n]` (left unformatted)."""
    for pattern, replacement in rules:
        html = re.sub(pattern, replacement, html)
    html = re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], html)
    return Markup(html.replace("\n", "<br>"))


def _keep(kept: list[str], html: str) -> str:
    kept.append(html)
    return f"\0{len(kept) - 1}\0"


_CODE = re.compile(r"`([^`\n]+)`")
# Discord's escape (a backslash before punctuation shows the character, unformatted), read
# before code spans: `\`` opens none. In escaped HTML, `<` is `&lt;` and so on.
_DISCORD_ESCAPE_OR_CODE = re.compile(r"\\(&(?:lt|gt|amp|#39|#34);|[^0-9A-Za-z\s])|`([^`\n]+)`")


_DISCORD_TIME = re.compile(r"&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;")
_DISCORD_STYLES = {"R": "relative", "d": "date", "D": "date"}  # the rest show date and time


def _discord_time(match: re.Match[str]) -> str:
    """`<t:1764395000:R>`: Discord shows it in the reader's zone; the preview in UTC."""
    shown = times.plain(int(match.group(1)), _DISCORD_STYLES.get(match.group(2) or "f", "datetime"))
    return f'<span class="timestamp" title="{match.group(0)}">{escape(shown)}</span>'  # group(0) is escaped already


def discord_markdown(text: str) -> Markup:
    kept: list[str] = []
    html = _DISCORD_ESCAPE_OR_CODE.sub(
        lambda m: _keep(kept, m.group(1) if m.group(1) else f"<code>{m.group(2)}</code>"), str(escape(text)))
    html = _DISCORD_TIME.sub(lambda m: _keep(kept, _discord_time(m)), html)
    return _format(html, [
        (r"\*\*(.+?)\*\*", r"<strong>\1</strong>"),
        (r"__(.+?)__", r"<u>\1</u>"),
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<em>\1</em>"),
        (r"~~(.+?)~~", r"<s>\1</s>"),
        (r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>'),
    ], kept)


_SLACK_TOKEN = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")  # <https://x|label>, <@U1>, <#C1|name>, <!here>


def _slack_unescape(text: str) -> str:
    """Slack mrkdwn escapes &, < and > as entities: the reader sees the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _slack_token(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    shown = escape(_slack_unescape(label or target))
    if target.startswith(("http://", "https://")):
        return f'<a href="{escape(target)}">{shown}</a>'
    return f'<span class="mention">{shown if label else escape(target)}</span>'


def slack_mrkdwn(text: str) -> Markup:
    kept: list[str] = []
    parts, last = [], 0
    for match in _SLACK_TOKEN.finditer(text):
        parts.append(str(escape(_slack_unescape(text[last:match.start()]))))
        parts.append(_keep(kept, _slack_token(match)))
        last = match.end()
    parts.append(str(escape(_slack_unescape(text[last:]))))
    html = _CODE.sub(lambda m: _keep(kept, f"<code>{m.group(1)}</code>"), "".join(parts))
    return _format(html, [
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<strong>\1</strong>"),
        (r"(?<!\w)_(?!\s)(.+?)_(?!\w)", r"<em>\1</em>"),
        (r"(?<!\w)~(?!\s)(.+?)~(?!\w)", r"<s>\1</s>"),
    ], kept)


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
