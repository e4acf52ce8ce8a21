"""Selects at the wire on Slack (spec `selects:`): the games card's actions block holds a
`static_select` with one option per game shown; a signed `block_actions` with its
`selected_option` calls the select's operation as the one who chose, and the card answers
through the choice's `response_url`, in the channel."""

from __future__ import annotations

from typing import Any

from gmbot.chat.core import BUTTON_PREFIX
from gmbot.slack import selects

from .conftest import Stack
from .test_wire import ALICE, BOB, blocks, command, header

SUBSCRIBE = "Subscribe to…"


def menus(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in blocks(message) if b["type"] == "actions" for e in b["elements"]
            if e["type"] == "static_select"]


def games_shown(message: dict[str, Any]) -> list[str]:
    """The games a card lists ("4: Mini Militia"), from its inline fields."""
    return [f["text"].split("\n")[0].strip("*") for b in blocks(message) if b["type"] == "section"
            for f in b.get("fields") or []]


async def test_the_games_card_has_a_static_select_and_a_choice_subscribes(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    games = await command(stack, "games -limit 3", user=ALICE)
    [menu] = menus(games)
    assert menu["placeholder"]["text"] == SUBSCRIBE and menu["action_id"].startswith(BUTTON_PREFIX)
    assert len(menu["action_id"]) <= selects.ACTION_ID_MAX
    assert [f"{o['value']}: {o['text']['text']}" for o in menu["options"]] == games_shown(games)
    assert all(o["description"]["text"].endswith("players") for o in menu["options"])
    chosen = menu["options"][-1]
    reply, url = await stack.wire.choose(menu, chosen["text"]["text"], user=ALICE)
    assert reply.status == 200 and reply.text == ""  # acknowledged at once, answered through response_url
    answer = await stack.fake.response(url)
    assert answer["response_type"] == "in_channel" and answer["replace_original"] is False
    assert header(answer).startswith("Subscribed games")
    assert f"{chosen['value']}: {chosen['text']['text']}" in games_shown(answer)


async def test_a_choice_the_backend_refuses_is_the_choosers_alone(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    games = await command(stack, "games -limit 3", user=ALICE)
    menu = menus(games)[0]
    _, url = await stack.wire.choose(menu, menu["options"][0]["text"]["text"], user=BOB)  # bob is no Leader
    answer = await stack.fake.response(url)
    assert answer["response_type"] == "ephemeral" and "Subscribed games" not in header(answer)


async def test_a_forged_choice_is_refused_in_words(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    games = await command(stack, "games -limit 3", user=ALICE)
    menu = menus(games)[0]
    forged = {**menu, "options": [{"text": {"type": "plain_text", "text": "Nope"}, "value": "fortnite"}]}
    _, url = await stack.wire.choose(forged, "Nope", user=ALICE)
    answer = await stack.fake.response(url)
    assert answer["response_type"] == "ephemeral" and header(answer) == "This choice no longer works"
