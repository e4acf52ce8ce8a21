"""A rendered card -> a Slack message (Block Kit) that Slack never rejects.

`card_to_message(card)` gives `{"text": fallback, "attachments": [{"color": "#rrggbb",
"blocks": [...]}]}`: Block Kit has no per-block colour, so the blocks ride in one
legacy attachment whose bar shows the card's colour (Discord's embed bar).

Mapping: title -> header block (plain text); description -> section blocks (mrkdwn,
split at line ends); inline fields -> sections of up to 10 side-by-side fields; other
fields -> a section each; url -> a context link; thumbnail -> the first section's image
accessory (a context image when the card has no section); image -> an image block after
the body (alt text: the title); footer -> a context block; buttons ->
actions blocks whose `action_id` and `value` are the core's custom id, so a click routes
exactly as a Discord `custom_id` does.

Text is data (gmbot/chat/markup.py): the author's literal text is converted to mrkdwn
(`mrkdwn`), each value goes through `escape`: `&`, `<`, `>` as entities (no mention,
broadcast or link can be written) and Slack's formatting characters as look-alikes, since
mrkdwn has no escape for them (see `escape`). Every mrkdwn text object is `verbatim`, so
Slack does not link bare URLs, `#channel` names or `@here` by itself either. The header,
buttons and the notification text (`text`) are plain, with the entities escaped.

Limits (api.slack.com/reference/block-kit, ../shared/reference/platform-limits.md):
header text 150, section text 3000, 10 fields of 2000, 50 blocks a message, 25
elements an actions block, button text 75, action_id 255, value 2000. What does not
fit is cut with a visible marker, or dropped and counted in the footer, as on Discord.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from gmbot.chat import markup, times
from gmbot.chat.fit import chunks, cut
from gmbot.chat.vocabulary import RenderedCard, RenderedField
from gmbot.slack.platform import PLATFORM
from gmbot.slack.selects import select_elements, select_text

HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
CONTEXT_TEXT_MAX = 3000
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
CONFIRM_TITLE_MAX, CONFIRM_TEXT_MAX, CONFIRM_BUTTON_MAX = 100, 300, 30  # a button's confirm dialog
ACTION_ID_MAX = 255
BUTTON_VALUE_MAX = 2000
BLOCKS_MAX = 50
IMAGE_URL_MAX, ALT_TEXT_MAX = 3000, 2000  # an image block's or image element's
UPLOAD_STANDIN = "(upload)"  # a picture not uploaded (the playground, the preview) names itself so
FALLBACK_MAX = 300  # the notification text: Slack allows far more; a preview needs little
DEFAULT_COLOR = "#dddddd"  # the grey bar Slack (and Discord) show for an uncoloured message
_STYLES = {"primary": "primary", "success": "primary", "danger": "danger"}  # Slack has no green/grey

# Slack's own markup, kept as is: <@U123|ana b>, <#C123|name>, <!here>, <!date^...|text>, <https://x|label>
_SLACK_TOKEN = re.compile(r"<(?:[@#!][^<>\n]*|https?://[^<>\s|]+(?:\|[^<>\n]*)?)>")
_SLACK_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _author_markup(text: str) -> str:
    """The author's card text (Discord-flavoured Markdown) as Slack mrkdwn: escape &, <, >
    except in Slack's own tokens, `**bold**` -> `*bold*`, `[label](url)` -> `<url|label>`."""
    parts: list[str] = []
    last = 0
    for match in _SLACK_TOKEN.finditer(text):
        parts.append(_entities(text[last:match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_entities(text[last:]))
    text = "".join(parts)
    text = _MD_LINK.sub(lambda m: f"<{m.group(2)}|{m.group(1)}>", text)
    return _MD_BOLD.sub(r"*\1*", text)


def _entities(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# mrkdwn has no escape for its formatting characters: a value shows look-alikes instead
# (as jsx-slack does inside links), one character for one, so lengths and limits hold. A
# zero-width character beside them would keep the original, but whether Slack's parser
# then skips the formatting is undocumented; a look-alike needs nothing of the parser.
_LOOKALIKES = str.maketrans({"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"})
_QUOTE = re.compile(r"^([ \t]*)&gt;", re.MULTILINE)


def escape(text: str) -> str:
    """A value as Slack shows it literally: entities for &, <, > (so `<!here>`, `<@U1>` and
    `<https://x|label>` are text), look-alikes for `*`, `_`, `~` and a backtick, and a soft
    hyphen before a `>` opening a line (Slack would quote the line)."""
    text = _entities(text).translate(_LOOKALIKES)
    return _QUOTE.sub(lambda m: f"{m.group(1)}\u00ad&gt;", text) if "&gt;" in text else text


MRKDWN = markup.Format(literal=_author_markup, escape=escape)
PLAIN = markup.Format(literal=_entities, escape=escape)  # the notification text: no markup of the author's


def mrkdwn(text: str) -> str:
    """Card text as Slack mrkdwn: the author's markup converted, values escaped."""
    return MRKDWN(text)


def _text(kind: str, text: str) -> dict[str, Any]:
    if kind == "mrkdwn":  # verbatim: only the markup written here is read, nothing is linked by Slack
        return {"type": kind, "text": text, "verbatim": True}
    return {"type": kind, "text": text, "emoji": True}


def _field_text(item: RenderedField, limit: int) -> str:
    name, value = mrkdwn(item.name), mrkdwn(item.value)
    text = f"*{name}*\n{value}" if name and value else (f"*{name}*" if name else value)
    return cut(text, limit) or " "


def color_hex(color: int | None) -> str:
    return f"#{color:06x}" if color is not None else DEFAULT_COLOR


def fallback_text(card: RenderedCard) -> str:
    """What notifications and screen readers show: the title, else the description's start.
    Slack reads mentions here too (and would notify them): escaped as everywhere else."""
    text = card.title or card.description.split("\n", 1)[0] or (card.fields[0].name if card.fields else "")
    return cut(PLAIN(times.write_times(text, times.plain)), FALLBACK_MAX) or " "


def card_to_message(card: RenderedCard, files: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A neutral card as a `chat.postMessage` / `response_url` payload (see the module doc).
    `files`: the Slack file id each of the card's pictures was uploaded as (uploads.py), shown
    by an image block's `slack_file`; a picture without one is left out. None where nothing
    is posted (the playground, the preview): each picture then stands as `(upload) <name>`."""
    # `time` filter markers -> <!date^...>, or plain text where Slack formats none
    card = times.with_times(card, PLATFORM.write_time, PLATFORM.plain_time_parts)
    head: list[dict[str, Any]] = []
    if card.title:
        head.append({"type": "header", "text": _text("plain_text", cut(markup.plain(card.title), HEADER_MAX))})
    buttons = [b for b in card.buttons if b.custom_id and len(b.custom_id) <= ACTION_ID_MAX]
    actions: list[dict[str, Any]] = []
    menus = select_elements(card)  # gmbot/slack/selects.py: static_selects before the buttons
    if buttons or menus:  # one actions block holds 25: the spec allows no more (generator check)
        elements = menus[:max(ACTIONS_ELEMENTS_MAX - len(buttons), 0)]  # the buttons keep their places
        for button in buttons[:ACTIONS_ELEMENTS_MAX]:
            element: dict[str, Any] = {
                "type": "button", "text": _text("plain_text", cut(markup.plain(button.label), BUTTON_TEXT_MAX)),
                "action_id": button.custom_id, "value": button.custom_id,
            }
            if button.confirm is not None and button.confirmed_id:  # Slack asks itself: the click is confirmed
                element.update(action_id=button.confirmed_id, value=button.confirmed_id, confirm={
                    "title": _text("plain_text", cut(button.confirm.title, CONFIRM_TITLE_MAX)),
                    "text": _text("plain_text", cut(button.confirm.text, CONFIRM_TEXT_MAX)),
                    "confirm": _text("plain_text", cut(button.confirm.yes, CONFIRM_BUTTON_MAX)),
                    "deny": _text("plain_text", cut(button.confirm.no, CONFIRM_BUTTON_MAX)),
                    "style": "danger"})
            if button.style in _STYLES:
                element["style"] = _STYLES[button.style]
            elements.append(element)
        actions.append({"type": "actions", "elements": elements})
    # header, url link, footer context and the actions are always kept: the body gets the rest
    # a URL too long for Slack cannot be cut (it would name another picture): it is left out
    alt = cut(markup.plain(times.write_times(card.title, times.plain)), ALT_TEXT_MAX) or "image"
    image = _picture("image", card, files, alt) or _address(card.image, alt)
    thumbnail = _picture("thumbnail", card, files, alt) or _address(card.thumbnail, alt)
    room = BLOCKS_MAX - len(head) - len(actions) - (1 if card.url else 0) - 1 - (1 if image else 0)
    body: list[dict[str, Any]] = []
    dropped = 0

    def add(block: dict[str, Any]) -> None:
        nonlocal dropped
        if len(body) < room:
            body.append(block)
        else:
            dropped += 1

    for chunk in chunks(mrkdwn(card.description), SECTION_TEXT_MAX):
        add({"type": "section", "text": _text("mrkdwn", chunk)})
    inline: list[dict[str, Any]] = []
    for item in [*card.fields, None]:  # None flushes the last run of inline fields
        if item is not None and item.inline:
            inline.append(_text("mrkdwn", _field_text(item, FIELD_TEXT_MAX)))
            if len(inline) < FIELDS_MAX:
                continue
        if inline:
            add({"type": "section", "fields": inline})
            inline = []
        if item is not None and not item.inline:
            add({"type": "section", "text": _text("mrkdwn", _field_text(item, SECTION_TEXT_MAX))})
    if thumbnail:
        section = next((block for block in body if block["type"] == "section"), None)
        if section is not None:
            section["accessory"] = thumbnail
        else:  # nothing to sit beside: a small image in a context line
            body.append({"type": "context", "elements": [thumbnail]})
    if image:
        body.append({"type": "image", **{k: v for k, v in image.items() if k != "type"}})
    context: list[dict[str, Any]] = []
    if card.url:
        url = _entities(card.url).replace("|", "%7C")  # the renderer passed only an http(s) URL
        head.append({"type": "context", "elements": [_text("mrkdwn", cut(f"<{url}|Open>", CONTEXT_TEXT_MAX))]})
    footer = mrkdwn(card.footer)
    if dropped:
        marker = f"… {dropped} more not shown (Slack's message limit)"
        footer = f"{marker} · {footer}" if footer else marker
    if footer:
        context.append({"type": "context", "elements": [_text("mrkdwn", cut(footer, CONTEXT_TEXT_MAX))]})
    blocks = [*head, *body, *context, *actions]
    return {"text": fallback_text(card), "attachments": [{"color": color_hex(card.color), "blocks": blocks}]}


def _address(url: str | None, alt: str) -> dict[str, Any] | None:
    """An image element of a URL picture; a URL too long for Slack cannot be cut (it would name
    another picture): it is left out."""
    return {"type": "image", "image_url": url, "alt_text": alt} if url and len(url) <= IMAGE_URL_MAX else None


def _picture(part: str, card: RenderedCard, files: Mapping[str, str] | None, alt: str) -> dict[str, Any] | None:
    """An image element of a picture from the backend, by the Slack file it was uploaded as."""
    picture = card.pictures.get(part)
    if picture is None or (files is not None and part not in files):
        return None
    ident = files[part] if files is not None else f"{UPLOAD_STANDIN} {picture.name}, {len(picture.data)} bytes, " \
                                                  f"{picture.media_type}"
    return {"type": "image", "slack_file": {"id": ident}, "alt_text": alt}


# -- as text: how the playground prints what Slack would show ---------------------------------
def _plain(element: dict[str, Any]) -> str:
    text = _SLACK_DATE.sub(r"\1", str(element.get("text", "")))  # Slack shows a local time; we its fallback
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace("\u00ad", "")


def message_to_text(message: dict[str, Any]) -> str:
    """A Slack message as readable text: `|` is the attachment's colour bar, *bold* is Slack's."""
    lines: list[str] = []
    for attachment in message.get("attachments") or [{"blocks": message.get("blocks") or []}]:
        for block in attachment.get("blocks") or []:
            kind = block.get("type")
            if kind == "header":
                lines.append(f"*{_plain(block['text'])}*")
            elif kind == "section" and "text" in block:
                lines += _plain(block["text"]).splitlines() or [""]
            elif kind == "section":
                lines.append("   ".join(_plain(f).replace("\n", ": ", 1) for f in block.get("fields", [])))
            if kind == "section" and block.get("accessory", {}).get("type") == "image":
                lines.append(f"[thumbnail: {_source(block['accessory'])}]")
            elif kind == "context" and all(e.get("type") == "image" for e in block.get("elements", [])):
                lines += [f"[thumbnail: {_source(e)}]" for e in block.get("elements", [])]
            elif kind == "context":
                lines.append("_" + " ".join(_plain(e) for e in block.get("elements", [])) + "_")
            elif kind == "image":
                lines.append(f"[image: {_source(block)}]")
            elif kind == "actions":
                lines += [select_text(e) for e in block.get("elements", []) if e.get("type") == "static_select"]
                pressed = [f"[{_plain(e['text'])}]" for e in block.get("elements", []) if e.get("type") == "button"]
                lines += ["  ".join(pressed)] if pressed else []
    return "\n".join(f"| {line}" if line else "|" for line in lines)


def _source(image: dict[str, Any]) -> str:
    """Where an image element's picture comes from: its address, or its Slack file."""
    if "image_url" in image:
        return str(image["image_url"])
    ident = str((image.get("slack_file") or {}).get("id", ""))
    return ident.removeprefix(UPLOAD_STANDIN).strip() if ident.startswith(UPLOAD_STANDIN) else f"file {ident}"
