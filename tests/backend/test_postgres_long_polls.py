"""PostgreSQL only: idle long-polls cost the database (almost) nothing.

With LISTEN/NOTIFY up, a long-poll waiting on GET /events makes no query while it
waits: the process reads new events once per notification, for all its long-polls.
Counted by PostgreSQL itself (`pg_stat_database`), not by the backend.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.backend.backend_support import Api, Key, create_war, setup_clan
from tests.backend.conftest import Server, pg_admin_url, start_server

pytestmark = pytest.mark.postgres
WAITERS = 50
WINDOW = 4.0


@pytest.fixture(scope="module")
def quiet_server(
    pg_database: tuple[str, dict[str, Key]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, dict[str, Key]]]:
    url, keys = pg_database
    directory: Path = tmp_path_factory.mktemp("long-polls")
    server = start_server(url, directory / "server.log", GMBOT_SCHEDULER_INTERVAL="1")
    try:
        yield server, url, keys
    finally:
        server.stop()


async def _transactions(url: str) -> int:
    connection = await asyncpg.connect(pg_admin_url(url))
    try:
        await connection.execute("SELECT pg_stat_force_next_flush()")
        await connection.execute("SELECT pg_stat_clear_snapshot()")
        value = await connection.fetchval(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        )
        return int(value)
    finally:
        await connection.close()


async def _count_during(url: str, seconds: float) -> int:
    before = await _transactions(url)
    await asyncio.sleep(seconds)
    await asyncio.sleep(1.2)  # backends publish their counts at most once a second
    return await _transactions(url) - before - 2  # minus our own two snapshots


async def _idle_cost(server: Server, url: str, key: Key) -> tuple[int, int, list[httpx.Response]]:
    baseline = await _count_during(url, WINDOW)
    headers = {"x-api-key": key.key, "client": key.client}
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        cursor = (await client.get("/events", params={"after": 2**40}, headers=headers)).json()["next"]
        polls = [
            asyncio.create_task(client.get("/events", params={"after": 2**40, "wait": WINDOW + 8}, headers=headers))
            for _ in range(WAITERS)
        ]
        await asyncio.sleep(1.5)  # each made its first read
        waiting = await _count_during(url, WINDOW)
        replies = await asyncio.gather(*polls)
    assert cursor == 2**40
    return baseline, waiting, replies


def test_idle_long_polls_do_not_query(quiet_server: tuple[Server, str, dict[str, Key]]) -> None:
    server, url, keys = quiet_server
    baseline, waiting, replies = asyncio.run(_idle_cost(server, url, keys["slack"]))
    assert all(r.status_code == 200 and r.json()["items"] == [] for r in replies)
    # Before: each long-poll read the database every 0.5 s (50 x 2 x 4 s = 400 more). Now
    # only their first reads, which PostgreSQL may publish late (into the window), and noise.
    assert waiting - baseline < WAITERS * 1.5, (baseline, waiting)


def test_a_commit_wakes_every_long_poll_with_its_events(
    quiet_server: tuple[Server, str, dict[str, Key]],
) -> None:
    server, _url, keys = quiet_server
    api = Api(server.url, keys["discord"])
    try:
        host, rival = setup_clan(api, "Waker"), setup_clan(api, "Sleeper")
        api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4]})
        cursor = api.get("/events", after=0, limit=100).json()
        while cursor["items"]:
            cursor = api.get("/events", after=cursor["next"], limit=100).json()
        after = cursor["next"]

        async def wait_all() -> list[httpx.Response]:
            async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                polls = [
                    asyncio.create_task(client.get("/events", params={"after": after, "wait": 20}, headers=api.headers()))
                    for _ in range(20)
                ]
                await asyncio.sleep(1)
                started = time.monotonic()
                await asyncio.to_thread(create_war, api, host)
                replies = await asyncio.gather(*polls)
                assert time.monotonic() - started < 5
                return replies

        replies = asyncio.run(wait_all())
        for reply in replies:
            events = reply.json()["items"]
            assert [e["type"] for e in events] == ["war.requested"], events
            assert events[0]["serverId"] == rival.server_id
    finally:
        api.close()
