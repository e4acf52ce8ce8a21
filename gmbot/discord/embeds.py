"""A rendered card -> Discord embed dicts that Discord never rejects.

Limits (platform-limits.md): title 256, description 4096, 25 fields, field
name 256, field value 1024, footer 2048, 6000 characters over all embeds of a
message, 10 embeds. Long descriptions and many fields continue in further
embeds; what still does not fit is cut with a visible marker.

Text is data (gmbot/chat/markup.py): the author's markup is Discord's Markdown already;
values are escaped where Discord reads Markdown (title, description, field names and
values) and shown as they are in the footer, which Discord never formats (a backslash
there would show).

`card_to_message` adds the button rows the runtime posts beside the embeds (what the
playground and the preview show); `embeds_to_text` reads such a message back as the
text a reader sees (the playground).
"""

from __future__ import annotations

import re
from typing import Any

from gmbot.chat import markup, times
from gmbot.chat.fit import chunks, cut
from gmbot.chat.vocabulary import RenderedCard
from gmbot.discord.platform import PLATFORM
from gmbot.discord.selects import select_components, select_text

TITLE, DESCRIPTION, FIELDS, FIELD_NAME, FIELD_VALUE, FOOTER = 256, 4096, 25, 256, 1024, 2048
TOTAL, EMBEDS = 6000, 10
ROW = 5  # buttons in one action row
EMPTY = "\u200b"  # Discord refuses empty field names and values
RESERVE = 80  # room kept for the "more not shown" marker

# Markdown anywhere in a line: emphasis, code, spoilers, masked links, mentions and
# timestamps (`<@id>`, `<#id>`, `<t:..>`, `<:emoji:id>`), and the escape itself
_INLINE = str.maketrans({c: "\\" + c for c in "\\*_~`|<>[]"})
# ... and at a line's start: headings, subtext (`-#`), lists (`- `, `1. `); quotes are `>`, inline
_LINE_START = re.compile(r"^([ \t]*\d*)([#+\-.)])", re.MULTILINE)
_LINE_MARKS = frozenset("#+-.)")
_BROADCAST = re.compile(r"@(?=everyone|here)", re.IGNORECASE)


def escape(text: str) -> str:
    """A value as Discord shows it literally: each Markdown character behind a backslash
    (Discord hides the backslash before any punctuation), `https\\://` (no bare link), and
    `@everyone` / `@here` with a zero-width space after the `@`, as py-cord's
    escape_mentions (a mention never pings from an embed, but message content would).
    py-cord's escape_markdown is not enough: it leaves headings, lists, `<@id>` mentions
    and bare links alone."""
    text = text.translate(_INLINE)
    if not _LINE_MARKS.isdisjoint(text):
        text = _LINE_START.sub(lambda m: f"{m.group(1)}\\{m.group(2)}", text)
    if "://" in text:
        text = text.replace("://", "\\://")
    return _BROADCAST.sub("@\u200b", text) if "@" in text else text


MARKDOWN = markup.Format(literal=None, escape=escape)  # the author writes Discord's Markdown


def _part(part: str, text: str) -> str:
    if part == "button_label":  # plain text, written by the renderer
        return text
    return markup.plain(text) if part == "footer" else MARKDOWN(text)


def embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    size += len(embed.get("footer", {}).get("text", ""))
    return size + sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))


def card_to_embeds(card: RenderedCard) -> list[dict[str, Any]]:
    card = times.with_times(card, PLATFORM.write_time, PLATFORM.plain_time_parts).map(_part)
    footer = cut(card.footer, FOOTER) if card.footer else ""
    budget = TOTAL - len(footer) - RESERVE
    first: dict[str, Any] = {"type": "rich"}
    if card.title:
        first["title"] = cut(card.title, TITLE)
        budget -= len(first["title"])
    if card.url:
        first["url"] = card.url
    embeds = [first]
    dropped = 0

    def room() -> bool:
        return len(embeds) < EMBEDS

    for index, chunk in enumerate(chunks(card.description, DESCRIPTION)):
        if budget <= 0 or (index > 0 and not room()):
            dropped += 1
            continue
        if len(chunk) > budget:
            chunk = cut(chunk, budget)
        if index > 0:
            embeds.append({"type": "rich"})
        embeds[-1]["description"] = chunk
        budget -= len(chunk)
    for item in card.fields:
        name = cut(item.name, FIELD_NAME) or EMPTY
        value = cut(item.value, FIELD_VALUE) or EMPTY
        if len(embeds[-1].get("fields", [])) == FIELDS:
            if not room():
                dropped += 1
                continue
            embeds.append({"type": "rich"})
        if len(name) + len(value) > budget:
            dropped += 1
            continue
        embeds[-1].setdefault("fields", []).append({"name": name, "value": value, "inline": item.inline})
        budget -= len(name) + len(value)
    if dropped:
        marker = f"… {dropped} more not shown (Discord's message limit)"
        footer = f"{marker} · {footer}" if footer else marker
    if footer:
        embeds[-1]["footer"] = {"text": cut(footer, FOOTER)}
    if card.color is not None:
        for embed in embeds:
            embed["color"] = card.color
    if len(embeds) > 1 and not embeds[0].get("title") and not embeds[0].get("description") and not embeds[0].get("fields"):
        embeds.pop(0)
    # the thumbnail beside the card's start, the image under its end (an embed shows each once);
    # a picture from the backend is a file of the message, which the embed names
    thumbnail = attachment_url("thumbnail", card) or card.thumbnail
    if thumbnail:
        embeds[0]["thumbnail"] = {"url": thumbnail}
    image = attachment_url("image", card) or card.image
    if image:
        embeds[-1]["image"] = {"url": image}
    return embeds


def attachment_name(part: str, card: RenderedCard) -> str:
    """The file name a card's picture is uploaded under (one per part: `image-getChart.png`)."""
    return f"{part}-{card.pictures[part].name}"


def attachment_url(part: str, card: RenderedCard) -> str | None:
    """`attachment://<name>`: how an embed shows a file of its message (None: no such picture)."""
    return f"attachment://{attachment_name(part, card)}" if part in card.pictures else None


def card_to_message(card: RenderedCard) -> dict[str, Any]:
    """The embeds and the button rows the runtime posts: a button without a custom id (its
    values would make the id too long) is left out, and counted in `unposted`."""
    buttons = [b for b in card.buttons if b.custom_id]
    rows = [buttons[i : i + ROW] for i in range(0, len(buttons), ROW)]
    files = {attachment_name(part, card): picture for part, picture in card.pictures.items()}
    return {"embeds": card_to_embeds(card), "rows": rows, "unposted": len(card.buttons) - len(buttons),
            "selects": select_components(card), "files": files}


# -- as text: how the playground prints what Discord would show ------------------------------
# Discord hides the backslash of an escape, shows code spans as they are, and each
# `<t:...>` timestamp in the reader's zone (here: UTC); one pass, so an escaped `\<t:0:R\>`
# (a value) stays text
_SHOWN = re.compile(r"\\([^0-9A-Za-z\s])|(`[^`\n]+`)|<t:(-?\d+)(?::([tTdDfFR]))?>")
_STAMP_STYLES = {"R": "relative", "d": "date", "D": "date"}  # the other styles show date and time


def shown_time(unix: int, style: str | None) -> str:
    """A `<t:unix:style>` timestamp as text, in UTC."""
    return times.plain(unix, _STAMP_STYLES.get(style or "f", "datetime"))


def _shown(text: str, stamps: bool = True) -> str:
    """`text` as Discord shows it; `stamps=False` where it formats no timestamp (see PLATFORM)."""
    def one(match: re.Match[str]) -> str:
        if match.group(3) is not None:
            return shown_time(int(match.group(3)), match.group(4)) if stamps else match.group(0)
        return match.group(1) or match.group(2)

    return _SHOWN.sub(one, text).replace(EMPTY, "")


def embeds_to_text(message: dict[str, Any]) -> str:
    """A `card_to_message` message as readable text: `== title ==`, the description, the
    fields (`name: value`), the buttons (`[label]`) and the footer (`-- footer`)."""
    lines: list[str] = []
    footers: list[str] = []
    for embed in message.get("embeds") or []:
        if embed.get("title"):
            lines.append(f"== {_shown(embed['title'], stamps=False)} ==")
        if embed.get("description"):
            lines += _shown(embed["description"]).splitlines()
        for item in embed.get("fields") or []:
            name, value = _shown(item["name"], stamps=False), _shown(item["value"])
            text = f"{name}: {value}" if name and value else name or value
            # a value's later lines stay indented under its field (help's examples, one a line)
            lines += ["  " + line if i == 0 else "    " + line for i, line in enumerate(text.split("\n"))]
        lines += [f"  [{kind}: {_picture(embed[kind]['url'], message)}]" for kind in ("image", "thumbnail")
                  if embed.get(kind)]
        if embed.get("footer"):
            footers.append(embed["footer"]["text"])  # plain text: Discord formats nothing there
    lines += [select_text(menu) for menu in message.get("selects") or []]
    lines += ["  " + "  ".join(f"[{button.label}]" for button in row) for row in message.get("rows") or []]
    return "\n".join(lines + [f"  -- {footer}" for footer in footers])


def _picture(url: str, message: dict[str, Any]) -> str:
    """A picture's address, or the file of the message it names (`attachment://...`)."""
    picture = (message.get("files") or {}).get(url.removeprefix("attachment://")) if url.startswith("attachment://") else None
    return url if picture is None else f"{picture.name}, {len(picture.data)} bytes, {picture.media_type}"
