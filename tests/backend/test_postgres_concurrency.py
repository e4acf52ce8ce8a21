"""PostgreSQL only: two backend processes on one database, racing each other.

- parallel accepts of one war: exactly one wins, the others get 409;
- due wars ended by two schedulers at once: each war ended exactly once;
- a POST retried with the same Idempotency-Key (even concurrently): one war, one vote;
- a long-poll on one process is woken by a write on the other through LISTEN/NOTIFY,
  also after its listener connection was killed.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend.backend_support import Api, Key, create_war, setup_clan
from tests.backend.conftest import (
    PG_URL,
    Server,
    create_pg_database,
    drop_pg_database,
    pg_admin_url,
    prepare_database,
    start_server,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def two_servers(
    pg_database: tuple[str, dict[str, Key]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Api]]:
    url, keys = pg_database
    directory: Path = tmp_path_factory.mktemp("two-servers")
    servers: list[Server] = []
    try:
        for n in range(2):
            servers.append(
                start_server(url, directory / f"server{n}.log", GMBOT_SCHEDULER_INTERVAL="0.05")
            )
        apis = [Api(s.url, keys["discord"]) for s in servers]
        yield apis
        for a in apis:
            a.close()
    finally:
        for s in servers:
            s.stop()


async def _post_all(
    requests: list[tuple[str, str, dict[str, Any], dict[str, str]]],
) -> list[httpx.Response]:
    async with httpx.AsyncClient(timeout=30) as client:
        return list(
            await asyncio.gather(
                *(client.post(url + path, json=body, headers=h) for url, path, body, h in requests)
            )
        )


def test_parallel_accepts_one_wins(two_servers: list[Api]) -> None:
    api = two_servers[0]
    host = setup_clan(api, "Host")
    rivals = [setup_clan(api, f"Rival{n}") for n in range(12)]
    for attempt in range(3):
        war = create_war(api, host)
        requests = [
            (str(two_servers[n % 2].http.base_url), f"/wars/{war['id']}/accept",
             {"server": r.server, "actor": r.leader, "players": [r.leader]}, api.headers())
            for n, r in enumerate(rivals)
        ]  # fmt: skip
        replies = asyncio.run(_post_all(requests))
        codes = Counter(r.status_code for r in replies)
        assert codes == {200: 1, 409: len(rivals) - 1}, (
            attempt,
            codes,
            [r.text for r in replies if r.status_code >= 500],
        )
        winner = next(r.json() for r in replies if r.status_code == 200)
        final = api.get(f"/wars/{war['id']}").json()
        assert final["opponent"]["server"]["id"] == winner["opponent"]["server"]["id"]
        assert len(final["opponent"]["players"]) == 1


def _all_events(api: Api) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    cursor = 0
    while True:
        page = api.get("/events", after=cursor, limit=100).json()
        if not page["items"]:
            return events
        events += page["items"]
        cursor = page["next"]


def test_two_processes_end_each_due_war_once(two_servers: list[Api]) -> None:
    api = two_servers[0]
    host, rival = setup_clan(api, "Early"), setup_clan(api, "Late")
    wars = []
    for _ in range(30):
        war = create_war(api, host, duration=2 / 3600)
        accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
        assert two_servers[1].post(f"/wars/{war['id']}/accept", accept).status_code == 200
        wars.append(war["id"])
    deadline = time.monotonic() + 30
    while any(api.get(f"/wars/{w}").json()["status"] != "ended" for w in wars):
        assert time.monotonic() < deadline, "due wars were not ended"
        time.sleep(0.2)
    time.sleep(0.5)  # let a late duplicate show up, if there were one
    ended = Counter(e["data"]["war"]["id"] for e in _all_events(api) if e["type"] == "war.ended")
    assert {w: ended[w] for w in wars} == dict.fromkeys(wars, 2)  # one event per clan, once


def test_retried_post_with_same_idempotency_key(two_servers: list[Api]) -> None:
    api = two_servers[0]
    host = setup_clan(api, "Retry")
    body = {"server": host.server, "actor": host.leader, "players": [host.leader], "game": 7}
    headers = {**api.headers(), "Idempotency-Key": f"retry-{host.server_id}"}
    requests = [(str(two_servers[n % 2].http.base_url), "/wars", body, headers) for n in range(8)]
    replies = asyncio.run(_post_all(requests))
    assert {r.status_code for r in replies} == {201}, [r.text for r in replies]
    assert len({r.json()["id"] for r in replies}) == 1
    status = api.get(f"/clans/{host.server_id}/status").json()
    assert len(status["requests"]) == 1
    # a retried vote is cast once
    rival = setup_clan(api, "Voter")
    war = create_war(api, host, duration=0.5 / 3600)
    api.post(
        f"/wars/{war['id']}/accept",
        {"server": rival.server, "actor": rival.leader, "players": [rival.leader]},
    )
    deadline = time.monotonic() + 15
    while api.get(f"/wars/{war['id']}").json()["status"] != "ended":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    vote = {"server": host.server, "actor": host.leader, "result": "win"}
    vote_headers = {**api.headers(), "Idempotency-Key": f"vote-{war['id']}"}
    replies = asyncio.run(
        _post_all(
            [
                (
                    str(two_servers[n % 2].http.base_url),
                    f"/wars/{war['id']}/votes",
                    vote,
                    vote_headers,
                )
                for n in range(6)
            ]
        )
    )
    assert {r.status_code for r in replies} == {200}, [r.text for r in replies]
    api.post(
        f"/wars/{war['id']}/votes",
        {"server": rival.server, "actor": rival.leader, "result": "lose"},
    )
    stats = api.get(f"/clans/{host.server_id}/stats").json()
    assert (stats["played"], stats["won"], stats["glory"]) == (1, 1, 3)


POLL_SECONDS = 5.0  # the fallback poll: far slower than a NOTIFY wake-up must be


@pytest.fixture(scope="module")
def notified_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Api]]]:
    """Two backends on a database of their own, so only they LISTEN on it."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    url = create_pg_database(PG_URL)
    directory: Path = tmp_path_factory.mktemp("notified-servers")
    servers: list[Server] = []
    try:
        keys = prepare_database(url)
        for n in range(2):
            servers.append(
                start_server(
                    url,
                    directory / f"server{n}.log",
                    GMBOT_EVENTS_POLL_SECONDS=str(POLL_SECONDS),
                )
            )
        apis = [Api(s.url, keys["discord"]) for s in servers]
        yield url, apis
        for a in apis:
            a.close()
    finally:
        for s in servers:
            s.stop()
        drop_pg_database(PG_URL, url)


async def _listeners(url: str, terminate: bool = False) -> set[int]:
    """The pids of the backends' LISTEN connections to this database (terminated if asked)."""
    import asyncpg

    connection = await asyncpg.connect(pg_admin_url(url))
    try:
        rows = await connection.fetch(
            "SELECT pid, CASE WHEN $2 THEN pg_terminate_backend(pid) END FROM pg_stat_activity"
            " WHERE datname = $1 AND application_name = 'gmbot-listener'",
            url.rpartition("/")[2],
            terminate,
        )
        return {row["pid"] for row in rows}
    finally:
        await connection.close()


def _wait_for_listeners(url: str, not_among: set[int] | None = None) -> set[int]:
    """Wait until both backends listen (on connections other than `not_among`)."""
    deadline = time.monotonic() + 15
    while len(pids := asyncio.run(_listeners(url)) - (not_among or set())) != 2:
        assert time.monotonic() < deadline, "the backends are not listening"
        time.sleep(0.1)
    return pids


def _woken_after(reader: Api, writer: Api) -> float:
    """Seconds from a write on `writer` to the end of a long-poll already waiting on `reader`."""
    host, rival = setup_clan(writer, "Notify"), setup_clan(writer, "Listener")
    writer.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4]})
    events = _all_events(reader)
    cursor = events[-1]["id"] if events else 0

    async def scenario() -> float:
        async with httpx.AsyncClient(base_url=str(reader.http.base_url), timeout=30) as client:
            poll = asyncio.create_task(
                client.get(
                    "/events", params={"after": cursor, "wait": 20}, headers=reader.headers()
                )
            )
            await asyncio.sleep(0.5)  # the long-poll is waiting now
            assert not poll.done()
            await asyncio.to_thread(create_war, writer, host)
            written = time.monotonic()
            reply = await poll
            elapsed = time.monotonic() - written
            assert reply.status_code == 200 and reply.json()["items"], reply.text
            return elapsed

    return asyncio.run(scenario())


def test_long_poll_woken_by_another_process(notified_servers: tuple[str, list[Api]]) -> None:
    url, (first, second) = notified_servers
    listening = _wait_for_listeners(url)
    assert _woken_after(first, second) < 1.0
    assert _woken_after(second, first) < 1.0
    # the listener connections drop: the backends reconnect and are woken at once again
    asyncio.run(_listeners(url, terminate=True))
    _wait_for_listeners(url, not_among=listening)
    assert _woken_after(first, second) < 1.0
