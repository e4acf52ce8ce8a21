"""How `gmbot preview` draws a Telegram message (gmbot/platforms.py `PreviewLook`): the
bubbles and inline keyboard `card_to_messages` gives, its HTML drawn as Telegram does."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup, escape

from gmbot.chat.vocabulary import RenderedForm
from gmbot.platforms import PreviewLook
from gmbot.telegram.buttons import size
from gmbot.telegram.messages import card_to_messages

# the tags of Telegram's HTML the converter writes; anything else is shown as text
_TAGS = {"b": "strong", "strong": "strong", "i": "em", "em": "em", "u": "u", "s": "s", "code": "code",
         "pre": "pre", "blockquote": "blockquote", "a": "a"}


class _Drawn(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            return
        href = dict(attrs).get("href") or ""
        if tag == "a":
            self.out.append(f'<a href="{escape(href)}">' if href.startswith(("https://", "http://", "tg://")) else "<a>")
        else:
            self.out.append(f"<{_TAGS[tag]}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in _TAGS:
            self.out.append(f"</{_TAGS[tag]}>")

    def handle_data(self, data: str) -> None:
        self.out.append(str(escape(data)).replace("\n", "<br>"))


def telegram_html(text: str) -> Markup:
    """Telegram HTML as the page shows it (only Telegram's tags, re-escaped)."""
    drawn = _Drawn()
    drawn.feed(text)
    drawn.close()
    return Markup("".join(drawn.out))


CSS = """
.telegram { background: #a7c4a0; padding: 10px; border-radius: 6px; font-family: -apple-system, "Segoe UI", sans-serif; }
.tg-bubble { background: #fff; color: #000; border-radius: 10px; padding: 6px 10px; margin: 6px 0; max-width: 95%; }
.tg-link-preview { border-left: 3px solid #168acd; padding-left: 6px; margin-top: 4px; }
.tg-link-preview img { display: block; max-width: 100%; max-height: 260px; border-radius: 4px; }
.tg-link-preview.small img { width: 64px; height: 64px; object-fit: cover; }
.tg-text { font-size: 14px; line-height: 1.35; overflow-wrap: anywhere; }
.tg-text a { color: #168acd; } .tg-text code { background: #eef; border-radius: 3px; padding: 0 2px; }
.tg-row { display: flex; gap: 4px; margin-top: 4px; }
.tg-key { flex: 1; text-align: center; background: #5b8a5a55; color: #fff; border-radius: 6px; padding: 6px; font-size: 13px; }
.tg-success { background: #2e9b4e; } .tg-danger { background: #d64545; } .tg-primary { background: #3a8ee6; }
"""

EMPTY = "-"  # the answer that leaves an optional field empty (gmbot/telegram/forms.py, which needs aiogram)


def form_html(form: RenderedForm) -> Markup:
    """Telegram has no forms: the questions the bot asks one at a time (gmbot/telegram/forms.py),
    each a reply that opens the user's reply field."""
    rows = []
    for number, field in enumerate(form.inputs, 1):
        optional = Markup('<div class="tg-optional">{}</div>').format(
            f"Optional: reply {EMPTY} to leave it empty.") if not field.required else ""
        rows.append(Markup('<div class="tg-question"><b>{}</b> ({}/{})<br>{}{}'
                           '<div class="tg-reply-field">↩ {}</div></div>').format(
            form.title, number, len(form.inputs), field.label, optional, field.placeholder or field.label))
    return Markup('<div class="tg-form">{}</div>').format(Markup("").join(rows))


FORM_CSS = """
.tg-question { background: #fff; border-radius: 8px; padding: 6px 8px; margin: 4px 0; }
.tg-optional { font-style: italic; color: #707579; }
.tg-reply-field { font-size: 11px; color: #3a8ee6; margin-top: 2px; }
"""

LOOK = PreviewLook(
    to_message=card_to_messages,
    template=Path(__file__).with_name("preview.jinja"),
    filters={"telegram_html": telegram_html, "bytes": size},
    css=CSS + FORM_CSS,
    form=form_html,
)
