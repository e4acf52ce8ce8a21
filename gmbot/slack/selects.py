"""A card's selects as Block Kit `static_select` elements in the card's actions block (docs/spec.md,
Selects; docs.slack.dev/reference/block-kit/block-elements/select-menu-element).

No SDK import. The select's `action_id` is the core's select id (the natively confirmed one when
it asks first: Slack's own `confirm` dialog, as a button's); a choice arrives as `block_actions`
with `selected_option.value`, which `chosen` turns into the core's choice id.
"""

from __future__ import annotations

from typing import Any

from gmbot.chat import markup
from gmbot.chat.core import BUTTON_PREFIX
from gmbot.chat.fit import cut
from gmbot.chat.selects import choice_id, shown_options
from gmbot.chat.vocabulary import RenderedCard, RenderedSelect

STATIC_SELECT = "static_select"
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75  # an option's text and description (plain_text)
VALUE_MAX = 150
PLACEHOLDER_MAX = 150
ACTION_ID_MAX = 255
CONFIRM_TITLE_MAX, CONFIRM_TEXT_MAX, CONFIRM_BUTTON_MAX = 100, 300, 30


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": False}


def select_element(select: RenderedSelect) -> dict[str, Any] | None:
    """One select as a `static_select`: the first 100 options whose value fits in 150
    characters (texts cut visibly); None when none is left or its id does not fit."""
    action_id = select.confirmed_id if select.confirm is not None and select.confirmed_id else select.custom_id
    if not action_id or len(action_id) > ACTION_ID_MAX:
        return None
    options = []
    for option in shown_options(select, VALUE_MAX, OPTIONS_MAX, "Slack"):
        shown: dict[str, Any] = {"text": _plain(cut(markup.plain(option.label), OPTION_TEXT_MAX) or "?"),
                                 "value": option.value}
        if option.description:
            shown["description"] = _plain(cut(markup.plain(option.description), OPTION_TEXT_MAX))
        options.append(shown)
    if not options:
        return None
    element: dict[str, Any] = {"type": STATIC_SELECT, "action_id": action_id,
                               "placeholder": _plain(cut(markup.plain(select.placeholder), PLACEHOLDER_MAX) or "…"),
                               "options": options}
    if select.confirm is not None and select.confirmed_id:  # Slack asks itself: the choice arrives confirmed
        element["confirm"] = {
            "title": _plain(cut(select.confirm.title, CONFIRM_TITLE_MAX)),
            "text": _plain(cut(select.confirm.text, CONFIRM_TEXT_MAX)),
            "confirm": _plain(cut(select.confirm.yes, CONFIRM_BUTTON_MAX)),
            "deny": _plain(cut(select.confirm.no, CONFIRM_BUTTON_MAX)),
            "style": "danger"}
    return element


def select_elements(card: RenderedCard) -> list[dict[str, Any]]:
    return [e for s in card.selects if (e := select_element(s)) is not None]


def chosen(action: dict[str, Any]) -> str | None:
    """The core's choice id of a `block_actions` action, when it is a choice in one of our selects."""
    action_id = str(action.get("action_id", ""))
    option = action.get("selected_option")
    if action.get("type") != STATIC_SELECT or not action_id.startswith(BUTTON_PREFIX) or not isinstance(option, dict):
        return None
    value = option.get("value")
    return choice_id(action_id, value, BUTTON_PREFIX) or None if isinstance(value, str) else None


def select_text(element: dict[str, Any]) -> str:
    """A select as the playground prints it: `[▾ placeholder: text | text]`."""
    labels = " | ".join(str(o["text"]["text"]) for o in element.get("options") or [])
    return f"[▾ {element['placeholder']['text']}: {labels}]"
