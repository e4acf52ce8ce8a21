"""Disputes and referees over real HTTP with the real server (SQLite, and PostgreSQL when
TEST_DATABASE_URL is set): the operator appoints a referee who picks a channel; disagreeing
votes open a ticket posted there; a clan files a dispute with evidence; only the referee
settles (403 for everyone else, problem+json); the verdict moves glory and ratings, leaves the
standings a replay from scratch would give, and both clans (on their own platforms) and the
referee's channel are told; every step is in the trail. The grace rule runs in the server's
scheduler. Bad input is a 4xx, never a 500.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend_impl import db, replay
from tests.backend.backend_support import Api, is_problem, setup_clan, uid, user
from tests.backend.conftest import (
    PG_URL,
    start_server,
)
from tests.backend.test_lifecycle import current_cursor, feed_until
from tests.backend.test_ratings import Ranked, Side, board, play, ranked_server

GRACE_SECONDS = 6.0


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[
            pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")]),
    ],
)  # fmt: skip
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ranked]:
    directory = tmp_path_factory.mktemp(f"disputes-{request.param}")
    # the grace is short: the wars of this module are voted at once (play) or left on purpose
    with ranked_server(request.param, directory, GMBOT_PROVISIONAL_WARS="2",
                       GMBOT_VOTE_GRACE_HOURS=str(GRACE_SECONDS / 3600)) as ranked:
        yield ranked
    log = (directory / "server.log").read_text()
    assert "Traceback" not in log, log[-3000:]


@pytest.fixture
def apis(backend: Ranked) -> Iterator[dict[str, Api]]:
    clients = {name: Api(backend.server.url, key) for name, key in backend.keys.items()}
    yield clients
    for client in clients.values():
        client.close()


def appoint(operator: Api, referee: dict[str, str], platform: str = "discord", games: list[int] | None = None) -> None:
    reply = operator.post("/referees", {"platform": platform, "user": referee, "games": games})
    assert reply.status_code == 201, reply.text


def full_replay_changes_nothing(url: str, game: int) -> None:
    async def run() -> int:
        database = db.Database(url)
        try:
            return (await replay.recompute(database, game, 1, full=True)).rows
        finally:
            await database.dispose()

    assert asyncio.run(run()) == 0


def test_a_disputed_war_is_settled_by_a_referee_and_everyone_is_told(apis: dict[str, Api], backend: Ranked) -> None:
    api, slack, operator = apis["discord"], apis["slack"], apis["operator"]
    game = 7  # this test's board
    referee = user(uid("7"), "ref kim")
    # the operator appoints; the referee picks a channel on their own server
    appoint(operator, referee, games=[game])
    channel = {"id": uid("5"), "name": "referees"}
    hq = {"id": uid("9"), "name": "Referees HQ"}
    chosen = api.post("/referees/channel", {"server": hq, "actor": referee, "channel": channel})
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["channel"] == {"serverId": hq["id"], "id": channel["id"], "name": "referees"}
    listed = api.get("/referees", limit=100).json()["items"]
    assert any(r["id"] == referee["id"] and r["games"] == [game] for r in listed)
    wolves, bears = Side(api, setup_clan(api, "Wolves")), Side(slack, setup_clan(slack, "Bears"))
    owls = Side(api, setup_clan(api, "Owls"))
    play([(wolves, owls, "host"), (bears, owls, "host")], game=game)
    cursor, slack_cursor = current_cursor(api), current_cursor(slack)
    [disputed] = play([(wolves, bears, "disputed")], game=game)
    assert disputed["status"] == "disputed"
    glory_before = {s.clan.name: s.api.get(f"/clans/{s.clan.server_id}/stats").json() for s in (wolves, bears)}
    # the disagreeing votes opened a ticket, posted to the referee's channel
    [ticket] = api.get("/tickets", war=disputed["id"]).json()["items"]
    assert ticket["status"] == "open" and ticket["openedBy"] == "votes" and ticket["game"]["id"] == game
    events, cursor = feed_until(api, cursor, 5)
    posted = [e for e in events if e["type"] == "ticket.opened" and e["serverId"] == hq["id"]]
    assert len(posted) == 1 and posted[0]["channelId"] == channel["id"]
    assert posted[0]["data"]["ticket"]["id"] == ticket["id"]
    # Bears file evidence on the open ticket (a Member may not)
    member = user(uid("1"), "bear cub")
    refused = slack.post(f"/wars/{disputed['id']}/disputes", {
        "server": bears.clan.server, "actor": member, "reason": "we won"})  # fmt: skip
    assert is_problem(refused, 403)["requiredRoles"] == ["Leader", "Co-Leader"]
    filed = slack.post(f"/wars/{disputed['id']}/disputes", {
        "server": bears.clan.server, "actor": bears.clan.leader, "reason": "Our screenshot shows 3-1 for us.",
        "evidence": ["https://files.slack.com/files-pri/T1-F1/score.png"]})  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert filed.json()["id"] == ticket["id"] and filed.json()["evidence"][0]["by"]["name"] == bears.clan.name
    # nobody but the referee settles: a clan leader, an unknown user, the referee on another platform
    verdict = {"verdict": "opponent", "reason": "Bears' screenshot is clear."}
    for client, actor in ((api, wolves.clan.leader), (api, user(uid("1"))), (slack, referee)):
        problem = is_problem(client.post(f"/tickets/{ticket['id']}/settle", {"actor": actor, **verdict}), 403)
        assert problem["requiredRoles"] == ["Referee"]
    assert api.get(f"/tickets/{ticket['id']}").json()["status"] == "open"
    settled = api.post(f"/tickets/{ticket['id']}/settle", {"actor": referee, **verdict})
    assert settled.status_code == 200, settled.text
    body = settled.json()
    assert body["status"] == "settled" and body["verdict"] == "opponent" and body["referee"]["id"] == referee["id"]
    assert body["war"]["status"] == "confirmed" and body["war"]["result"] == "opponent"
    assert body["war"]["ranked"]["opponent"]["change"] > 0
    # glory and the record moved: Bears won (3), the disputed war is no longer counted as disputed
    after = {s.clan.name: s.api.get(f"/clans/{s.clan.server_id}/stats").json() for s in (wolves, bears)}
    assert after[bears.clan.name]["glory"] == glory_before[bears.clan.name]["glory"] + 3
    assert after[bears.clan.name]["won"] == glory_before[bears.clan.name]["won"] + 1
    assert after[wolves.clan.name]["disputed"] == glory_before[wolves.clan.name]["disputed"] - 1
    assert after[wolves.clan.name]["lost"] == glory_before[wolves.clan.name]["lost"] + 1
    # the trail: opened (system), evidence (Bears' leader), settled (the referee), with reasons
    trail = api.get(f"/tickets/{ticket['id']}").json()["trail"]
    assert [(s["action"], s["by"]["kind"]) for s in trail] == [("opened", "system"), ("evidence", "clan"),
                                                               ("settled", "referee")]  # fmt: skip
    assert trail[1]["by"]["id"] == bears.clan.leader["id"] and trail[1]["data"]["evidence"]
    assert trail[2]["reason"] == verdict["reason"] and trail[2]["data"]["before"]["status"] == "disputed"
    assert trail[2]["data"]["after"] == {"status": "confirmed", "result": "opponent", "glory": [0, 3]}
    # both clans are told on their own platforms, and the referee's channel
    events, _ = feed_until(api, cursor, 2)
    slack_events, _ = feed_until(slack, slack_cursor, 1, timeout=5)
    slack_events = [e for e in slack_events if e["type"] == "ticket.settled"]
    assert {e["serverId"] for e in events if e["type"] == "ticket.settled"} == {wolves.clan.server_id, hq["id"]}
    assert [e["serverId"] for e in slack_events] == [bears.clan.server_id]
    assert slack_events[0]["data"]["war"]["result"] == "opponent" and slack_events[0]["data"]["ticket"]["verdict"]
    # the standings: the leaderboard shows the verdict, and a replay from scratch changes nothing
    standing = {i["name"]: i for i in board(api, game)["items"]}
    assert standing[bears.clan.name]["won"] == 2 and standing[wolves.clan.name]["lost"] == 1
    full_replay_changes_nothing(backend.server.database_url, game)
    # settled is final: again 409, and no new dispute on the war
    is_problem(api.post(f"/tickets/{ticket['id']}/settle", {"actor": referee, **verdict}), 409)
    refile = api.post(f"/wars/{disputed['id']}/disputes", {"server": wolves.clan.server, "actor": wolves.clan.leader,
                                                           "reason": "no"})  # fmt: skip
    assert is_problem(refile, 409)["ticketId"] == ticket["id"]


def test_a_confirmed_war_disputed_by_a_clan_is_reversed(apis: dict[str, Api], backend: Ranked) -> None:
    api, operator = apis["discord"], apis["operator"]
    game = 8
    referee = user(uid("7"), "ref lee")
    appoint(operator, referee)  # every game
    a, b, c = (Side(api, setup_clan(api, n)) for n in ("Ant", "Bee", "Cat"))
    wars = play([(a, b, "host"), (b, c, "host"), (a, c, "draw"), (c, b, "host")], game=game)
    filed = api.post(f"/wars/{wars[0]['id']}/disputes", {
        "server": b.clan.server, "actor": b.clan.leader, "reason": "Ant used a banned weapon.",
        "evidence": ["https://example.com/clip.mp4", "https://example.com/rules#weapons"]})  # fmt: skip
    assert filed.status_code == 201, filed.text
    assert filed.json()["openedBy"] == "clan" and len(filed.json()["evidence"]) == 2
    settled = api.post(f"/tickets/{filed.json()['id']}/settle", {"actor": referee, "verdict": "void",
                                                                 "reason": "A banned weapon voids the war."})
    assert settled.status_code == 200, settled.text
    assert settled.json()["war"]["status"] == "void"
    history = api.get(f"/clans/{a.clan.server_id}/history", game=game).json()["items"]
    assert {i["warId"]: i["outcome"] for i in history}[wars[0]["id"]] == "void"
    assert api.get(f"/clans/{a.clan.server_id}/stats").json()["played"] == 1  # the draw only
    full_replay_changes_nothing(backend.server.database_url, game)


def test_operator_only_and_bad_input_are_4xx(apis: dict[str, Api]) -> None:
    api, operator = apis["discord"], apis["operator"]
    referee = user(uid("7"), "ref")
    assert "operatorClients" in is_problem(api.post("/referees", {"platform": "discord", "user": referee}), 403)
    is_problem(api.post("/referees/remove", {"platform": "discord", "userId": referee["id"]}), 403)
    is_problem(operator.post("/referees", {"platform": "discord", "user": referee, "games": [999]}), 422)
    is_problem(operator.post("/referees", {"platform": "Discord!", "user": referee}), 400)
    is_problem(operator.post("/referees/remove", {"platform": "discord", "userId": referee["id"]}), 404)
    is_problem(api.post("/referees/channel", {"server": {"id": "1", "name": "x"}, "actor": referee,
                                              "channel": {"id": "2", "name": "y"}}), 403)  # fmt: skip
    is_problem(api.get("/tickets/999999"), 404)
    is_problem(api.get("/tickets/0"), 400)
    is_problem(api.get("/tickets", status="closed"), 400)
    is_problem(api.post("/tickets/999999/settle", {"actor": referee, "verdict": "host", "reason": "x"}), 404)
    is_problem(api.post("/tickets/1/settle", {"actor": referee, "verdict": "winner", "reason": "x"}), 400)
    is_problem(api.post("/tickets/1/settle", {"actor": referee, "verdict": "host", "reason": ""}), 400)
    clan = setup_clan(api, "Solo")
    for evidence in (["javascript:alert(1)"], ["https://x.y/" + "a" * 600], ["https://ok.example/"] * 11):
        is_problem(api.post("/wars/abcd/disputes", {"server": clan.server, "actor": clan.leader, "reason": "r",
                                                    "evidence": evidence}), 400)  # fmt: skip
    is_problem(api.post("/wars/zzzz/disputes", {"server": clan.server, "actor": clan.leader, "reason": "r"}), 404)
    is_problem(api.post("/wars/zzzz/forfeit", {"server": clan.server, "actor": clan.leader}), 404)
    # an open request cannot be disputed nor forfeited
    war = api.post("/wars", {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 4})
    war_id = war.json()["id"]
    is_problem(api.post(f"/wars/{war_id}/disputes", {"server": clan.server, "actor": clan.leader, "reason": "r"}), 409)
    is_problem(api.post(f"/wars/{war_id}/forfeit", {"server": clan.server, "actor": clan.leader}), 409)


def test_forfeit_and_the_grace_rule_run_over_http(apis: dict[str, Api]) -> None:
    api, slack = apis["discord"], apis["slack"]
    a, b = Side(api, setup_clan(api, "Fox")), Side(slack, setup_clan(slack, "Gnu"))
    cursor = current_cursor(slack)

    def start() -> str:
        created = api.post("/wars", {"server": a.clan.server, "actor": a.clan.leader, "players": [a.clan.leader],
                                     "game": 5, "duration": 1})  # fmt: skip
        assert created.status_code == 201, created.text
        war_id: str = created.json()["id"]
        accepted = slack.post(f"/wars/{war_id}/accept", {"server": b.clan.server, "actor": b.clan.leader,
                                                         "players": [b.clan.leader]})  # fmt: skip
        assert accepted.status_code == 200, accepted.text
        return war_id

    ongoing = start()
    forfeited = slack.post(f"/wars/{ongoing}/forfeit", {"server": b.clan.server, "actor": b.clan.leader,
                                                         "reason": "Two players dropped."})  # fmt: skip
    assert forfeited.status_code == 200, forfeited.text
    assert forfeited.json()["result"] == "host" and forfeited.json()["host"]["glory"] == 3
    events, _ = feed_until(slack, cursor, 3)
    assert any(e["type"] == "war.forfeited" and e["data"]["war"]["id"] == ongoing for e in events)
    # the grace rule: a war ended with one vote becomes that side's result on its own, a war
    # nobody voted on is void
    short, unvoted = (api.post("/wars", {"server": a.clan.server, "actor": a.clan.leader, "players": [a.clan.leader],
                                         "game": 5, "duration": 0.4 / 3600}).json()["id"] for _ in range(2))  # fmt: skip
    for war_id in (short, unvoted):
        assert slack.post(f"/wars/{war_id}/accept", {"server": b.clan.server, "actor": b.clan.leader,
                                                     "players": [b.clan.leader]}).status_code == 200  # fmt: skip
    deadline = time.monotonic() + 20
    while (war := api.get(f"/wars/{short}").json())["status"] == "ongoing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    voted = api.post(f"/wars/{short}/votes", {"server": a.clan.server, "actor": a.clan.leader, "result": "win"})
    assert voted.status_code == 200, voted.text
    while (war := api.get(f"/wars/{short}").json())["status"] == "ended":
        assert time.monotonic() < deadline + GRACE_SECONDS, "the grace rule did not settle the war"
        time.sleep(0.1)
    assert war["status"] == "confirmed" and war["result"] == "host"
    while (war := api.get(f"/wars/{unvoted}").json())["status"] == "ended":
        assert time.monotonic() < deadline + GRACE_SECONDS, "the grace rule did not void the war"
        time.sleep(0.1)
    assert war["status"] == "void" and war["host"]["glory"] == war["opponent"]["glory"] == 0
    stats: dict[str, Any] = slack.get(f"/clans/{b.clan.server_id}/stats").json()
    assert stats["lost"] == 2 and stats["played"] == 2  # the void war is not counted
    events, _ = feed_until(slack, cursor, 12)
    assert any(e["type"] == "war.voided" and e["data"]["war"]["id"] == unvoted for e in events)
    assert any(e["type"] == "war.confirmed" and e["data"].get("settledBy") == "grace" for e in events)


def test_every_event_the_flows_wrote_renders_as_a_card_on_every_platform(apis: dict[str, Api]) -> None:
    """The events of the tests above, as the feed gives them, through the chat core of each
    platform: the spec has a card for each new type and renders the data the backend sends."""
    from gmbot.chat.core import Core
    from gmbot.platforms import platforms
    from gmbot.spec.load import load_spec_yaml
    from tests.chat.fakes import FakeBackend
    from tests.support import SPEC

    spec = load_spec_yaml(SPEC)
    new_types = {"ticket.opened", "ticket.settled", "war.forfeited", "war.voided", "war.disputed", "war.confirmed"}
    seen: dict[str, int] = {}
    for api in (apis["discord"], apis["slack"]):
        events, _ = feed_until(api, 0, 10_000, timeout=3)
        for event in events:
            if event["type"] not in new_types:
                continue
            for platform in platforms():
                card = Core(spec, FakeBackend().client(), platform.name).render_event(event)
                assert card is not None and card.title, (platform.name, event["type"])
            seen[event["type"]] = seen.get(event["type"], 0) + 1
    assert set(seen) == new_types, seen  # each kind was written by the flows above


def test_two_referees_on_two_servers_settle_a_ticket_once(
    apis: dict[str, Api], backend: Ranked, tmp_path: Path
) -> None:
    """Two backend processes on the one database, a referee on each settling the same ticket
    at once (different verdicts): one 200, one 409, the glory awarded once."""
    import httpx

    api, operator = apis["discord"], apis["operator"]
    second = start_server(backend.server.database_url, tmp_path / "second.log", GMBOT_VOTE_GRACE_HOURS="48")
    try:
        refs = [user(uid("7"), f"ref {n}") for n in range(2)]
        for referee in refs:
            appoint(operator, referee)
        a, b = Side(api, setup_clan(api, "Yak")), Side(api, setup_clan(api, "Zebu"))
        [disputed] = play([(a, b, "disputed")], game=4)
        [ticket] = api.get("/tickets", war=disputed["id"]).json()["items"]

        async def both() -> list[httpx.Response]:
            async with httpx.AsyncClient(timeout=30) as client:
                return list(await asyncio.gather(*(
                    client.post(f"{url}/tickets/{ticket['id']}/settle", headers=api.headers(),
                                json={"actor": referee, "verdict": verdict, "reason": "at once"})
                    for url, referee, verdict in ((backend.server.url, refs[0], "host"),
                                                  (second.url, refs[1], "opponent")))))  # fmt: skip

        replies = asyncio.run(both())
        assert sorted(r.status_code for r in replies) == [200, 409], [r.text for r in replies]
        winner = next(r for r in replies if r.status_code == 200).json()["verdict"]
        glory = [api.get(f"/clans/{s.clan.server_id}/stats").json()["glory"] for s in (a, b)]
        assert glory == ([3, 0] if winner == "host" else [0, 3])
        trail = api.get(f"/tickets/{ticket['id']}").json()["trail"]
        assert [s["action"] for s in trail] == ["opened", "settled"]
    finally:
        second.stop()
    assert "Traceback" not in (tmp_path / "second.log").read_text()
