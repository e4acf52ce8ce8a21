"""A card's selects as Block Kit (gmbot/slack/selects.py): a `static_select` in the card's
actions block before its buttons, cut to Slack's limits, and a select that asks first carries
Slack's own `confirm` dialog under the confirmed id (the choice then arrives confirmed)."""

from __future__ import annotations

import json
from typing import Any

from gmbot.chat.core import BUTTON_PREFIX
from gmbot.chat.selects import choice_id
from gmbot.chat.vocabulary import (
    RenderedButton,
    RenderedCard,
    RenderedConfirm,
    RenderedOption,
    RenderedSelect,
)
from gmbot.slack import selects
from gmbot.slack.blocks import card_to_message, message_to_text

SELECT_ID = 'gm:["sc","games","200",0,[]]'


def card(options: list[RenderedOption], confirm: RenderedConfirm | None = None) -> RenderedCard:
    menu = RenderedSelect("Subscribe to…", 0, options, SELECT_ID, confirm,
                          'gm:["sc!","games","200",0,[]]' if confirm else None)
    return RenderedCard(title="Games", selects=[menu],
                        buttons=[RenderedButton("Next ▶", "secondary", 0, 'gm:["p","games","200",1,[3]]')])


def test_a_static_select_before_the_buttons_within_slacks_limits() -> None:
    many = [RenderedOption(f"Game {i} " + "x" * 80, str(i), "1-4 players") for i in range(selects.OPTIONS_MAX + 3)]
    many.append(RenderedOption("Too long a value", "v" * (selects.VALUE_MAX + 1)))
    message = card(many)
    [actions] = [b for b in message_block(message) if b["type"] == "actions"]
    menu, button = actions["elements"]
    assert menu["type"] == "static_select" and button["type"] == "button"
    assert menu["action_id"] == SELECT_ID and menu["placeholder"]["text"] == "Subscribe to…"
    assert [o["value"] for o in menu["options"]] == [str(i) for i in range(selects.OPTIONS_MAX)]  # the first 100
    assert all(len(o["text"]["text"]) <= selects.OPTION_TEXT_MAX for o in menu["options"])
    assert "[▾ Subscribe to…: Game 0" in message_to_text(card_to_message(message))


def test_a_select_that_asks_first_has_slacks_dialog_and_its_choice_arrives_confirmed() -> None:
    asked = RenderedConfirm("Subscribe?", "War requests will come", "Subscribe", "Keep")
    message = card([RenderedOption("Fortnite", "5")], asked)
    menu = next(e for b in message_block(message) if b["type"] == "actions" for e in b["elements"]
                if e["type"] == "static_select")
    assert menu["confirm"]["title"]["text"] == "Subscribe?" and menu["confirm"]["confirm"]["text"] == "Subscribe"
    chosen = selects.chosen({"type": "static_select", "action_id": menu["action_id"],
                             "selected_option": menu["options"][0]})
    assert chosen == choice_id('gm:["sc!","games","200",0,[]]', "5", BUTTON_PREFIX)
    assert json.loads((chosen or "").removeprefix(BUTTON_PREFIX))[0] == "sc!"


def test_a_button_action_is_not_a_choice() -> None:
    assert selects.chosen({"type": "button", "action_id": SELECT_ID, "value": SELECT_ID}) is None


def message_block(rendered: RenderedCard) -> list[dict[str, Any]]:
    return card_to_message(rendered)["attachments"][0]["blocks"]
