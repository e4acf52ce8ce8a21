"""How `gmbot preview` draws a Slack message: Block Kit in its colour-bar attachment, light theme.

The column shows what `card_to_message` (the bot's own converter) gives, drawn by
`preview.jinja` beside this module, with Slack's mrkdwn rendered simply.
"""

from __future__ import annotations

import re
from pathlib import Path

from markupsafe import Markup, escape

from gmbot.chat.vocabulary import RenderedForm
from gmbot.platforms import PreviewLook
from gmbot.preview.markup import CODE, inline, keep
from gmbot.slack import forms
from gmbot.slack.blocks import card_to_message

_TOKEN = re.compile(r"<([^<>\s|]+)(?:\|([^<>]*))?>")  # <https://x|label>, <@U1>, <#C1|name>, <!here>


def _unescape(text: str) -> str:
    """Slack mrkdwn escapes &, < and > as entities: the reader sees the characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _token(match: re.Match[str]) -> str:
    target, label = match.group(1), match.group(2)
    shown = escape(_unescape(label or target))
    if target.startswith(("http://", "https://")):
        return f'<a href="{escape(target)}">{shown}</a>'
    return f'<span class="mention">{shown if label else escape(target)}</span>'


def slack_mrkdwn(text: str) -> Markup:
    kept: list[str] = []
    parts, last = [], 0
    for match in _TOKEN.finditer(text):
        parts.append(str(escape(_unescape(text[last:match.start()]))))
        parts.append(keep(kept, _token(match)))
        last = match.end()
    parts.append(str(escape(_unescape(text[last:]))))
    html = CODE.sub(lambda m: keep(kept, f"<code>{m.group(1)}</code>"), "".join(parts))
    return inline(html, [
        (r"(?<![\w*])\*(?!\s)(.+?)\*", r"<strong>\1</strong>"),
        (r"(?<!\w)_(?!\s)(.+?)_(?!\w)", r"<em>\1</em>"),
        (r"(?<!\w)~(?!\s)(.+?)~(?!\w)", r"<s>\1</s>"),
    ], kept)


CSS = """
.slack { background: #fff; border: 1px solid #ddd; padding: 10px; border-radius: 6px; }
.slack-attachment { border-left: 4px solid #ddd; padding-left: 10px; }
.slack-header { font-weight: 700; font-size: 16px; margin: 2px 0 6px; }
.slack-section { margin: 4px 0; overflow-wrap: anywhere; }
.slack-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; margin: 4px 0; }
.slack-accessory { float: right; width: 72px; height: 72px; object-fit: cover; border-radius: 4px; margin-left: 8px; }
.slack-image { display: block; max-width: 100%; max-height: 300px; margin: 6px 0; border-radius: 4px; }
.slack-context-image { width: 20px; height: 20px; vertical-align: middle; }
.slack-context { font-size: 12px; color: #616061; }
.slack code { background: #f6f6f6; color: #e01e5a; border: 1px solid #ddd; padding: 0 3px; border-radius: 3px; font-size: 12px; }
.slack .mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
.slack .button { background: #fff; color: #1d1c1d; border: 1px solid #bbb; }
.slack .select { background: #fff; color: #616061; border: 1px solid #bbb; border-radius: 4px; padding: 5px 10px; max-width: 300px; }
.slack .select-options { list-style: none; margin: 2px 0 6px; padding: 4px 10px; max-width: 280px; border: 1px solid #ddd; border-radius: 4px; font-size: 13px; }
.slack .option-description { color: #616061; font-size: 11px; }
.slack .slack-confirm { font-size: 11px; color: #616061; margin-left: 4px; }
.slack .slack-primary { background: #007a5a; color: #fff; } .slack .slack-danger { background: #e01e5a; color: #fff; }
.slack .meta { color: #888; }
"""

def form_html(form: RenderedForm) -> Markup:
    """A form as Slack's modal shows it: the very view the bot opens (gmbot/slack/forms.py),
    its title, input blocks (optional ones said so), Cancel and the submit label."""
    view = forms.modal(form, "", "Cancel")
    rows = [Markup('<div class="slack-modal-title">{}</div>').format(view["title"]["text"])]
    for block in view["blocks"]:
        element = block["element"]
        hint = (element.get("placeholder") or {}).get("text", "")
        if element["type"] == "external_select":  # a field with suggestions: searched as it is typed
            shown = (element.get("initial_option") or {}).get("text", {}).get("text") or hint
            rows.append(Markup('<label class="slack-label">{}{}</label><div class="slack-input slack-search" '
                               'title="{}">{} ▾</div>').format(
                block["label"]["text"], Markup(' <span class="meta">(optional)</span>') if block["optional"] else "",
                forms.SEARCH_HINT, shown))
            continue
        rows.append(Markup('<label class="slack-label">{}{}</label><div class="slack-input{}">{}</div>').format(
            block["label"]["text"], Markup(' <span class="meta">(optional)</span>') if block["optional"] else "",
            " slack-input-long" if element.get("multiline") else "", element.get("initial_value") or hint))
    rows.append(Markup('<div class="button-row slack-modal-buttons"><span class="button">{}</span>'
                       '<span class="button slack-primary">{}</span></div>').format(view["close"]["text"],
                                                                                   view["submit"]["text"]))
    return Markup('<div class="slack slack-modal">{}</div>').format(Markup("").join(rows))


FORM_CSS = """
.slack-modal-title { font-weight: 900; font-size: 18px; margin-bottom: 10px; }
.slack-label { display: block; font-weight: 700; margin: 8px 0 4px; }
.slack-input { border: 1px solid #bbb; border-radius: 4px; padding: 6px; min-height: 18px; color: #888; }
.slack-input-long { min-height: 60px; }
.slack-search { color: #616061; }
.slack-modal-buttons { text-align: right; }
"""

LOOK = PreviewLook(card_to_message, Path(__file__).with_name("preview.jinja"), {"slack_md": slack_mrkdwn},
                   CSS + FORM_CSS, form=form_html)
