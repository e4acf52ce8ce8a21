"""Selects at the wire (spec `selects:`): py-cord's own client against the fake Discord, the real
backend behind. The games card carries a string select (component type 3, an action row of its
own) with one option per game of the page; choosing one is a component interaction with
`values`, which calls the select's operation as the one who chose, after a restart too."""

from __future__ import annotations

from typing import Any

import pytest

from gmbot.chat.core import BUTTON_PREFIX
from gmbot.discord import selects

from .fake_discord import CHANNEL_MESSAGE
from .stage import Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

SUBSCRIBE = "Subscribe to…"


def menus(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for row in message.get("components") or [] for c in row["components"] if c["type"] == 3]


def field_names(message: dict[str, Any]) -> list[str]:
    return [f["name"] for embed in message["embeds"] for f in embed.get("fields") or []]


async def test_the_games_card_has_a_select_of_its_games_and_a_choice_subscribes(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    games = await d.reply_to(await d.slash(wolves, "alice", "games", limit=3))
    shown = field_names(games)  # "4: Mini Militia", ...
    [menu] = menus(games)
    row = next(r for r in games["components"] if menu in r["components"])
    assert row["components"] == [menu]  # a select fills its action row
    assert menu["placeholder"] == SUBSCRIBE and menu["custom_id"].startswith(BUTTON_PREFIX)
    assert len(menu["custom_id"]) <= selects.CUSTOM_ID_MAX
    assert [f"{o['value']}: {o['label']}" for o in menu["options"]] == shown  # one option per game shown
    assert all(o["description"].endswith("players") for o in menu["options"])
    assert menu.get("min_values", 1) == 1 and menu.get("max_values", 1) == 1

    # a new process: the select carries what a choice needs in its custom id
    await s.stop_bots()
    await s.start_bot()
    chosen = menu["options"][1]
    reply = await d.reply_to(await d.choose(wolves, "alice", games, SUBSCRIBE, chosen["label"]))
    assert reply["_callback_type"] == CHANNEL_MESSAGE and not reply["flags"] & 64  # a new card, for everyone
    assert title(reply).startswith("Subscribed games")
    assert f"{chosen['value']}: {chosen['label']}" in field_names(reply)
    assert reply["id"] != games["id"]  # the list stays as it was
    mine = await d.reply_to(await d.slash(wolves, "bob", "mygames"))
    assert f"{chosen['value']}: {chosen['label']}" in field_names(mine)


async def test_a_choice_is_made_as_the_chooser_whom_the_backend_may_refuse(s: Stage) -> None:
    """dora is no Leader: the backend refuses her subscription, and only she reads why."""
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    games = await d.reply_to(await d.slash(wolves, "alice", "games", limit=3))
    label = menus(games)[0]["options"][0]["label"]
    refused = await d.reply_to(await d.choose(wolves, "dora", games, SUBSCRIBE, label))
    assert refused["flags"] & 64 and "Subscribed games" not in title(refused)


async def test_a_forged_choice_is_refused_in_words(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    games = await d.reply_to(await d.slash(wolves, "alice", "games", limit=3))
    menu = menus(games)[0]
    forged = {**games, "components": [{"type": 1, "components": [
        {**menu, "options": [{"label": "Not a game", "value": "fortnite"}]}]}]}  # the select's values are ids
    answer = await d.reply_to(await d.choose(wolves, "alice", forged, SUBSCRIBE, "Not a game"))
    assert title(answer) == "This choice no longer works" and answer["flags"] & 64



async def test_a_page_button_edits_the_select_with_its_page(s: Stage) -> None:
    """Next ▶ edits the card in place: the select then offers the next page's games."""
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    first = await d.reply_to(await d.slash(wolves, "alice", "games", limit=2))
    page = await d.reply_to(await d.click(wolves, "bob", first, "Next ▶"))
    assert page["id"] == first["id"] and field_names(page) != field_names(first)
    [menu] = menus(page)
    assert [f"{o['value']}: {o['label']}" for o in menu["options"]] == field_names(page)
