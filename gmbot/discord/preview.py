"""How `gmbot preview` draws a Discord message: its embeds and button rows, dark theme.

The column shows what `card_to_message` (the runtime's own converter) gives, drawn by
`preview.jinja` beside this module, with Discord's Markdown rendered simply.
"""

from __future__ import annotations

import re
from pathlib import Path

from markupsafe import Markup, escape

from gmbot.chat.vocabulary import RenderedForm
from gmbot.discord import forms
from gmbot.discord.embeds import card_to_message, shown_time
from gmbot.platforms import PreviewLook
from gmbot.preview.markup import inline, keep

# Discord's escape (a backslash before punctuation shows the character, unformatted), read
# before code spans: `\`` opens none. In escaped HTML, `<` is `&lt;` and so on.
_ESCAPE_OR_CODE = re.compile(r"\\(&(?:lt|gt|amp|#39|#34);|[^0-9A-Za-z\s])|`([^`\n]+)`")
_TIME = re.compile(r"&lt;t:(-?\d+)(?::([tTdDfFR]))?&gt;")


def _time(match: re.Match[str]) -> str:
    """`<t:1764395000:R>`: Discord shows it in the reader's zone; the preview in UTC."""
    shown = shown_time(int(match.group(1)), match.group(2))
    return f'<span class="timestamp" title="{match.group(0)}">{escape(shown)}</span>'  # group(0) is escaped already


def discord_markdown(text: str) -> Markup:
    kept: list[str] = []
    html = _ESCAPE_OR_CODE.sub(
        lambda m: keep(kept, m.group(1) if m.group(1) else f"<code>{m.group(2)}</code>"), str(escape(text)))
    html = _TIME.sub(lambda m: keep(kept, _time(m)), html)
    return inline(html, [
        (r"\*\*(.+?)\*\*", r"<strong>\1</strong>"),
        (r"__(.+?)__", r"<u>\1</u>"),
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<em>\1</em>"),
        (r"~~(.+?)~~", r"<s>\1</s>"),
        (r"\[([^\]]+)\]\((https?://[^)\s]+)\)", r'<a href="\2">\1</a>'),
    ], kept)


FORM_CSS = """
.discord-modal-title { font-weight: 700; font-size: 18px; margin-bottom: 10px; }
.discord-label { display: block; font-size: 11px; font-weight: 700; color: #b5bac1; margin: 8px 0 4px; }
.discord-required { color: #f23f43; }
.discord-input { background: #1e1f22; border-radius: 3px; padding: 8px; min-height: 18px; color: #87898c; }
.discord-input-long { min-height: 60px; }
"""

CSS = """
.discord { background: #313338; color: #dbdee1; padding: 10px; border-radius: 6px; }
.discord .embed { background: #2b2d31; border-left: 4px solid #4f545c; border-radius: 4px; padding: 8px 12px 10px; margin-bottom: 6px; max-width: 516px; }
.discord .embed-title { font-weight: 600; color: #f2f3f5; margin-bottom: 4px; overflow-wrap: anywhere; }
.discord .embed-title a { color: #00a8fc; }
.discord .embed-description { font-size: 13px; margin-bottom: 6px; overflow-wrap: anywhere; }
.discord .embed-fields { display: flex; flex-wrap: wrap; gap: 6px 0; }
.discord .embed-field { flex: 0 0 100%; font-size: 13px; overflow-wrap: anywhere; }
.discord .embed-field.inline { flex: 0 0 33.3%; }
.discord .embed-field-name { font-weight: 600; color: #f2f3f5; }
.discord .embed-thumbnail { float: right; max-width: 80px; max-height: 80px; margin-left: 16px; border-radius: 4px; }
.discord .embed-image { display: block; max-width: 100%; max-height: 300px; margin-top: 12px; border-radius: 4px; }
.discord .embed-footer { font-size: 11px; color: #b5bac1; margin-top: 8px; }
.discord code { background: #1e1f22; padding: 0 3px; border-radius: 3px; font-size: 12px; }
.discord .discord-primary { background: #5865f2; } .discord .discord-success { background: #248046; }
.discord .discord-danger { background: #da373c; }
.discord .timestamp { background: #3f4147; border-radius: 3px; padding: 0 2px; }
.discord .meta { color: #949ba4; }
.discord .select { background: #1e1f22; border: 1px solid #111214; border-radius: 4px; padding: 6px 10px; max-width: 400px; color: #949ba4; }
.discord .select-options { list-style: none; margin: 2px 0 6px; padding: 4px 10px; max-width: 380px; background: #2b2d31; border-radius: 4px; font-size: 13px; }
.discord .option-description { color: #949ba4; font-size: 11px; }
"""

def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def form_html(form: RenderedForm) -> Markup:
    """A form as Discord's modal shows it (gmbot/discord/modals.py): its title, up to five text
    inputs with their labels (a paragraph is taller), and Discord's own Cancel and Submit."""
    rows = [Markup('<div class="discord-modal-title">{}</div>').format(_cut(form.title, forms.TITLE_MAX))]
    for field in form.inputs[: forms.INPUTS_MAX]:
        required = Markup(' <span class="discord-required">*</span>') if field.required else ""
        shown = field.value or field.placeholder or ""
        rows.append(Markup('<label class="discord-label">{}{}</label><div class="discord-input{}">{}</div>').format(
            _cut(field.label, forms.LABEL_MAX).upper(), required, " discord-input-long" if field.long else "",
            _cut(shown, forms.PLACEHOLDER_MAX)))
    rows.append(Markup('<div class="button-row"><span class="button">Cancel</span>'
                       '<span class="button discord-primary">Submit</span></div>'))
    return Markup('<div class="discord discord-modal">{}</div>').format(Markup("").join(rows))


LOOK = PreviewLook(card_to_message, Path(__file__).with_name("preview.jinja"), {"discord_md": discord_markdown},
                   CSS + FORM_CSS, form=form_html)
