"""Forms on Slack: a modal opened with `views.open` (input blocks), whose `view_submission` is
answered with `response_action: errors` (a message under each wrong field) or closes it.
Limits from Slack's Block Kit reference (title, submit and close 24 characters; at most 100
blocks; input label 2000, placeholder 150, plain_text_input max_length 3000;
callback_id 255, private_metadata 3000). A field with suggestions (`autocomplete:`) is an
`external_select`, whose typing Slack sends as `block_suggestion` requests (answered with at
most 100 options, text 75 and value 150 characters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gmbot.chat.i18n import N_
from gmbot.chat.vocabulary import RenderedForm, RenderedInput

TITLE_MAX = 24
SUBMIT_MAX = 24
BLOCKS_MAX = 100
LABEL_MAX = 2000
PLACEHOLDER_MAX = 150
VALUE_MAX = 3000
CALLBACK_ID_MAX = 255
METADATA_MAX = 3000
SUGGEST_PREFIX = "gm-suggest:"  # an external_select's action_id: what block_suggestion routes by, then the field
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
SEARCH_HINT = N_("Type to search…")  # the placeholder of a select whose field has none


def _plain(text: str, most: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, most) or "-", "emoji": False}


def cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def modal(form: RenderedForm, metadata: str, close: str, hint: str = SEARCH_HINT) -> dict[str, Any]:
    """A form as Slack's modal view: one input block per field (block and action id: the
    field's name); the form's id is the `callback_id` a submission routes by."""
    blocks: list[dict[str, Any]] = []
    for field in form.inputs[: BLOCKS_MAX - 1]:
        if field.suggested:
            blocks.append({"type": "input", "block_id": field.name, "optional": not field.required,
                           "label": _plain(field.label, LABEL_MAX), "element": search(field, hint)})
            continue
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": field.name, "multiline": field.long}
        if field.min_length:
            element["min_length"] = min(field.min_length, VALUE_MAX)
        element["max_length"] = min(field.max_length or VALUE_MAX, VALUE_MAX)
        if field.value:
            element["initial_value"] = field.value[:VALUE_MAX]
        if field.placeholder:
            element["placeholder"] = _plain(field.placeholder, PLACEHOLDER_MAX)
        blocks.append({"type": "input", "block_id": field.name, "optional": not field.required,
                       "label": _plain(field.label, LABEL_MAX), "element": element})
    return {"type": "modal", "callback_id": form.id[:CALLBACK_ID_MAX], "title": _plain(form.title, TITLE_MAX),
            "submit": _plain(form.submit, SUBMIT_MAX), "close": _plain(close, SUBMIT_MAX),
            "private_metadata": metadata[:METADATA_MAX], "blocks": blocks}


def search(field: RenderedInput, hint: str) -> dict[str, Any]:
    """A field with suggestions: an external_select, asking from the first letter typed
    (`hint`: the placeholder of one whose field has none)."""
    element: dict[str, Any] = {"type": "external_select", "action_id": SUGGEST_PREFIX + field.name,
                               "min_query_length": 1,
                               "placeholder": _plain(field.placeholder or hint, PLACEHOLDER_MAX)}
    if field.value and len(field.value) <= OPTION_VALUE_MAX:  # given with the command: already chosen
        element["initial_option"] = option(field.value, field.value)
    return element


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": _plain(label, OPTION_TEXT_MAX), "value": value}


def suggested(found: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """(label, value) suggestions as a block_suggestion's options: a value too long to come
    back whole is left out rather than cut (it would be another value)."""
    return [option(label, value) for label, value in found if len(value) <= OPTION_VALUE_MAX][:OPTIONS_MAX]


def values(view: Mapping[str, Any]) -> dict[str, str]:
    """What was typed (or, in a select, chosen) in a submitted view, by field name (an empty
    input: "")."""
    state = ((view.get("state") or {}).get("values") or {}) if isinstance(view, Mapping) else {}
    found: dict[str, str] = {}
    for block_id, actions in state.items():
        if isinstance(actions, Mapping):
            typed: Any = next(iter(actions.values()), {})
            value = typed.get("value") if isinstance(typed, Mapping) else None
            chosen = typed.get("selected_option") if isinstance(typed, Mapping) else None
            if isinstance(chosen, Mapping):
                value = chosen.get("value")
            found[str(block_id)] = value if isinstance(value, str) else ""
    return found


def errors(refused: Mapping[str, str], form_blocks: list[str]) -> dict[str, str]:
    """`response_action: errors`' map: each message under its field's block; one naming no
    block of the form goes under the first (Slack shows errors under inputs only)."""
    shown: dict[str, str] = {}
    for name, message in refused.items():
        block = name if name in form_blocks else (form_blocks[0] if form_blocks else name)
        shown[block] = cut(f"{shown[block]} {message}" if block in shown else message, LABEL_MAX)
    return shown
