"""PostgreSQL only: a backend with no database connection to spare answers 503 with
Retry-After, never 500, and writes nothing; the same requests succeed once a connection frees.

Each case starts a real `gmbot serve` and makes it hold its only connection: a createWar
blocked on a row lock the test holds (seen waiting in pg_stat_activity, no sleeps). Then:

- "role limit": the pool may open more (GMBOT_DB_MAX_OVERFLOW=4), but PostgreSQL refuses
  the connection (the role's CONNECTION LIMIT, SQLSTATE 53300, as past max_connections);
- "pool timeout": the pool may not (GMBOT_DB_MAX_OVERFLOW=0) and no connection frees within
  GMBOT_DB_POOL_TIMEOUT.

What is asked meanwhile covers each way a request reaches the database: createWar and
getClanStatus (the asyncpg direct path), setupClan (a SQLAlchemy transaction) and the API-key
check of a key not cached yet.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.backend.backend_support import Api, ClanSetup, Key, is_problem, setup_clan, uid, user
from tests.backend.conftest import PG_URL, Server, start_server
from tests.backend.limited_role import LimitedDatabase, limited_database

pytestmark = pytest.mark.postgres

CASES = {
    "role limit": {"GMBOT_DB_POOL_SIZE": "1", "GMBOT_DB_MAX_OVERFLOW": "4"},
    "pool timeout": {"GMBOT_DB_POOL_SIZE": "1", "GMBOT_DB_MAX_OVERFLOW": "0", "GMBOT_DB_POOL_TIMEOUT": "0.5"},
}


@pytest.fixture
def limited() -> Iterator[LimitedDatabase]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    with limited_database(PG_URL) as database:
        yield database


def _war(clan: ClanSetup) -> dict[str, Any]:
    return {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 4}


async def _until(what: str, check: Any, task: asyncio.Task[Any] | None = None, within: float = 30) -> None:
    """Poll `check()` until true; fail when `task` (the request meant to wait) ended first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await check():
        if task is not None and task.done():
            reply = task.result()
            raise AssertionError(f"the request ended before {what}: {reply.status_code} {reply.text}")
        assert loop.time() < deadline, f"never {what}"
        await asyncio.sleep(0.05)


async def _exhausted(case: str, database: LimitedDatabase, server: Server, keys: dict[str, Key]) -> None:
    api = Api(server.url, keys["discord"])
    try:
        first, second = setup_clan(api, "First"), setup_clan(api, "Second")
    finally:
        api.close()
    # settled: the listener up, overflow connections closed; only the pool's one and the listener's left
    await _until("settled", lambda: _count_is(database, 2))
    if case == "role limit":
        await database.set_limit(2)
    lock = await asyncpg.connect(database.admin_url)  # the superuser: not counted by the limit
    headers = {"x-api-key": keys["discord"].key, "client": keys["discord"].client}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        transaction = lock.transaction()
        await transaction.start()
        await lock.execute(
            "SELECT 1 FROM members m JOIN clans c ON c.id = m.clan_id"
            " WHERE c.server_id = $1 AND m.user_id = $2 FOR UPDATE",
            first.server_id, first.leader["id"],
        )  # fmt: skip
        holding = asyncio.create_task(client.post("/wars", json=_war(first), headers=headers))
        await _until("blocked on the lock", lambda: _lock_waiters(database), holding)

        third = ClanSetup(uid("9"), "Third", user(uid("1")))
        new_clan = {"server": third.server, "actor": third.leader, "channel": {"id": uid("5"), "name": "wars"},
                    "name": third.name}  # fmt: skip
        slack = {"x-api-key": keys["slack"].key, "client": keys["slack"].client}  # not cached yet
        refused = {
            "createWar": await client.post("/wars", json=_war(second), headers=headers),
            "getClanStatus": await client.get(f"/clans/{second.server_id}/status", headers=headers),
            "setupClan": await client.post("/clans", json=new_clan, headers=headers),
            "key check": await client.get("/games", headers=slack),
        }
        for what, reply in refused.items():
            body = is_problem(reply, 503)
            assert reply.headers.get("retry-after", "").isdigit(), (what, reply.headers)
            assert int(reply.headers["retry-after"]) == body["retryAfter"] > 0, (what, body)

        await transaction.rollback()
        await lock.close()
        assert (await holding).status_code == 201, (await holding).text

        # nothing of the refused requests was written ...
        assert await _wars_of(database, second.server_id) == 0
        assert await database.fetchval("SELECT count(*) FROM clans WHERE server_id = $1", third.server_id) == 0
        # ... and each succeeds now, once
        if case == "role limit":
            await database.set_limit(-1)
        reply = await client.post("/wars", json=_war(second), headers=headers)
        assert reply.status_code == 201, reply.text
        assert await _wars_of(database, second.server_id) == 1
        assert (await client.get("/games", headers=slack)).status_code == 200
    assert "Traceback" not in server.log.read_text()


async def _count_is(database: LimitedDatabase, expected: int) -> bool:
    listening = await database.connections("gmbot-listener") == 1
    return listening and await database.connections() == expected


async def _lock_waiters(database: LimitedDatabase) -> bool:
    waiting = await database.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock'", database.role
    )
    return bool(waiting)


async def _wars_of(database: LimitedDatabase, server_id: str) -> int:
    query = "SELECT count(*) FROM wars w JOIN clans c ON c.id = w.host_clan_id WHERE c.server_id = $1"
    return int(await database.fetchval(query, server_id))


@pytest.mark.parametrize("case", list(CASES))
def test_no_connection_to_spare_is_503_with_retry_after(
    case: str, limited: LimitedDatabase, tmp_path: Path
) -> None:
    # the scheduler looks once at start, then not during the test; verified keys stay cached
    env = {**CASES[case], "GMBOT_SCHEDULER_INTERVAL": "3600", "GMBOT_KEY_CACHE_SECONDS": "3600"}
    server = start_server(limited.url, tmp_path / "server.log", **env)
    try:
        asyncio.run(_exhausted(case, limited, server, limited.keys))
    finally:
        server.stop()


async def _after_idle_connections_dropped(database: LimitedDatabase, server: Server, keys: dict[str, Key]) -> None:
    api = Api(server.url, keys["discord"])
    try:
        clan = setup_clan(api, "Dropped")
        api.get(f"/clans/{clan.server_id}/status")  # the direct path has used a pooled connection too
        # what a PgBouncer restart, or an idle timeout, does to the pool's idle connections
        pids = await database.fetchval(
            "SELECT array_agg(pid) FROM pg_stat_activity WHERE usename = $1 AND application_name <> 'gmbot-listener'",
            database.role,
        )
        assert pids, "the pool has no connection open"
        await database.fetchval("SELECT bool_and(pg_terminate_backend(pid)) FROM unnest($1::int[]) AS pid", pids)
        await _until("gone", lambda: _none_of(database, pids))
        for _ in range(3):  # each pooled connection in turn, on each path
            reply = api.post("/wars", _war(clan))
            assert reply.status_code == 201, reply.text
            assert api.get(f"/clans/{clan.server_id}/status").status_code == 200
            setup_clan(api, "Another")
    finally:
        api.close()


async def _none_of(database: LimitedDatabase, pids: list[int]) -> bool:
    return not await database.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1::int[])", pids)


def test_idle_connections_dropped_are_replaced_not_answered_500(limited: LimitedDatabase, tmp_path: Path) -> None:
    # no scheduler round in between: the requests are the first to meet the dropped connections
    env = {"GMBOT_DB_POOL_SIZE": "3", "GMBOT_SCHEDULER_INTERVAL": "3600", "GMBOT_KEY_CACHE_SECONDS": "3600"}
    server = start_server(limited.url, tmp_path / "server.log", **env)
    try:
        asyncio.run(_after_idle_connections_dropped(limited, server, limited.keys))
    finally:
        server.stop()
