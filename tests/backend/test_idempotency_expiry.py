"""Idempotency-Key records expire: an old key runs afresh, the scheduler purges old records.

On SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. The window is
injected (`ttl=`, a backdated `created_at`, or GMBOT_IDEMPOTENCY_TTL=1 for a
server), so nothing waits for 24 hours.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, idempotency, settings
from backend_impl.tables import IdempotencyRecord
from gmbot.server.types import Reply, RequestContext
from tests.backend.backend_support import Api, Key, setup_clan
from tests.backend.conftest import (
    PG_URL,
    create_pg_database,
    drop_pg_database,
    prepare_database,
    start_server,
)


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set"),
            ],
        ),
    ]
)
def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, dict[str, Key]]]:
    """A fresh database of each kind, migrated, with keys."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'gmbot.sqlite3'}"
    else:
        assert PG_URL
        url = create_pg_database(PG_URL)
    try:
        yield url, prepare_database(url)
    finally:
        if request.param == "postgres":
            assert PG_URL
            drop_pg_database(PG_URL, url)


def _record(key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord(client="C", platform="p", key=key, operation="op", request_hash="h", status=200,
                             body={}, created_at=db.utcnow() - age)  # fmt: skip


async def _keys(database: db.Database) -> set[str]:
    async with database.read() as session:
        return set(await session.scalars(select(IdempotencyRecord.key)))


def test_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GMBOT_IDEMPOTENCY_TTL", raising=False)
    assert settings.idempotency_ttl() == 24 * 3600
    monkeypatch.setenv("GMBOT_IDEMPOTENCY_TTL", "60")
    now = db.utcnow()
    assert idempotency.cutoff(now) == now - timedelta(seconds=60)


def test_expired_records_are_purged_in_batches(database: tuple[str, dict[str, Key]]) -> None:
    database_url = database[0]

    async def scenario() -> None:
        one, other = db.Database(database_url), db.Database(database_url)
        try:
            async with one.transaction() as session:
                session.add_all(_record(f"old{n}", timedelta(hours=2)) for n in range(23))
                session.add_all(_record(f"new{n}", timedelta(minutes=5)) for n in range(2))
            assert await idempotency.purge_expired(one, ttl=3600, batch=3) == 23
            assert await _keys(one) == {"new0", "new1"}
            assert await idempotency.purge_expired(one, ttl=3600, batch=3) == 0
            # two purgers at once (two processes): every old record deleted once, no error
            async with one.transaction() as session:
                session.add_all(_record(f"old{n}", timedelta(hours=2)) for n in range(40))
            counts = await asyncio.gather(
                idempotency.purge_expired(one, ttl=3600, batch=4),
                idempotency.purge_expired(other, ttl=3600, batch=4),
            )
            assert sum(counts) == 40
            assert await _keys(one) == {"new0", "new1"}
        finally:
            await one.dispose()
            await other.dispose()

    asyncio.run(scenario())


class _Body(BaseModel):
    value: int = 1


def test_an_expired_key_runs_afresh(
    database: tuple[str, dict[str, Key]], monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = database[0]
    calls: list[int] = []

    async def work(_session: AsyncSession) -> dict[str, Any]:
        calls.append(1)
        return {"call": len(calls)}

    async def scenario() -> None:
        opened = db.Database(database_url)
        monkeypatch.setattr(db, "_database", opened)  # what idempotency.run uses
        ctx = RequestContext(client="C", platform="discord", request_id="r", idempotency_key="k")
        try:
            assert await idempotency.run(ctx, "op", 201, _Body(), work) == {"call": 1}
            replay = await idempotency.run(ctx, "op", 201, _Body(), work)
            assert isinstance(replay, Reply) and replay.body == {"call": 1}
            async with opened.transaction() as session:  # 25 h later
                await session.execute(
                    update(IdempotencyRecord).values(created_at=db.utcnow() - timedelta(hours=25))
                )
            assert await idempotency.run(ctx, "op", 201, _Body(), work) == {"call": 2}
            replay = await idempotency.run(ctx, "op", 201, _Body(), work)
            assert isinstance(replay, Reply) and replay.body == {"call": 2}
            async with opened.read() as session:
                assert await session.scalar(select(func.count(IdempotencyRecord.key))) == 1
        finally:
            await opened.dispose()

    asyncio.run(scenario())


def test_server_purges_expired_keys_and_no_longer_replays(
    database: tuple[str, dict[str, Key]], tmp_path: Path
) -> None:
    database_url, keys = database
    server = start_server(database_url, tmp_path / "server.log", GMBOT_IDEMPOTENCY_TTL="1")
    api = Api(server.url, keys["discord"])
    try:
        host = setup_clan(api, "Expiry")
        body = {"server": host.server, "actor": host.leader, "players": [host.leader], "game": 4}
        first = api.post("/wars", body, idempotency_key="expiring")
        again = api.post("/wars", body, idempotency_key="expiring")
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.headers.get("Idempotent-Replayed") == "true"
        assert again.json()["id"] == first.json()["id"]

        async def remaining() -> set[str]:
            opened = db.Database(database_url)
            try:
                return await _keys(opened)
            finally:
                await opened.dispose()

        deadline = time.monotonic() + 15
        while "expiring" in asyncio.run(remaining()):  # the scheduler purges it after 1 s
            assert time.monotonic() < deadline, "expired key not purged"
            time.sleep(0.2)
        late = api.post("/wars", body, idempotency_key="expiring")
        assert late.status_code == 201 and "Idempotent-Replayed" not in late.headers
        assert late.json()["id"] != first.json()["id"]  # past the window a retry is a new request
    finally:
        api.close()
        server.stop()
