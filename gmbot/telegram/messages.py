"""A rendered card -> Telegram messages (`parse_mode` HTML) that Telegram never rejects.

Telegram has no embeds: a card is text. The title is bold (linked when the card has a url),
the description follows, fields are `<b>name</b>: value` lines (inline ones share a line),
the footer is italic (Telegram has no colour bar: the card's colour is not shown), and its
buttons are an inline keyboard under the last message, rows of three.

Images: the first message's link preview shows the card's image (large, under the text), or
its thumbnail (small) when it has no image (`link_preview_options.url`: the address need not
be in the text). Not sendPhoto for an address: a photo's caption holds 1024 characters, not
4096, and a page button's edit (editMessageText) cannot turn a photo into text or back. A
picture from the backend (bytes, no address to preview) is a photo (`sendPhoto`, uploaded):
the card's text its caption when it is one message within CAPTION_MAX, else the photo first
and the text after it.

Text is data: the author's card text (Discord-flavoured Markdown) becomes Telegram's HTML
(`**b**` -> <b>, `__u__` -> <u>, `*i*` -> <i>, `~~s~~` -> <s>, `` `c` `` -> <code>,
`[label](https://url)` -> <a href>); every value is escaped (`&`, `<`, `>`, `"`) and gets a
word joiner (U+2060, invisible) after `@`, `#`, `/`, `:` before `//` and `.` before a letter,
so that no user text becomes a mention, a command, a hashtag or a link when Telegram looks
for them in the text. Times are plain UTC text (Telegram has no local-time markup).

Limits (core.telegram.org/bots/api, ../shared/reference/platform-limits.md): 4096 characters
of text after entity parsing (counted here in UTF-16 code units, as Telegram counts), 64
bytes of callback data (buttons.py). A long card continues in further messages, split at
line ends; a line longer than a message is split hard (without its formatting); after
MESSAGES_MAX messages the rest is counted in a visible marker.
"""

from __future__ import annotations

import dataclasses
import html
import re
from html.parser import HTMLParser
from typing import Any

from gmbot.chat import markup, times
from gmbot.chat.fit import chunks, cut
from gmbot.chat.vocabulary import Picture, RenderedButton, RenderedCard, RenderedField
from gmbot.telegram.buttons import to_callback_data
from gmbot.telegram.selects import select_rows, with_placeholders

MESSAGE_MAX = 4096  # characters after entity parsing, in UTF-16 code units
MESSAGES_MAX = 3  # a group takes about 20 messages a minute from a bot: one card, at most 3
LINE_MAX = MESSAGE_MAX // 2  # a hard-split piece, in characters (an emoji is 2 code units)
ROW = 3  # buttons per keyboard row
BUTTONS_MAX = 100  # Telegram refuses a larger inline keyboard
LABEL_MAX = 64  # the Bot API documents no limit; clients cut longer labels in the middle
ALERT_MAX = 200  # answerCallbackQuery's text
CAPTION_MAX = 1024  # a photo's caption, after entity parsing, in UTF-16 code units
MARKER_ROOM = 80
_STYLES = {"primary": "primary", "success": "success", "danger": "danger"}  # "secondary": the app's own

# -- the author's markup -> Telegram HTML ------------------------------------------------------
# a link's address is the author's own: one with a value inside (a held span) stays text
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s\"<>\ue000-\ue003]+)\)")
_INLINE = [  # applied to escaped text, in order; none matches across a line end
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*(?=\S)([^\n]+?)(?<=\S)\*\*"), r"<b>\1</b>"),
    (re.compile(r"__(?=\S)([^\n]+?)(?<=\S)__"), r"<u>\1</u>"),
    (re.compile(r"~~(?=\S)([^\n]+?)(?<=\S)~~"), r"<s>\1</s>"),
    (re.compile(r"(?<![\w*])\*(?=[^\s*])([^\n*]+?)(?<=\S)\*(?![\w*])"), r"<i>\1</i>"),
]


def author_html(text: str) -> str:
    """The author's card text (Discord-flavoured Markdown) as Telegram HTML, escaped."""
    links: list[str] = []

    def hold(match: re.Match[str]) -> str:
        links.append(f'<a href="{html.escape(match.group(2))}">')
        return f"\0{len(links) - 1}\0{match.group(1)}\0/\0"

    text = html.escape(_LINK.sub(hold, text), quote=False)
    for pattern, replacement in _INLINE:
        text = pattern.sub(replacement, text)
    text = re.sub(r"\0(\d+)\0", lambda m: links[int(m.group(1))], text)
    return text.replace("\0/\0", "</a>")


_JOIN = "\u2060"  # WORD JOINER: invisible, and no entity Telegram detects runs across it
_UNLINK = re.compile(r"([@#$/]|:(?=//)|\.(?=\w))")


def escape(text: str) -> str:
    """A value as Telegram shows it literally: HTML-escaped, and no mention (`@name`),
    command (`/cmd`), hashtag, cashtag, link or e-mail address Telegram would detect."""
    return html.escape(_UNLINK.sub(r"\1" + _JOIN, text), quote=True)  # joiners first: `&#x27;` holds a `#`


HTML = markup.Format(literal=author_html, escape=escape)


def to_html(text: str) -> str:
    """Card text (the author's markup, values marked as data) as Telegram HTML."""
    return HTML(text)


# -- what the reader sees ----------------------------------------------------------------------
class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible(text: str) -> str:
    """Telegram HTML as the text a reader sees (tags gone, entities decoded)."""
    parser = _Visible()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# -- the card -> messages ----------------------------------------------------------------------
def _field_lines(fields: list[RenderedField]) -> list[str]:
    lines: list[str] = []
    run: list[str] = []
    for item in [*fields, None]:  # None flushes the last run of inline fields
        one_line = item is not None and item.inline and "\n" not in item.value
        if one_line and item is not None:
            name, value = to_html(item.name), to_html(item.value)
            run.append(f"<b>{name}</b>: {value}" if name and value else f"<b>{name}</b>" if name else value)
            continue
        if run:
            lines.append(" · ".join(run))
            run = []
        if item is not None:
            if item.name:
                lines.append(f"<b>{to_html(item.name)}</b>")
            lines += to_html(item.value).split("\n") if item.value else []
    return lines


def _lines(card: RenderedCard) -> tuple[list[str], list[str]]:
    """The card's HTML lines, and its footer's (always shown, as on the other platforms): no
    tag spans two lines, so any line end is a place to split."""
    blocks: list[list[str]] = []
    if card.title:
        inner = re.sub(r"</?b>", "", to_html(card.title)).replace("\n", " ")  # bold already
        title = f"<b>{inner}</b>"
        if card.url:
            title = f'<a href="{html.escape(card.url)}">{title}</a>'
        blocks.append([title])
    if card.description:
        blocks.append(to_html(card.description).split("\n"))
    if card.fields:
        blocks.append(_field_lines(card.fields))
    lines: list[str] = []
    for block in blocks:
        if lines and block:
            lines.append("")
        lines += block
    footer = [f"<i>{line}</i>" for line in to_html(card.footer).split("\n") if line] if card.footer else []
    return lines, footer


def _hard(line: str) -> list[str]:
    """A line longer than a message: its text, plain, in pieces that fit."""
    if units(visible(line)) <= MESSAGE_MAX - MARKER_ROOM:
        return [line]
    return [html.escape(piece, quote=False) for piece in chunks(visible(line), LINE_MAX)]


def _fit(lines: list[str], footer: list[str]) -> list[str]:
    """Lines packed into at most MESSAGES_MAX texts of MESSAGE_MAX, the footer at the end and a
    marker counting the lines left out."""
    footer = [piece for line in footer for piece in _hard(line)]
    tail = sum(units(visible(line)) + 1 for line in footer) + 1
    texts: list[list[str]] = [[]]
    used = 0
    dropped = 0
    for piece in (piece for line in lines for piece in _hard(line)):
        size = units(visible(piece)) + 1  # and its line end
        if dropped or used + size > MESSAGE_MAX - MARKER_ROOM - (tail if len(texts) == MESSAGES_MAX else 0):
            if dropped or len(texts) == MESSAGES_MAX:
                dropped += 1 if piece else 0
                continue
            texts.append([])
            used = 0
        if texts[-1] or piece:  # a message does not start with an empty line
            texts[-1].append(piece)
            used += size
    if dropped:
        texts[-1].append(f"<i>… {dropped} more line{'s' if dropped > 1 else ''} not shown "
                         "(Telegram's message limit)</i>")
    if footer:
        if used + tail > MESSAGE_MAX - MARKER_ROOM and not dropped:
            texts.append([])
        texts[-1] += ["", *footer] if texts[-1] else footer
    return ["\n".join(text).strip("\n") for text in texts if any(text)]


def keyboard(buttons: list[RenderedButton]) -> list[list[dict[str, Any]]]:
    """The inline keyboard: buttons that have callback data that fits, rows of ROW."""
    keys: list[dict[str, Any]] = []
    for button in buttons:
        data = to_callback_data(button.custom_id) if button.custom_id else None
        if data is None or len(keys) == BUTTONS_MAX:
            continue
        key: dict[str, Any] = {"text": cut(markup.plain(button.label), LABEL_MAX) or "?", "callback_data": data}
        if button.style in _STYLES:
            key["style"] = _STYLES[button.style]
        keys.append(key)
    return [keys[i:i + ROW] for i in range(0, len(keys), ROW)]


def card_to_messages(card: RenderedCard) -> list[dict[str, Any]]:
    """A neutral card as `sendMessage` payloads (text, parse_mode, the last one's keyboard)."""
    card = times.with_times(card, times.plain)  # every time in plain UTC text
    pressed = keyboard(card.buttons)  # the buttons keep their keys; a select's options take the rest
    menus, placeholders = select_rows(card, ROW, LABEL_MAX, BUTTONS_MAX - sum(len(r) for r in pressed))
    card = with_placeholders(card, placeholders)
    texts = _fit(*_lines(card)) or ["…"]  # Telegram refuses an empty message
    messages: list[dict[str, Any]] = [{"text": text, "parse_mode": "HTML"} for text in texts]
    picture = card.image or card.thumbnail
    if picture:
        messages[0]["link_preview_options"] = {
            "url": picture, "show_above_text": False,
            "prefer_large_media" if card.image else "prefer_small_media": True}
    rows = menus + pressed  # gmbot/telegram/selects.py: a key per option, above the buttons
    if rows:
        messages[-1]["reply_markup"] = {"inline_keyboard": rows}
    photo = card.pictures.get("image") or card.pictures.get("thumbnail")
    return messages if photo is None else with_photo(messages, photo)


def with_photo(messages: list[dict[str, Any]], photo: Picture) -> list[dict[str, Any]]:
    """A card's picture from the backend as a photo (`sendPhoto`): its text the caption when the
    card is one message that fits a caption, else the photo goes first and the text after."""
    first = messages[0]
    if len(messages) == 1 and units(visible(first["text"])) <= CAPTION_MAX:
        return [{"photo": photo, "caption": first["text"], "parse_mode": "HTML",
                 **({"reply_markup": first["reply_markup"]} if "reply_markup" in first else {})}]
    return [{"photo": photo}, *messages]


def card_to_text(card: RenderedCard, limit: int = ALERT_MAX) -> str:
    """A card as one short plain text: a callback query's alert."""
    first = card_to_messages(dataclasses.replace(card, buttons=[], selects=[], pictures={}))[0]["text"]
    return cut(" ".join(visible(first).split()), limit)


# -- as text: how the playground prints what Telegram would show -----------------------------------
_MARKS = {"b": "*", "strong": "*", "i": "_", "em": "_", "code": "`", "s": "~", "u": ""}


class _Readable(HTMLParser):
    """Telegram HTML as text with the formatting shown: *bold*, _italic_, links as `text <url>`."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.parts.append(_MARKS.get(tag, ""))
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        self.parts.append(_MARKS.get(tag, ""))
        if tag == "a" and self.links:
            self.parts.append(f" <{self.links.pop()}>")

    def handle_data(self, data: str) -> None:
        self.parts.append(data.replace(_JOIN, ""))


def message_to_text(messages: list[dict[str, Any]]) -> str:
    """Telegram messages as readable text: `│` starts each message's lines, [buttons] under it."""
    lines: list[str] = []
    for message in messages:
        photo = message.get("photo")
        if isinstance(photo, Picture):
            lines.append(f"│ [image: {photo.name}, {len(photo.data)} bytes, {photo.media_type}]")
            if "caption" not in message:
                continue
        parser = _Readable()
        parser.feed(str(message.get("text", message.get("caption", ""))))
        parser.close()
        lines += [f"│ {line}".rstrip() for line in "".join(parser.parts).split("\n")]
        preview = message.get("link_preview_options") or {}
        if preview.get("url"):
            kind = "image" if preview.get("prefer_large_media") else "thumbnail"
            lines.append(f"│ [{kind}: {preview['url']}]")
        for row in (message.get("reply_markup") or {}).get("inline_keyboard", []):
            lines.append("  " + "  ".join(f"[{key['text']}]" for key in row))
    return "\n".join(lines)
