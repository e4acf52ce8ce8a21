"""PostgreSQL only: createWar's one-statement path (backend_impl/pg_direct.py) against the
portable SQLAlchemy path (GMBOT_PG_DIRECT=0), two servers on one database.

Every answer (status, body but for ids and times) and every row written (members, the
war's players, the events with their data) must be the same; refusals (404, 403, 409)
leave nothing behind; many createWars at once (subscribed clans, so each writes events)
give every event its own id, in commit order, with no gap.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.backend.backend_support import Api, Key, create_war, setup_clan, uid, user
from tests.backend.conftest import Server, start_server

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def both_paths(
    pg_database: tuple[str, dict[str, Key]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Api, Api]]:
    url, keys = pg_database
    directory: Path = tmp_path_factory.mktemp("pg-direct")
    servers: list[Server] = []
    try:
        servers.append(start_server(url, directory / "direct.log"))
        servers.append(start_server(url, directory / "portable.log", GMBOT_PG_DIRECT="0"))
        direct, portable = (Api(s.url, keys["discord"]) for s in servers)
        direct.subscribed = []  # type: ignore[attr-defined]
        yield url, direct, portable
        # the database is shared with the other PostgreSQL tests: no subscribed clans left behind
        for clan, games in direct.subscribed:  # type: ignore[attr-defined]
            body = {"actor": clan.leader, "games": games}
            assert direct.post(f"/clans/{clan.server_id}/subscriptions/remove", body).status_code == 200
        direct.close()
        portable.close()
    finally:
        for s in servers:
            s.stop()


def _normal(body: Any) -> Any:
    """A war's id and creation time differ between two runs of the same request: blanked."""
    if isinstance(body, dict) and "createdAt" in body:
        return {**body, "id": "*", "createdAt": "*"}
    return body


async def _rows(url: str, query: str, *args: Any) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return [dict(r) for r in await connection.fetch(query, *args)]
    finally:
        await connection.close()


def _events_of(url: str, war_id: str) -> list[dict[str, Any]]:
    rows = asyncio.run(_rows(
        url, "SELECT platform, type, clan_id, server_id, channel_id, data FROM events "
        "WHERE data->'war'->>'id' = $1 ORDER BY id", war_id,
    ))  # fmt: skip
    return [{**r, "data": {"war": _normal(json.loads(r["data"])["war"])}} for r in rows]


def test_same_answers_and_rows(both_paths: tuple[str, Api, Api]) -> None:
    url, direct, portable = both_paths
    for api in (direct, portable):  # the clans each path writes to, set up alike
        api.host = setup_clan(api, "Host")  # type: ignore[attr-defined]
        for n in range(2):
            rival = setup_clan(api, f"Sub{n}")
            body = {"actor": rival.leader, "games": [4]}
            assert api.post(f"/clans/{rival.server_id}/subscriptions", body).status_code == 200
            direct.subscribed.append((rival, [4]))  # type: ignore[attr-defined]
        away = user("U9" + uid()[:6], "away")
        assert api.post(f"/clans/{api.host.server_id}/availability",  # type: ignore[attr-defined]
                        {"actor": away, "available": False}).status_code == 200  # fmt: skip
        api.away = away  # type: ignore[attr-defined]

    def cases(api: Api) -> dict[str, tuple[str, dict[str, Any]]]:
        host = api.host  # type: ignore[attr-defined]
        two = user("U2" + uid()[:6], "two")
        stranger = user("U3" + uid()[:6], "stranger")
        nowhere = uid("8")
        # each server's clan and users have their own ids and names: named alike for comparing
        api.aliases = {host.server_id: "HOST", host.name: "HOST NAME", host.leader["id"]: "LEADER",  # type: ignore[attr-defined]
                       two["id"]: "TWO", stranger["id"]: "STRANGER", api.away["id"]: "AWAY", nowhere: "NOWHERE"}  # type: ignore[attr-defined]  # fmt: skip
        return {
            "public": ("/wars", {"server": host.server, "actor": host.leader, "players": [host.leader, two],
                                 "game": 4, "duration": 1.5, "format": "ko"}),
            "default": ("/wars", {"server": host.server, "actor": host.leader, "players": [two], "game": 4}),
            "renamed": ("/wars", {"server": host.server, "actor": {**host.leader, "name": "New name"},
                                  "players": [host.leader], "game": 4}),
            "private": ("/wars/private", {"server": host.server, "actor": host.leader, "players": [two],
                                          "game": 4}),
            "no clan": ("/wars", {"server": {"id": nowhere, "name": "x"}, "actor": host.leader,
                                  "players": [host.leader], "game": 4}),
            "not a manager": ("/wars", {"server": host.server, "actor": two, "players": [two], "game": 4}),
            "not a member yet": ("/wars", {"server": host.server, "actor": stranger, "players": [stranger],
                                           "game": 4}),
            "unavailable": ("/wars", {"server": host.server, "actor": host.leader,
                                      "players": [api.away], "game": 4}),  # type: ignore[attr-defined]
        }  # fmt: skip

    answers: dict[str, list[Any]] = {}
    for api in (direct, portable):
        host = api.host  # type: ignore[attr-defined]
        for label, (path, body) in cases(api).items():
            reply = api.post(path, body)
            events = _events_of(url, reply.json()["id"]) if reply.status_code == 201 else []
            for event in events:
                event.pop("clan_id")
                event.pop("server_id")
                event.pop("channel_id")
            answer = json.dumps([reply.status_code, reply.headers["content-type"], _normal(reply.json()), events])
            for alias in api.aliases.items():  # type: ignore[attr-defined]
                answer = answer.replace(*alias)
            answers.setdefault(label, []).append(json.loads(answer))
        members = asyncio.run(_rows(
            url, "SELECT m.name, m.role, m.available FROM members m JOIN clans c ON c.id = m.clan_id "
            "WHERE c.server_id = $1 ORDER BY m.user_id LIKE 'U9%', m.role, m.name", host.server_id,
        ))  # fmt: skip
        answers.setdefault("members", []).append(members)
    for label, (first, second) in answers.items():
        assert first == second, label
    statuses = {label: a[0][0] for label, a in answers.items() if label != "members"}
    assert statuses == {"public": 201, "default": 201, "renamed": 201, "private": 201,
                        "no clan": 404, "not a manager": 403, "not a member yet": 403,
                        "unavailable": 409}  # fmt: skip
    assert len(answers["public"][0][3]) >= 4  # one event per clan subscribed to game 4
    assert answers["private"][0][3] == []
    # a refusal writes nothing: the stranger was not recorded as a member
    assert sorted(m["name"] for m in answers["members"][0]) == ["Host leader", "away", "two"]


def test_concurrent_creates_number_events_in_order(both_paths: tuple[str, Api, Api]) -> None:
    url, direct, portable = both_paths
    hosts = [setup_clan(direct, f"Racer{n}") for n in range(6)]
    for host in hosts:  # each subscribed: every war request reaches the five others
        body = {"actor": host.leader, "games": [7]}
        assert direct.post(f"/clans/{host.server_id}/subscriptions", body).status_code == 200
        direct.subscribed.append((host, [7]))  # type: ignore[attr-defined]
    before = asyncio.run(_rows(url, "SELECT last FROM event_counter"))[0]["last"]

    async def create_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            requests = [
                client.post(f"{api.http.base_url}/wars", headers=api.headers(), json={
                    "server": h.server, "actor": h.leader, "players": [h.leader], "game": 7})
                for _ in range(5) for h in hosts for api in (direct, portable)
            ]  # fmt: skip
            return list(await asyncio.gather(*requests))

    replies = asyncio.run(create_all())
    refused = [r.text for r in replies if r.status_code != 201]
    assert not refused
    rows = asyncio.run(_rows(url, "SELECT id, type FROM events WHERE id > $1 ORDER BY id", before))
    # no gap and no duplicate (other events, e.g. the schedulers', may come between)
    assert [r["id"] for r in rows] == list(range(before + 1, before + 1 + len(rows)))
    assert sum(r["type"] == "war.requested" for r in rows) == len(replies) * 5


def test_status_reads_the_same(both_paths: tuple[str, Api, Api]) -> None:
    """getClanStatus on asyncpg (pg_direct.clan_status) and through SQLAlchemy: the same bytes."""
    _url, direct, portable = both_paths
    host, rival, other = (setup_clan(direct, n) for n in ("Shown", "Rival", "Other"))
    for clan in (host, rival):
        body = {"actor": clan.leader, "games": [8, 5]}
        assert direct.post(f"/clans/{clan.server_id}/subscriptions", body).status_code == 200
        direct.subscribed.append((clan, [8, 5]))  # type: ignore[attr-defined]
    players = [host.leader, user(uid("1"), "second")]
    wars = [create_war(direct, host, players, game=8, duration=n + 0.5) for n in range(4)]
    create_war(direct, rival, game=5)  # a request the host may accept (subscribed)
    create_war(direct, other, game=5)  # another subscribed game's request, listed for the host
    accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
    assert direct.post(f"/wars/{wars[0]['id']}/accept", accept).status_code == 200
    assert direct.post(f"/wars/{wars[1]['id']}/accept", accept).status_code == 200
    for clan in (host, rival, other):
        for query in ({}, {"limit": 2}):
            replies = [api.get(f"/clans/{clan.server_id}/status", **query) for api in (direct, portable)]
            assert replies[0].status_code == 200, replies[0].text
            assert replies[0].content == replies[1].content
    status = direct.get(f"/clans/{host.server_id}/status").json()
    assert len(status["ongoing"]) == 2 and status["ongoing"][0]["opponent"]["server"]["id"] == rival.server_id
    missing = [api.get("/clans/nowhere/status") for api in (direct, portable)]
    assert missing[0].status_code == 404 and missing[0].content == missing[1].content


def test_idempotency_keys_as_before(both_paths: tuple[str, Api, Api]) -> None:
    """A key recorded by the one-statement path replays (or is refused) exactly as one
    recorded by the portable path; concurrent retries make one war."""
    url, direct, portable = both_paths
    answers = []
    for api in (direct, portable):
        host = setup_clan(api, "Keyed")
        body = {"server": host.server, "actor": host.leader, "players": [host.leader], "game": 4}
        key = uid("key-")
        first = api.post("/wars", body, idempotency_key=key)
        again = api.post("/wars", body, idempotency_key=key)
        other = api.post("/wars", {**body, "duration": 2}, idempotency_key=key)
        refused = api.post("/wars", {**body, "actor": user(uid("1"))}, idempotency_key=uid("key-"))
        assert first.status_code == 201 and again.status_code == 201, (first.text, again.text)
        assert again.json() == first.json() and again.headers.get("idempotent-replayed") == "true"
        assert "idempotent-replayed" not in first.headers
        answers.append([(r.status_code, r.json().get("title"), r.json().get("detail")) for r in (other, refused)])
        answers.append([r.status_code for r in (first, again, other, refused)])
    direct_answers, direct_statuses, portable_answers, portable_statuses = answers
    assert direct_statuses == portable_statuses == [201, 201, 422, 403]
    assert direct_answers[0] == portable_answers[0]  # the same 422 for a reused key

    host = setup_clan(direct, "Retried")
    body = {"server": host.server, "actor": host.leader, "players": [host.leader], "game": 4}
    key = uid("key-")

    async def retries() -> list[httpx.Response]:
        async with httpx.AsyncClient(timeout=30) as client:
            headers = {**direct.headers(), "Idempotency-Key": key}
            return list(await asyncio.gather(*(
                client.post(f"{api.http.base_url}/wars", json=body, headers=headers)
                for _ in range(6) for api in (direct, portable)
            )))  # fmt: skip

    replies = asyncio.run(retries())
    assert {r.status_code for r in replies} <= {201, 409}, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies if r.status_code == 201}) == 1
    wars = asyncio.run(_rows(
        url, "SELECT count(*) AS n FROM wars w JOIN clans c ON c.id = w.host_clan_id WHERE c.server_id = $1",
        host.server_id,
    ))  # fmt: skip
    assert wars[0]["n"] == 1
