"""PostgreSQL only: a scheduler round that finds no database connection free (every pooled
connection held, GMBOT_DB_POOL_TIMEOUT runs out) logs one warning line per job and no
traceback, and the next round, once a connection frees, does its work."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from backend_impl import db, scheduler
from tests.backend.backend_support import Key

pytestmark = pytest.mark.postgres


async def _rounds(url: str, caplog: pytest.LogCaptureFixture) -> tuple[list[logging.LogRecord], list[logging.LogRecord]]:
    await db.close()
    database = db.init(url)  # the jobs read the process's database, as in `gmbot serve`
    try:
        with caplog.at_level(logging.INFO, logger="gmbot.scheduler"):
            async with database.transaction() as session:
                await session.execute(text("SELECT 1"))  # the pool's only connection, held
                await scheduler.one_round(database, 1.0)
            busy = list(caplog.records)
            caplog.clear()
            await scheduler.one_round(database, 1.0)
            return busy, list(caplog.records)
    finally:
        await db.close()


def test_a_round_without_a_free_connection_is_one_warning_per_job(
    pg_database: tuple[str, dict[str, Key]], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url, _ = pg_database
    monkeypatch.setenv("GMBOT_DB_POOL_SIZE", "1")
    monkeypatch.setenv("GMBOT_DB_MAX_OVERFLOW", "0")
    monkeypatch.setenv("GMBOT_DB_POOL_TIMEOUT", "0.2")
    busy, free = asyncio.run(_rounds(url, caplog))
    skipped = [r.getMessage() for r in busy if r.name == "gmbot.scheduler" and r.levelno == logging.WARNING]
    assert [m.split(" skipped:")[0] for m in skipped] == [what for what, _ in scheduler.JOBS], skipped
    assert all("no database connection is free" in m for m in skipped)
    assert not [r for r in busy if r.levelno >= logging.ERROR or r.exc_info]  # no traceback
    assert not [r for r in free if r.levelno >= logging.WARNING], [r.getMessage() for r in free]
