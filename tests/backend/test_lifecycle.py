"""The whole war lifecycle with two clans, through the event feed, expiry, votes and glory;
and the feed's long-polls when a backend stops."""

from __future__ import annotations

import json
import signal
import socket
import time
from pathlib import Path
from typing import Any

import httpx

from tests.backend.backend_support import Api, create_war, is_problem, setup_clan, user
from tests.backend.conftest import Backend, start_server

WAR_SECONDS = 1.2
DURATION = WAR_SECONDS / 3600


def feed_until(
    api: Api, cursor: int, wanted: int, timeout: float = 15
) -> tuple[list[dict[str, Any]], int]:
    """Long-poll the feed until `wanted` more events arrived."""
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(events) < wanted and time.monotonic() < deadline:
        page = api.get("/events", after=cursor, wait=2, limit=100).json()
        events += page["items"]
        cursor = page["next"]
    return events, cursor


def current_cursor(api: Api) -> int:
    cursor = 0
    while True:
        page = api.get("/events", after=cursor, limit=100).json()
        if not page["items"]:
            return cursor
        cursor = page["next"]


def for_war(events: list[dict[str, Any]], war_id: str) -> list[tuple[str, str]]:
    return [(e["type"], e["serverId"]) for e in events if e["data"]["war"]["id"] == war_id]


def play_until_ended(api: Api, host: Any, rival: Any) -> tuple[dict[str, Any], int]:
    """Create and accept a short war, wait for the scheduler to end it; return it and the feed cursor."""
    war = create_war(api, host, duration=DURATION)
    accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
    assert api.post(f"/wars/{war['id']}/accept", accept).status_code == 200
    deadline = time.monotonic() + 15
    while api.get(f"/wars/{war['id']}").json()["status"] != "ended":
        assert time.monotonic() < deadline, "the scheduler did not end the war"
        time.sleep(0.1)
    return war, current_cursor(api)


def test_whole_war_with_two_clans(api: Api) -> None:
    host = setup_clan(api, "Wolves", location="Europe", language="fr")
    rival = setup_clan(api, "Bears")
    cursor = current_cursor(api)
    # rival subscribes; host creates a war with two players
    assert (
        api.post(
            f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4, 5]}
        ).status_code
        == 200
    )
    mate = user("2" + host.leader["id"][1:], "mate")
    war = create_war(api, host, players=[host.leader, mate], duration=DURATION, format="ft3")
    events, cursor = feed_until(api, cursor, 1)
    assert for_war(events, war["id"]) == [("war.requested", rival.server_id)]
    requested = events[0]
    assert (
        requested["channelId"] and requested["data"]["war"]["host"]["server"]["name"] == host.name
    )
    status = api.get(f"/clans/{rival.server_id}/status").json()
    assert war["id"] in [w["id"] for w in status["requests"]]
    # rival accepts with its own players
    rival_mate = user("3" + rival.leader["id"][1:], "rival mate")
    accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader, rival_mate]}
    accepted = api.post(f"/wars/{war['id']}/accept", accept).json()
    assert accepted["status"] == "ongoing"
    events, cursor = feed_until(api, cursor, 2)
    assert sorted(for_war(events, war["id"])) == sorted(
        [("war.accepted", host.server_id), ("war.accepted", rival.server_id)]
    )
    # players talk through the bot
    say = {"server": host.server, "actor": mate, "message": "good luck"}
    assert api.post(f"/wars/{war['id']}/messages", say).status_code == 202
    events, cursor = feed_until(api, cursor, 1)
    assert events[0]["type"] == "war.message" and events[0]["serverId"] == rival.server_id
    assert events[0]["data"]["message"] == "good luck"
    assert events[0]["data"]["from"]["actor"] == mate
    both_ongoing = api.get(f"/clans/{host.server_id}/status").json()["ongoing"]
    assert [w["id"] for w in both_ongoing] == [war["id"]]
    # votes are refused before the end
    vote = {"server": host.server, "actor": host.leader, "result": "win"}
    early = is_problem(api.post(f"/wars/{war['id']}/votes", vote), 409)
    assert early["warStatus"] == "ongoing"
    # the scheduler ends the war and asks both clans for votes
    events, cursor = feed_until(api, cursor, 2)
    assert sorted(for_war(events, war["id"])) == sorted(
        [("war.ended", host.server_id), ("war.ended", rival.server_id)]
    )
    assert api.get(f"/wars/{war['id']}").json()["status"] == "ended"
    # a Member may not vote; Leaders vote; the host won
    is_problem(api.post(f"/wars/{war['id']}/votes", {**vote, "actor": mate}), 403)
    first = api.post(f"/wars/{war['id']}/votes", vote).json()
    assert first["status"] == "ended" and first["host"]["vote"] == "win"
    changed_mind = is_problem(api.post(f"/wars/{war['id']}/votes", {**vote, "result": "draw"}), 409)
    assert changed_mind["vote"] == "win"
    assert api.post(f"/wars/{war['id']}/votes", vote).status_code == 200  # same vote again: no-op
    final = api.post(
        f"/wars/{war['id']}/votes",
        {"server": rival.server, "actor": rival.leader, "result": "lose"},
    ).json()
    assert final["status"] == "confirmed" and final["result"] == "host"
    assert final["host"]["glory"] == 3 and final["opponent"]["glory"] == 0
    events, cursor = feed_until(api, cursor, 2)
    assert sorted(for_war(events, war["id"])) == sorted(
        [("war.confirmed", host.server_id), ("war.confirmed", rival.server_id)]
    )
    # statistics and leaderboard
    host_stats = api.get(f"/clans/{host.server_id}/stats").json()
    assert (host_stats["played"], host_stats["won"], host_stats["glory"]) == (1, 1, 3)
    rival_stats = api.get(f"/clans/{rival.server_id}/stats").json()
    assert (rival_stats["played"], rival_stats["lost"], rival_stats["glory"]) == (1, 1, 0)
    assert host_stats["rank"] < rival_stats["rank"]
    board = api.get("/leaderboard", limit=100).json()["items"]
    names = [e["name"] for e in board]
    assert names.index(host.name) < names.index(rival.name)
    assert api.get(f"/clans/{host.server_id}/status").json()["ongoing"] == []
    # a settled war takes no more votes
    is_problem(api.post(f"/wars/{war['id']}/votes", {**vote, "result": "lose"}), 409)


def test_draw_and_disputed_results(api: Api) -> None:
    host, rival = setup_clan(api, "Drawers"), setup_clan(api, "Disputers")
    draw, _ = play_until_ended(api, host, rival)
    for clan in (host, rival):
        reply = api.post(
            f"/wars/{draw['id']}/votes",
            {"server": clan.server, "actor": clan.leader, "result": "draw"},
        )
        assert reply.status_code == 200, reply.text
    settled = api.get(f"/wars/{draw['id']}").json()
    assert settled["status"] == "confirmed" and settled["result"] == "draw"
    assert settled["host"]["glory"] == settled["opponent"]["glory"] == 1
    disputed, cursor = play_until_ended(api, host, rival)
    api.post(
        f"/wars/{disputed['id']}/votes",
        {"server": host.server, "actor": host.leader, "result": "win"},
    )
    final = api.post(
        f"/wars/{disputed['id']}/votes",
        {"server": rival.server, "actor": rival.leader, "result": "win"},
    ).json()
    assert final["status"] == "disputed" and final["result"] is None
    events, _ = feed_until(api, cursor, 2)
    assert {t for t, _ in for_war(events, disputed["id"])} == {"war.disputed"}
    stats = api.get(f"/clans/{host.server_id}/stats").json()
    assert (stats["played"], stats["drawn"], stats["disputed"], stats["glory"]) == (2, 1, 1, 1)


def test_long_poll_waits_for_an_event(api: Api) -> None:
    host, rival = setup_clan(api, "Poll"), setup_clan(api, "Polled")
    api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [8]})
    cursor = current_cursor(api)
    started = time.monotonic()
    empty = api.get("/events", after=cursor, wait=0.5).json()
    assert empty == {"items": [], "next": cursor}
    assert time.monotonic() - started >= 0.45
    import threading

    timer = threading.Timer(0.5, lambda: create_war(api, host, game=8))
    timer.start()
    started = time.monotonic()
    page = api.get("/events", after=cursor, wait=10).json()
    timer.join()
    assert page["items"] and page["items"][0]["type"] == "war.requested"
    assert time.monotonic() - started < 5


def test_sigterm_answers_waiting_long_polls_at_once(backend: Backend, tmp_path: Path) -> None:
    """A restart must not hold the bots' long-polls (wait=25) until the grace runs out, then
    answer them 500: they get the empty page a wait that ran out gets, and poll again."""
    grace = 10
    server = start_server(backend.database_url, tmp_path / "server.log", GMBOT_SHUTDOWN_GRACE=str(grace))
    try:
        key = backend.keys["discord"]
        api = Api(server.url, key)
        cursor = current_cursor(api)
        api.close()
        host, port = server.url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as poll:
            poll.sendall(
                f"GET /events?after={cursor}&wait=25 HTTP/1.1\r\nHost: x\r\n"
                f"x-api-key: {key.key}\r\nclient: {key.client}\r\n\r\n".encode()
            )
            # sent before this round trip on another connection: the server holds the poll now
            assert httpx.get(f"{server.url}/health").status_code == 200
            started = time.monotonic()
            server.process.send_signal(signal.SIGTERM)
            poll.settimeout(grace + 25)
            answer = b""
            while chunk := poll.recv(65536):
                answer += chunk
            answered_in = time.monotonic() - started
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), answer[:500]
        assert b"connection: close" in head.lower()  # poll again elsewhere, or here once restarted
        assert json.loads(body) == {"items": [], "next": cursor}
        # uvicorn exits by the signal it caught, once it has shut down cleanly
        assert server.process.wait(grace + 10) in (0, -signal.SIGTERM)
        # not the grace: the poll did not hold the shutdown
        assert answered_in < grace and time.monotonic() - started < grace, answered_in
        log = server.log.read_text()
        assert "Traceback" not in log and "ERROR" not in log, log[-3000:]
    finally:
        server.stop()
