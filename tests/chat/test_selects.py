"""Selects in the core (gmbot/chat/selects.py): options from the reply (a label, a value, no
repeats, the cut), the ids a choice is routed by, `$selected` typed as the select says, and a
select that asks first (`confirm:`), in a prompt of ours or in the platform's own dialog."""

from __future__ import annotations

import json
from typing import Any

import httpx

from gmbot.chat import selects
from gmbot.chat.core import BUTTON_PREFIX, Core
from gmbot.chat.i18n import Locales
from gmbot.chat.markup import plain
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.spec.model import BotSpec
from tests.chat.fakes import GAME4, FakeBackend, war
from tests.support import ROOT

WOLVES = Place("1", "Wolves")
ALICE = Person("11", "alice")
INV = Invocation("discord", author=ALICE, server=WOLVES, channel=Place("77", "wars"), id="999")
GAMES = [GAME4, {"id": 5, "name": "Fortnite", "minPlayers": 1, "maxPlayers": 4},
         {"id": 7, "name": "CS GO", "minPlayers": 1, "maxPlayers": 5}]


def page(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"items": items, "total": len(items), "limit": 25, "offset": 0}


def asking(spec: BotSpec) -> BotSpec:
    """Gmbot's spec with the games card's select asking first."""
    data = spec.model_dump(mode="json")
    games = next(c for c in data["commands"] if c["name"] == "games")
    games["replies"]["200"]["selects"][0]["confirm"] = {"title": "Subscribe to game {{ selected }}?",
                                                        "text": "War requests for it will reach your channel"}
    return BotSpec.model_validate(data)


async def test_options_come_from_the_reply_without_repeats_and_choosing_one_sends_it_typed(
        spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json=page([*GAMES, GAMES[0], {**GAME4, "id": 9, "name": ""}]))
    core = Core(spec, fake.client(), "discord")
    outcome = await core.run_prefix("games", "", INV)
    [menu] = outcome.card.selects
    assert menu.placeholder == "Subscribe to…" and [o.value for o in menu.options] == ["4", "5", "7"]  # no repeat, no nameless
    assert [o.label for o in menu.options] == [g["name"] for g in GAMES]
    assert menu.options[1].description == "1-4 players"
    assert json.loads(menu.custom_id.removeprefix(BUTTON_PREFIX)) == [selects.COMMAND_KIND, "games", "200", 0, []]
    assert menu.options[1].choice_id == selects.choice_id(menu.custom_id, "5", BUTTON_PREFIX)

    fake.answer = lambda r: httpx.Response(200, json=page([GAMES[1]]))
    chosen = await core.click(selects.choice_id(menu.custom_id, "5", BUTTON_PREFIX), INV)
    sent = fake.requests[-1]
    assert (sent.method, sent.url.path) == ("POST", "/clans/1/subscriptions")
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "games": [5]}  # an integer, as `type:` says
    assert chosen.kind == "reply" and not chosen.replaces and "Subscribed games" in chosen.card.title


async def test_a_select_with_nothing_to_choose_is_left_off_and_many_options_are_cut(
        spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    fake.answer = lambda r: httpx.Response(200, json={"serverId": "1", "ongoing": [], "requests": [],
                                                      "subscriptions": []})
    assert (await core.run_prefix("status", "", INV)).card.selects == []
    many = [war(id=f"w{i:03d}", status="ongoing") for i in range(selects.OPTIONS_MAX + 5)]
    fake.answer = lambda r: httpx.Response(200, json={"serverId": "1", "ongoing": many, "requests": [],
                                                      "subscriptions": []})
    [menu] = (await core.run_prefix("status", "", INV)).card.selects
    assert [o.value for o in menu.options] == [w["id"] for w in many][:selects.OPTIONS_MAX]


async def test_a_forged_choice_calls_nothing(spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    for forged in ('gm:["sc","games","200",0,["fortnite"]]', 'gm:["sc","games","200",3,["5"]]',
                   'gm:["sc","games","200",0,[]]', 'gm:["se","war.ended","",0,["5"]]', 'gm:["sc","nope","200",0,["5"]]'):
        outcome = await core.click(forged, INV)
        assert outcome.kind == "usage" and outcome.card.title == "This choice no longer works", forged
    assert fake.requests == []


async def test_a_select_that_asks_first_prompts_then_goes_ahead(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json=page(GAMES))
    core = Core(asking(spec), fake.client(), "discord")
    [menu] = (await core.run_prefix("games", "", INV)).card.selects
    assert menu.confirm is not None and menu.confirmed_id is not None
    prompt = await core.click(selects.choice_id(menu.custom_id, "7", BUTTON_PREFIX), INV)
    assert prompt.kind == "confirm" and plain(prompt.card.title) == "Subscribe to game 7?"
    assert len(fake.requests) == 1  # nothing subscribed yet
    ahead = prompt.card.buttons[0].custom_id
    assert ahead is not None and json.loads(ahead.removeprefix(BUTTON_PREFIX))[0] == "SC"
    fake.answer = lambda r: httpx.Response(200, json=page([GAMES[2]]))
    done = await core.click(ahead, INV)
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "games": [7]}
    assert done.kind == "reply" and done.replaces  # the answer takes the prompt's place


async def test_a_choice_the_platform_confirmed_in_its_own_dialog_goes_straight_through(
        spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json=page(GAMES))
    core = Core(asking(spec), fake.client(), "slack")
    [menu] = (await core.run_prefix("games", "", INV)).card.selects
    assert menu.confirmed_id is not None
    fake.answer = lambda r: httpx.Response(200, json=page([GAMES[0]]))
    done = await core.click(selects.choice_id(menu.confirmed_id, "4", BUTTON_PREFIX), INV)
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "games": [4]}
    assert done.kind == "reply" and not done.replaces


async def test_a_select_on_an_event_card_carries_what_its_request_reads_of_the_event(
        spec: BotSpec, fake: FakeBackend) -> None:
    """Fixed options on the war.ended card: the war id rides in the select's id (kind `se`),
    the choice is the chooser's vote."""
    data = spec.model_dump(mode="json")
    ended_spec = next(e for e in data["events"] if e["name"] == "war.ended")
    ended_spec["card"]["selects"] = [{
        "placeholder": "Your result…", "operation": "castVote",
        "options": [{"label": "We won", "value": "win"}, {"label": "We lost", "value": "lose"}],
        "request": {"path": {"warId": "$event.data.war.id"},
                    "body": {"server": "$server", "actor": "$author", "result": "$selected"}}}]
    core = Core(BotSpec.model_validate(data), fake.client(), "discord")
    ended = war(status="ended", opponent={"server": {"id": "2", "name": "Bears"}, "platform": "discord",
                                          "players": [], "glory": 0})
    card = core.render_event({"id": 7, "type": "war.ended", "serverId": "1", "channelId": "77", "data": {"war": ended}})
    assert card is not None
    [menu] = card.selects
    assert json.loads((menu.custom_id or "").removeprefix(BUTTON_PREFIX)) == [selects.EVENT_KIND, "war.ended", "", 0,
                                                                             ["zyo8"]]
    fake.answer = lambda r: httpx.Response(200, json=war(status="ended"))
    chooser = Invocation("discord", author=Person("21", "bruno"), server=Place("2", "Bears"), id="4243")
    await core.click(menu.options[1].choice_id or "", chooser)
    assert fake.requests[0].url.path == "/wars/zyo8/votes"
    assert fake.body() == {"server": {"id": "2", "name": "Bears"}, "actor": {"id": "21", "name": "bruno"},
                           "result": "lose"}
    forged = await core.click(selects.choice_id(menu.custom_id or "", "surrender", BUTTON_PREFIX), chooser)
    assert forged.card.title == "This choice no longer works" and len(fake.requests) == 1  # not a fixed option


async def test_a_select_speaks_the_readers_language(spec: BotSpec, fake: FakeBackend) -> None:
    """Its placeholder from the catalogs, as any text of the card; a forged choice's notice too."""
    locales = Locales.load(ROOT / "generated" / "chat" / "locales")
    catalog = locales.catalog("es")
    core = Core(spec, fake.client(), "discord", locales)
    spanish = Invocation("discord", author=ALICE, server=WOLVES, channel=Place("77", "wars"), id="998", locale="es-ES")
    fake.answer = lambda r: httpx.Response(200, json=page(GAMES))
    [menu] = (await core.run_prefix("games", "", spanish)).card.selects
    assert menu.placeholder == catalog.gettext("Subscribe to…") != "Subscribe to…"
    gone = await core.click('gm:["sc","games","200",0,["fortnite"]]', spanish)
    assert gone.card.title == catalog.gettext(selects.GONE) != selects.GONE
