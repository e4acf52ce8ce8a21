"""Delivery state of the event feed (tag `deliveries`), per client and partition, and retention.

A front end splits its platform's feed into partitions (Discord: a shard; a front end
without shards: `all`). One replica at a time delivers a partition: the one holding its
lease, renewed well before it expires; another replica asking meanwhile gets 409 and
asks again, and takes the lease once it has expired (the holder died). Each change of
hands increases `generation`, the fencing token a cursor update must carry, so a replica
that was paused past its lease (and replaced) can no longer move the cursor.

The cursor lives here, not in a file beside the replica, so a new host or container goes
on from where the partition was; a partition seen for the first time starts at "now" (the
newest event id given out) unless the front end asks for the beginning or an id.

Retention (`purge_events`, run by the scheduler): events older than GMBOT_EVENTS_RETENTION
that every delivery of their platform has passed are removed in small batches; the highest
removed id is kept per platform (`EventFloor`), and the feed answers 410 to an `after`
below it (events.py), so a consumer behind it hears of the gap instead of missing it.
A delivery idle for longer than the retention window (a partition no longer used, e.g.
after re-sharding) no longer holds events back.
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, dialect, errors, views
from backend_impl.db import Database, utcnow
from backend_impl.tables import ApiKey, Delivery, Event, EventCounter, EventFloor
from gmbot.server.types import RequestContext

if TYPE_CHECKING:
    from generated import models as m

PURGE_BATCH = 500  # events per purge transaction: keeps its locks short
PURGE_ROUNDS = 20  # batches per scheduler round: a large backlog goes over several rounds
DEFAULT_RETENTION = "7d"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_NEVER = datetime(1970, 1, 1)


def parse_duration(text: str) -> float:
    """`7d`, `12h`, `30m`, `45s` or plain seconds -> seconds."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if match is None:
        raise ValueError(f"not a duration: {text!r} (use e.g. 7d, 12h, 30m, 45s)")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def retention_seconds() -> float:
    return parse_duration(os.environ.get("GMBOT_EVENTS_RETENTION", DEFAULT_RETENTION))


def lease_dict(row: Delivery) -> dict[str, Any]:
    return {
        "partition": row.partition,
        "holder": row.holder,
        "generation": row.generation,
        "cursor": row.cursor,
        "expiresAt": views.iso(row.expires_at),
    }


def _start_cursor(start: str) -> Any:
    """Where a new partition starts: the newest id given out ("now"), 0, or the id asked for."""
    if start == "beginning":
        return 0
    if start.isdigit():
        return int(start)
    return select(EventCounter.last).where(EventCounter.id == 1).scalar_subquery()


async def _locked(session: AsyncSession, ctx: RequestContext, partition: str) -> Delivery | None:
    return await session.scalar(
        select(Delivery)
        .where(Delivery.client == ctx.client, Delivery.platform == ctx.platform, Delivery.partition == partition)
        .with_for_update()
    )


async def take_delivery_lease(ctx: RequestContext, *, partition: str, body: m.LeaseRequest) -> dict[str, Any]:
    holder, seconds = body.holder, float(body.seconds)
    async with db.get().transaction() as session:
        # first sight of the partition: a row with no holder (generation 0), taken below
        await session.execute(
            dialect.insert(session, Delivery)
            .values(client=ctx.client, platform=ctx.platform, partition=partition, holder="", generation=0,
                    cursor=_start_cursor(body.start or "now"), expires_at=_NEVER)
            .on_conflict_do_nothing()
        )
        row = await _locked(session, ctx, partition)
        assert row is not None
        now = utcnow()
        if row.holder != holder or row.generation == 0:
            if row.expires_at > now:
                raise errors.conflict(
                    f"Partition {partition} is delivered by {row.holder} until {views.iso(row.expires_at)}; "
                    "ask again after that.",
                    partition=partition, holder=row.holder, expiresAt=views.iso(row.expires_at),
                    generation=row.generation,
                )
            row.holder, row.generation = holder, row.generation + 1
        # the same holder renewing keeps its generation, even past expiry: nobody took over meanwhile
        row.expires_at = now + timedelta(seconds=seconds)
        return lease_dict(row)


async def list_deliveries(ctx: RequestContext) -> dict[str, Any]:
    """The caller's partitions: a front end splitting its feed anew reads where the old ones got to."""
    async with db.get().read() as session:
        rows = list(await session.scalars(
            select(Delivery)
            .where(Delivery.client == ctx.client, Delivery.platform == ctx.platform)
            .order_by(Delivery.partition)
        ))
    now = utcnow()
    return {"items": [{**lease_dict(row), "held": row.generation > 0 and row.expires_at > now} for row in rows]}


async def advance_delivery_cursor(ctx: RequestContext, *, partition: str, body: m.CursorUpdate) -> dict[str, Any]:
    async with db.get().transaction() as session:
        row = await _locked(session, ctx, partition)
        if row is None:
            raise errors.not_found("Partition", f"Partition {partition} has no lease yet: take one first.",
                                   partition=partition)
        if row.generation != body.generation:
            raise errors.conflict(
                f"The lease on partition {partition} changed hands (generation {row.generation}, held by "
                f"{row.holder}); generation {body.generation} may no longer move its cursor.",
                partition=partition, holder=row.holder, generation=row.generation,
            )
        row.cursor = max(row.cursor, int(body.cursor))
        return lease_dict(row)


async def purge_events(
    database: Database,
    now: datetime | None = None,
    retention: float | None = None,
    batch: int = PURGE_BATCH,
    rounds: int = PURGE_ROUNDS,
) -> int:
    """Remove up to `rounds` batches of events that are past retention and delivered; return how many."""
    cutoff = (now or utcnow()) - timedelta(seconds=retention_seconds() if retention is None else retention)
    async with database.read() as session:
        platforms = list(await session.scalars(select(ApiKey.platform).distinct()))
        # the slowest delivery of each platform still in use holds its events back
        bounds = dict(
            (await session.execute(
                select(Delivery.platform, func.min(Delivery.cursor))
                .where(Delivery.expires_at > cutoff)
                .group_by(Delivery.platform)
            )).tuples().all()
        )
    removed = 0
    for platform in platforms:
        for _ in range(rounds):
            count = await _purge_batch(database, platform, cutoff, bounds.get(platform), batch)
            removed += count
            if count < batch:
                break
    return removed


async def _purge_batch(database: Database, platform: str, cutoff: datetime, bound: int | None, batch: int) -> int:
    async with database.transaction() as session:
        query = select(Event.id).where(Event.platform == platform, Event.created_at < cutoff)
        if bound is not None:
            query = query.where(Event.id <= bound)
        ids = list(await session.scalars(query.order_by(Event.id).limit(batch).with_for_update(skip_locked=True)))
        if not ids:
            return 0
        await session.execute(delete(Event).where(Event.id.in_(ids)))
        upsert = dialect.insert(session, EventFloor).values(platform=platform, removed_through=max(ids))
        higher = func.max if session.get_bind().dialect.name == "sqlite" else func.greatest  # two-argument max
        await session.execute(upsert.on_conflict_do_update(
            index_elements=[EventFloor.platform],
            set_={"removed_through": higher(EventFloor.removed_through, upsert.excluded.removed_through)},
        ))
        return len(ids)


async def removed_through(session: AsyncSession, platform: str) -> int:
    """The highest event id of `platform` removed by retention (0: none)."""
    return int(await session.scalar(select(EventFloor.removed_through).where(EventFloor.platform == platform)) or 0)
