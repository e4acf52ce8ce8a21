"""Ends wars whose duration elapsed, inside the backend process.

Each round takes due wars with `FOR UPDATE SKIP LOCKED` (PostgreSQL; ignored by
SQLite, whose writers are serialised anyway) and ends each with a conditional
UPDATE (`WHERE status = 'ongoing'`), writing `war.ended` for both clans in the
same transaction. Two backend processes on one database thus end every due war
exactly once; a restart resumes from the database.

The same loop settles wars left unvoted past their grace (`grace.settle_unvoted`), purges expired Idempotency-Key records (`idempotency.purge_expired`) and
delivered events past retention (`deliveries.purge_events`), and rolls each game's ranked
season over once its end has passed (`seasons.roll_over`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import func, select, update

from backend_impl import (
    capacity,
    catalogue,
    deliveries,
    grace,
    idempotency,
    metrics,
    outbox,
    seasons,
    views,
)
from backend_impl.db import Database, utcnow
from backend_impl.tables import Clan, War

log = logging.getLogger("gmbot.scheduler")
BATCH = 50


async def end_due_wars(database: Database, now: datetime | None = None) -> list[str]:
    """End the wars due at `now`; return their ids."""
    moment = now or utcnow()
    cat = await catalogue.load()
    ended: list[str] = []
    while True:
        batch: list[str] = []
        async with database.transaction() as session:
            due = await session.scalars(
                select(War.id)
                .where(War.status == "ongoing", War.ends_at <= moment)
                .order_by(War.ends_at)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            )
            for war_id in list(due):
                result = await session.execute(
                    update(War)
                    .where(War.id == war_id, War.status == "ongoing")
                    .values(status="ended", ended_at=moment)
                )
                if result.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                war = await session.get(War, war_id, populate_existing=True)
                assert war is not None
                rendered = (await views.war_dicts(session, cat, [war]))[0]
                for clan_id in (war.host_clan_id, war.opponent_clan_id):
                    clan = await session.get(Clan, clan_id)
                    if clan is not None:
                        outbox.emit(session, clan, "war.ended", {"war": rendered})
                batch.append(war_id)
        ended += batch
        if len(batch) < BATCH:
            return ended


async def measure_lag(database: Database, now: datetime | None = None) -> tuple[int, float]:
    """How many wars are due and not ended, and for how many seconds the oldest has been:
    the scheduler's lag, published as metrics."""
    moment = now or utcnow()
    async with database.read() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(War.ends_at)).where(
                    War.status == "ongoing", War.ends_at <= moment
                )
            )
        ).one()
    lag = (moment - oldest).total_seconds() if oldest is not None else 0.0
    metrics.DUE_WARS.set(count)
    metrics.SCHEDULER_LAG.set(lag)
    metrics.sample_pool(database)
    return int(count), lag


async def _end_wars(database: Database) -> None:
    await measure_lag(database)
    ended = await end_due_wars(database)
    if ended:
        log.info("ended wars %s", ", ".join(ended))


async def _settle_unvoted(database: Database) -> None:
    settled = await grace.settle_unvoted(database)
    if settled:
        log.info("settled unvoted wars %s", ", ".join(settled))


async def _roll_seasons(database: Database) -> None:
    rolled = await seasons.roll_over(database)
    if rolled:
        log.info("seasons now: %s", ", ".join(f"game {s.game_id} #{s.number}" for s in rolled))


async def _purge_idempotency(database: Database) -> None:
    purged = await idempotency.purge_expired(database)
    if purged:
        log.info("purged %d expired idempotency records", purged)


async def _purge_events(database: Database) -> None:
    removed = await deliveries.purge_events(database)
    if removed:
        log.info("removed %d delivered events past retention", removed)


JOBS: tuple[tuple[str, Callable[[Database], Awaitable[None]]], ...] = (
    ("scheduler round", _end_wars),
    ("settling unvoted wars", _settle_unvoted),
    ("season rollover", _roll_seasons),
    ("idempotency purge", _purge_idempotency),
    ("event retention", _purge_events),
)


async def one_round(database: Database, interval: float) -> None:
    """Each job once. Errors are logged, never fatal; one job failing does not skip the
    others. A job that finds no database connection free (the pool or PgBouncer full:
    `capacity.is_exhausted`) is a busy moment, not a bug: one warning line, and it runs again
    next round (`interval` seconds on)."""
    for what, job in JOBS:
        try:
            await job(database)
        except Exception as error:
            if capacity.is_exhausted(error):
                log.warning("%s skipped: no database connection is free (%s); again in %gs",
                            what, str(error).splitlines()[0][:200], interval)
            else:
                log.exception("%s failed", what)


async def run(database: Database, interval: float) -> None:
    """Forever: end due wars, settle unvoted ones, roll seasons over, purge expired
    idempotency records and delivered events (`one_round`), sleep `interval` seconds."""
    while True:
        await one_round(database, interval)
        await asyncio.sleep(interval)
