"""PostgreSQL only: deadlocks and serialization failures never reach a client as a 500.

- `db.retrying` runs a deadlock victim again (a real deadlock, made on purpose);
- two wars between the same two clans, host and opponent swapped, settled at the same
  moment on two processes: every vote is answered 200 and glory adds up.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend_impl import db
from tests.backend.backend_support import Api, Key, create_war, setup_clan
from tests.backend.test_postgres_concurrency import two_servers

pytestmark = pytest.mark.postgres
__all__ = ["two_servers"]  # the module-scoped fixture, shared with the other PostgreSQL races


async def _opposite_orders(url: str, retry: bool) -> list[Any]:
    """Two transactions updating rows 1 and 2 in opposite orders, each pausing in between:
    PostgreSQL must abort one of them (deadlock_detected)."""
    database = db.Database(url)
    table = f"probe_{uuid.uuid4().hex[:8]}"
    both_hold_one = asyncio.Barrier(2)
    try:
        async with database.transaction() as session:
            await session.execute(text(f"CREATE TABLE {table} (id int PRIMARY KEY, n int)"))
            await session.execute(text(f"INSERT INTO {table} VALUES (1, 0), (2, 0)"))

        async def bump(first: int, second: int) -> str:
            attempts = 0

            async def attempt() -> str:
                nonlocal attempts
                attempts += 1
                async with database.transaction() as session:
                    await session.execute(text(f"UPDATE {table} SET n = n + 1 WHERE id = {first}"))
                    if attempts == 1:
                        await both_hold_one.wait()
                    await session.execute(text(f"UPDATE {table} SET n = n + 1 WHERE id = {second}"))
                return f"done after {attempts}"

            return await (db.retrying(attempt) if retry else attempt())

        results = await asyncio.gather(bump(1, 2), bump(2, 1), return_exceptions=True)
        async with database.read() as session:
            counts = (await session.execute(text(f"SELECT n FROM {table} ORDER BY id"))).all()
        async with database.transaction() as session:
            await session.execute(text(f"DROP TABLE {table}"))
        return [*results, [row[0] for row in counts]]
    finally:
        await database.dispose()


def test_a_real_deadlock_is_retried(pg_database: tuple[str, dict[str, Key]]) -> None:
    url, _ = pg_database
    # without the retry: one of the two is the deadlock victim
    *results, counts = asyncio.run(_opposite_orders(url, retry=False))
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1 and isinstance(errors[0], DBAPIError), results
    assert db.sqlstate(errors[0]) == "40P01" and db.is_retryable(errors[0])
    assert counts == [1, 1]
    # with it: both complete, the victim on a later attempt
    *results, counts = asyncio.run(_opposite_orders(url, retry=True))
    assert all(isinstance(r, str) for r in results), results
    assert sorted(results)[0] == "done after 1" and sorted(results)[1] != "done after 1", results
    assert counts == [2, 2]


def _ended_pair(api: Api, a: Any, b: Any) -> tuple[str, str]:
    """Two wars between `a` and `b`, one hosted by each, both ended, each with its host's vote."""
    ids = []
    for host, rival in ((a, b), (b, a)):
        war = create_war(api, host, duration=1 / 3600)
        accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
        assert api.post(f"/wars/{war['id']}/accept", accept).status_code == 200
        ids.append(war["id"])
    return ids[0], ids[1]


def test_swapped_wars_settled_at_once(two_servers: list[Api]) -> None:
    api = two_servers[0]
    a, b = setup_clan(api, "Swap"), setup_clan(api, "Pawn")
    pairs = [_ended_pair(api, a, b) for _ in range(25)]
    deadline = time.monotonic() + 30
    for war_id in (w for pair in pairs for w in pair):
        while api.get(f"/wars/{war_id}").json()["status"] != "ended":
            assert time.monotonic() < deadline, "the scheduler did not end the wars"
            time.sleep(0.1)
    for first, second in pairs:  # each host votes that it won
        assert api.post(f"/wars/{first}/votes", {"server": a.server, "actor": a.leader, "result": "win"}).status_code == 200
        assert api.post(f"/wars/{second}/votes", {"server": b.server, "actor": b.leader, "result": "win"}).status_code == 200

    async def settle() -> list[httpx.Response]:
        # the opponents agree at the same moment: each settlement updates both clans
        async with httpx.AsyncClient(timeout=30) as client:
            replies: list[httpx.Response] = []
            for first, second in pairs:
                replies += await asyncio.gather(
                    client.post(f"{two_servers[0].http.base_url}/wars/{first}/votes", headers=api.headers(),
                                json={"server": b.server, "actor": b.leader, "result": "lose"}),
                    client.post(f"{two_servers[1].http.base_url}/wars/{second}/votes", headers=api.headers(),
                                json={"server": a.server, "actor": a.leader, "result": "lose"}),
                )  # fmt: skip
            return replies

    replies = asyncio.run(settle())
    assert Counter(r.status_code for r in replies) == {200: 2 * len(pairs)}, [
        r.text for r in replies if r.status_code != 200
    ]
    for clan in (a, b):
        stats = api.get(f"/clans/{clan.server_id}/stats").json()
        assert (stats["won"], stats["lost"], stats["glory"]) == (len(pairs), len(pairs), 3 * len(pairs))
