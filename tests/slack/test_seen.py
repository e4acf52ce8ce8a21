"""The Slack events already answered (gmbot/slack/seen.py), on a real database (SQLite, and
PostgreSQL when TEST_DATABASE_URL is set): the first claim wins, a retry loses, and the
table stays bounded in time and size."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from gmbot.slack.seen import SeenEvents, metadata, open_seen


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def seen(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SeenEvents]:
    if request.param == "sqlite":
        store = await open_seen(tmp_path / "deep" / "seen.sqlite3")  # its folder is made
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url:
            pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
        store = SeenEvents(create_async_engine(url))
        await store.create_tables()
    yield store
    async with store.engine.begin() as connection:  # leave a shared database as found
        await connection.run_sync(metadata.drop_all)
    await store.engine.dispose()


async def test_the_first_claim_wins(seen: SeenEvents) -> None:
    assert await seen.first_time("Ev1") and not await seen.first_time("Ev1")
    assert await seen.first_time("Ev2")
    assert await seen.first_time("") and await seen.first_time("")  # no id: nothing to tell apart
    assert await seen.count() == 2


async def test_old_ids_are_forgotten_and_the_table_is_bounded(seen: SeenEvents) -> None:
    clock = Clock()
    seen.clock, seen.ttl, seen.size, seen.prune_every = clock, 60.0, 5, 4
    for i in range(3):
        assert await seen.first_time(f"old{i}")
    clock.now += 61  # past the ttl: forgotten at the next prune
    for i in range(9):
        clock.now += 1
        assert await seen.first_time(f"new{i}")
    assert await seen.count() <= seen.size + seen.prune_every
    assert await seen.first_time("old0")  # forgotten, so a (very late) retry is handled again
    await seen.prune()
    assert await seen.count() == seen.size
    assert not await seen.first_time("new8")  # the newest are kept
