from __future__ import annotations

import httpx
import pytest

from gmbot.chat.cards import card_to_text
from gmbot.chat.core import Core
from gmbot.chat.markup import plain
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend, war

WOLVES = Place("1", "Wolves")
ALICE = Person("11", "alice")
BOB = Person("12", "bob")
INV = Invocation("discord", author=ALICE, server=WOLVES, channel=Place("77", "wars"), id="999")


async def members(token: str) -> Person | None:
    return {"@alice": ALICE, "@bob": BOB}.get(token)


async def test_createwar_builds_the_request_and_renders_the_card(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(201, json=war(duration=12))
    outcome = await Core(spec, fake.client(), "discord").run_prefix("createwar", "-players @alice @bob -game 4 -duration 12", INV, members)
    sent = fake.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/wars")
    assert sent.headers["client"] == "DISCORD-BFF" and sent.headers["x-api-key"] == "key-1"
    assert sent.headers["Idempotency-Key"] == "discord-999" and sent.headers["X-Request-ID"]
    assert fake.body() == {
        "server": {"id": "1", "name": "Wolves"}, "actor": {"id": "11", "name": "alice"},
        "players": [{"id": "11", "name": "alice"}, {"id": "12", "name": "bob"}],
        "game": 4, "duration": 12, "format": "ft3",
    }
    assert outcome.kind == "reply" and outcome.status == 201
    assert plain(outcome.card.title) == "War request zyo8 created"
    assert {f.name: f.value for f in outcome.card.fields}["Game"] == "\ue000Mini Militia\ue001"  # a value: data


async def test_path_query_and_alias(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json={"serverId": "1", "ongoing": [war(status="ongoing")],
                                                      "requests": [], "subscriptions": [{"id": 4, "name": "Mini Militia", "minPlayers": 1, "maxPlayers": 4}]})
    outcome = await Core(spec, fake.client(), "discord").run_prefix("wars", "", INV)
    assert fake.requests[0].url.path == "/clans/1/status"
    assert fake.requests[0].url.params["limit"] == "10"
    assert "Idempotency-Key" not in fake.requests[0].headers  # GET
    text = card_to_text(outcome.card)
    assert "Ongoing wars (1)" in text and "zyo8 vs ?" in text and "Subscriptions: Mini Militia" in text


async def test_usage_error_sends_nothing(spec: BotSpec, fake: FakeBackend) -> None:
    outcome = await Core(spec, fake.client(), "discord").run_prefix("createwar", "-players @carol -game 4", INV, members)
    assert outcome.kind == "usage" and not fake.requests
    assert "@carol is not a member" in outcome.card.title
    assert outcome.card.fields[0].value.startswith("`gmbot createwar -players")


async def test_unknown_command_suggests_nearest(spec: BotSpec, fake: FakeBackend) -> None:
    outcome = await Core(spec, fake.client(), "discord").run_prefix("createwr", "", INV)
    assert outcome.kind == "usage" and "did you mean `gmbot createwar`" in outcome.card.description
    assert not fake.requests


async def test_problem_json_becomes_error_card(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(
        403, json={"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "Only a Leader may promote"},
        headers={"content-type": "application/problem+json"})
    outcome = await Core(spec, fake.client(), "discord").run_prefix("promote", "-members @bob", INV, members)
    assert outcome.kind == "problem" and outcome.status == 403
    assert (plain(outcome.card.title), plain(outcome.card.description)) == ("Forbidden", "Only a Leader may promote")


async def test_malformed_replies_never_crash(spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    for response in (httpx.Response(200, text="<html>oops"), httpx.Response(502, text="Bad gateway"),
                     httpx.Response(200, json=[1, 2]), httpx.Response(200, json={"items": "not a list"}),
                     httpx.Response(500, json="nope"), httpx.Response(204)):
        fake.answer = lambda r, answer=response: answer  # type: ignore[misc]
        outcome = await core.run_prefix("games", "", INV)
        assert outcome.card.title, response


async def test_backend_down_is_unavailable(spec: BotSpec) -> None:
    from gmbot.chat.backend import BackendClient

    from .fakes import ROUTES

    backend = BackendClient("http://127.0.0.1:9", "k", "DISCORD-BFF", routes=ROUTES)
    outcome = await Core(spec, backend, "discord").run_prefix("games", "", INV)
    await backend.aclose()
    assert outcome.kind == "unavailable" and outcome.card.title == "Service unavailable"


async def test_help_from_the_spec(spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    overview = await core.run_prefix("help", "", INV)
    assert len(overview.card.fields) == len(spec.commands)
    one = card_to_text((await core.run_prefix("help", "createwar", INV)).card)
    assert "gmbot createwar -players @member @member … -game <number> [-duration <duration>]" in one
    assert "Who may run it: Leader, Co-Leader" in one
    assert "Aliases: wars" in card_to_text((await core.run_prefix("help", "status", INV)).card)


async def test_event_card_buttons_vote_as_the_clicking_user(spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    ended = war(status="ended", opponent={"server": {"id": "2", "name": "Bears"}, "platform": "discord",
                                          "players": [], "glory": 0})
    card = core.render_event({"id": 7, "type": "war.ended", "serverId": "1", "channelId": "77", "data": {"war": ended}})
    assert card is not None and card.title == "WHO WON?" and "Please be honest!" in card.description
    assert [b.label for b in card.buttons] == ["We won", "We lost", "Draw"]
    assert all(b.custom_id and len(b.custom_id) <= 100 for b in card.buttons)
    fake.answer = lambda r: httpx.Response(200, json=war(status="ended"))
    clicker = Invocation("discord", author=Person("21", "bruno"), server=Place("2", "Bears"), id="4242")
    outcome = await core.click(card.buttons[1].custom_id or "", clicker)
    assert fake.requests[0].url.path == "/wars/zyo8/votes"
    assert fake.body() == {"server": {"id": "2", "name": "Bears"}, "actor": {"id": "21", "name": "bruno"}, "result": "lose"}
    assert plain(outcome.card.title) == "Vote recorded for war zyo8"


async def test_every_event_has_a_card(spec: BotSpec, fake: FakeBackend) -> None:
    core = Core(spec, fake.client(), "discord")
    full = war(status="confirmed", result="host",
               opponent={"server": {"id": "2", "name": "Bears"}, "platform": "discord", "players": [], "glory": 0})
    for name in ("war.requested", "war.accepted", "war.message", "war.ended", "war.confirmed", "war.disputed", "war.removed"):
        data = {"war": full, "message": "hi", "from": {"server": {"id": "2", "name": "Bears"}, "actor": {"id": "21", "name": "bruno"}}}
        card = core.render_event({"id": 1, "type": name, "serverId": "1", "data": data})
        assert card is not None and card.title, name
    requested = core.render_event({"id": 1, "type": "war.requested", "serverId": "2", "data": {"war": war()}})
    assert requested is not None and requested.title == "NEW WAR REQUEST"
    assert {f.name: plain(f.value) for f in requested.fields} == {
        "Clan": "Wolves", "Game": "Mini Militia", "Players": "alice", "Format": "First to 3 wins",
        "Duration": "12 h", "War id": "zyo8"}


async def test_a_501_or_500_never_shows_the_developer_text(spec: BotSpec, fake: FakeBackend,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    todo = "Operation listGames is not implemented: write async def list_games(ctx, *, limit, offset) in backend_impl/games.py"
    fake.answer = lambda r: httpx.Response(501, json={"status": 501, "title": "Not Implemented", "detail": todo},
                                           headers={"content-type": "application/problem+json"})
    caplog.set_level("WARNING", logger="gmbot.chat.core")
    outcome = await Core(spec, fake.client(), "discord").run_prefix("games", "", INV, members)
    assert outcome.kind == "problem" and outcome.status == 501
    assert (outcome.card.title, outcome.card.description) == ("Not available yet", "`gmbot games` isn't available yet.")
    assert plain(outcome.card.footer) == f"request id {outcome.request_id}"
    assert "async def" not in card_to_text(outcome.card) and "write async def list_games" in caplog.text
    fake.answer = lambda r: httpx.Response(500, json={"status": 500, "title": "Internal Server Error",
                                                      "detail": "KeyError: 'x'"})
    crashed = await Core(spec, fake.client(), "discord").run_prefix("games", "", INV, members)
    assert crashed.card.title == "Something went wrong" and "KeyError" not in card_to_text(crashed.card)
