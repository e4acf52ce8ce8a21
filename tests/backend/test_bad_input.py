"""Bad input: always a 4xx problem+json, never a 500, and the data as it was."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.backend_support import Api, create_war, is_problem, setup_clan, uid, user


def snapshot(api: Api, server_id: str) -> dict[str, Any]:
    return {
        "clan": api.get(f"/clans/{server_id}").json(),
        "status": api.get(f"/clans/{server_id}/status").json(),
        "members": api.get(f"/clans/{server_id}/members", limit=100).json(),
        "subscriptions": api.get(f"/clans/{server_id}/subscriptions").json(),
    }


def raw_post(api: Api, path: str, content: bytes, content_type: str = "application/json") -> Any:
    return api.http.post(path, content=content, headers=api.headers({"Content-Type": content_type}))


@pytest.fixture
def clan_and_war(api: Api) -> tuple[Any, dict[str, Any]]:
    clan = setup_clan(api, "Bad")
    return clan, create_war(api, clan)


def test_malformed_and_non_utf8_bodies(api: Api, clan_and_war: tuple[Any, dict[str, Any]]) -> None:
    clan, _ = clan_and_war
    before = snapshot(api, clan.server_id)
    for content in (
        b"{",
        b'{"server": ',
        b"[1, 2",
        b"null",
        b"",
        b"\xff\xfe\xfa",
        '{"name": "caf\u00e9"}'.encode("latin-1"),
    ):
        for path in ("/wars", "/clans", f"/clans/{clan.server_id}/promote"):
            reply = raw_post(api, path, content)
            assert 400 <= reply.status_code < 500, (path, content, reply.status_code, reply.text)
            assert reply.headers["content-type"].startswith("application/problem+json"), reply.text
    not_json = raw_post(api, "/wars", b"server=1", "text/plain")
    assert 400 <= not_json.status_code < 500
    assert snapshot(api, clan.server_id) == before


def test_unknown_fields_wrong_types_oversized(
    api: Api, clan_and_war: tuple[Any, dict[str, Any]]
) -> None:
    clan, _ = clan_and_war
    before = snapshot(api, clan.server_id)
    good = {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 4}
    bad_bodies = [
        {**good, "surprise": 1},
        {**good, "server": {**clan.server, "extra": True}},
        {**good, "game": "four"},
        {**good, "game": 4.5},
        {**good, "game": 2**40},
        {**good, "duration": "long"},
        {**good, "duration": -1},
        {**good, "duration": 10**9},
        {**good, "players": "me"},
        {**good, "players": []},
        {**good, "players": [{"id": "1"}]},
        {**good, "players": [user(uid("1")) for _ in range(11)]},
        {**good, "actor": {"id": "x" * 65, "name": "long"}},
        {**good, "actor": {"id": "1", "name": "n" * 101}},
        {**good, "server": {"id": "bad id!", "name": "x"}},
        {**good, "format": "f" * 33},
        {k: v for k, v in good.items() if k != "server"},
        [good],
        "war",
    ]
    for body in bad_bodies:
        reply = api.post("/wars", body)
        is_problem(reply, 400)
    say = {"server": clan.server, "actor": clan.leader, "message": "m" * 1501}
    is_problem(api.post("/wars/abcd/messages", say), 400)
    is_problem(
        api.post(f"/clans/{clan.server_id}/subscriptions", {"actor": clan.leader, "games": ["4"]}),
        400,
    )
    is_problem(
        api.post(
            f"/clans/{clan.server_id}/availability", {"actor": clan.leader, "available": "yes"}
        ),
        400,
    )
    is_problem(api.get("/games", limit=0), 400)
    too_many = is_problem(api.get("/games", limit=101), 400)
    # one line naming the parameter (a chat bot words it as its option's rule), no schema dump
    assert too_many["detail"] == "101 is greater than the maximum of 100 - query parameter 'limit'"
    is_problem(api.get("/games", offset=-1), 400)
    is_problem(api.get("/events", wait=31), 400)
    is_problem(api.get("/events", after="x"), 400)
    is_problem(api.get("/wars/ab"), 400)
    is_problem(api.get("/wars/abc-d"), 400)
    assert snapshot(api, clan.server_id) == before


def test_unknown_ids_and_finished_states(
    api: Api, clan_and_war: tuple[Any, dict[str, Any]]
) -> None:
    clan, war = clan_and_war
    rival = setup_clan(api, "Rival")
    before = snapshot(api, clan.server_id)
    ghost = {"id": uid("9"), "name": "ghost"}
    is_problem(api.get(f"/clans/{ghost['id']}/stats"), 404)
    is_problem(api.get(f"/clans/{ghost['id']}/members"), 404)
    is_problem(
        api.post(f"/clans/{ghost['id']}/promote", {"actor": clan.leader, "members": [clan.leader]}),
        404,
    )
    is_problem(
        api.post(
            "/wars/zzzz/accept",
            {"server": rival.server, "actor": rival.leader, "players": [rival.leader]},
        ),
        404,
    )
    is_problem(
        api.post(
            "/wars/zzzz/votes", {"server": clan.server, "actor": clan.leader, "result": "win"}
        ),
        404,
    )
    is_problem(
        api.post(
            f"/wars/{war['id']}/votes",
            {"server": clan.server, "actor": clan.leader, "result": "maybe"},
        ),
        400,
    )
    is_problem(
        api.post(
            f"/wars/{war['id']}/accept",
            {"server": ghost, "actor": rival.leader, "players": [rival.leader]},
        ),
        404,
    )
    accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
    assert api.post(f"/wars/{war['id']}/accept", accept).status_code == 200
    is_problem(api.post(f"/wars/{war['id']}/accept", accept), 409)
    is_problem(
        api.post(f"/wars/{war['id']}/remove", {"server": clan.server, "actor": clan.leader}), 409
    )
    after_accept = api.get(f"/wars/{war['id']}").json()
    assert after_accept["status"] == "ongoing"
    assert after_accept["opponent"]["players"] == [{**rival.leader, "role": "Leader"}]
    removed = create_war(api, clan)
    api.post(f"/wars/{removed['id']}/remove", {"server": clan.server, "actor": clan.leader})
    is_problem(api.post(f"/wars/{removed['id']}/accept", accept), 409)
    is_problem(
        api.post(
            f"/wars/{removed['id']}/messages",
            {"server": clan.server, "actor": clan.leader, "message": "hi"},
        ),
        409,
    )
    assert api.get(f"/wars/{removed['id']}").json()["status"] == "removed"
    assert snapshot(api, clan.server_id)["members"] == before["members"]
    assert snapshot(api, clan.server_id)["clan"] == before["clan"]
