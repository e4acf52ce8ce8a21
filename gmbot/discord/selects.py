"""A card's selects as Discord string selects (component type 3), each in an action row of its
own (docs/spec.md, Selects; discord.com/developers/docs/components/reference#string-select).

No SDK import: `select_components` gives the payload the runtime hands py-cord, the preview
draws and the playground prints. A choice arrives as a component interaction (type 3) with
`values: [value]`; `choice` makes the core's choice id of it.
"""

from __future__ import annotations

import logging
from typing import Any

from gmbot.chat import markup
from gmbot.chat.core import BUTTON_PREFIX
from gmbot.chat.fit import cut
from gmbot.chat.selects import choice_id, shown_options
from gmbot.chat.vocabulary import RenderedCard, RenderedSelect

log = logging.getLogger("gmbot.discord.selects")

STRING_SELECT = 3  # the component type
OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100  # label, value and description
PLACEHOLDER_MAX = 150
CUSTOM_ID_MAX = 100
ROWS = 5  # action rows in a message: a select fills one, buttons share the others 5 by 5
ROW_BUTTONS = 5


def select_component(select: RenderedSelect) -> dict[str, Any] | None:
    """One select as Discord's component: the first 25 options whose value fits in 100
    characters (labels and descriptions cut visibly); None when none is left or it has no id."""
    if not select.custom_id or len(select.custom_id) > CUSTOM_ID_MAX:
        return None
    options = []
    for option in shown_options(select, OPTION_TEXT_MAX, OPTIONS_MAX, "Discord"):
        shown: dict[str, Any] = {"label": cut(markup.plain(option.label), OPTION_TEXT_MAX) or "?",
                                 "value": option.value}
        if option.description:
            shown["description"] = cut(markup.plain(option.description), OPTION_TEXT_MAX)
        options.append(shown)
    if not options:
        return None
    return {"type": STRING_SELECT, "custom_id": select.custom_id, "min_values": 1, "max_values": 1,
            "placeholder": cut(markup.plain(select.placeholder), PLACEHOLDER_MAX) or "…", "options": options}


def select_components(card: RenderedCard) -> list[dict[str, Any]]:
    """The card's selects as components, as many as leave a row for its buttons (logged)."""
    found = [c for s in card.selects if (c := select_component(s)) is not None]
    buttons = sum(1 for b in card.buttons if b.custom_id)
    room = ROWS - (buttons + ROW_BUTTONS - 1) // ROW_BUTTONS
    if len(found) > room:
        log.warning("%d selects and %d buttons: Discord's %d rows hold %d of the selects", len(found), buttons,
                    ROWS, max(room, 0))
        found = found[:max(room, 0)]
    return found


def choice(data: dict[str, Any]) -> str | None:
    """The core's choice id of a component interaction's data, when it is a choice in one of
    our selects (`component_type` 3 with one value)."""
    custom_id = str(data.get("custom_id", ""))
    values = data.get("values")
    if data.get("component_type") != STRING_SELECT or not custom_id.startswith(BUTTON_PREFIX):
        return None
    if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
        return None
    return choice_id(custom_id, values[0], BUTTON_PREFIX) or None


def select_text(component: dict[str, Any]) -> str:
    """A select as the playground prints it: `[▾ placeholder: label | label]`."""
    labels = " | ".join(str(o["label"]) for o in component.get("options") or [])
    return f"  [▾ {component.get('placeholder', '')}: {labels}]"
