"""The Slack events already handled, remembered across restarts and replicas.

Slack retries an event it thinks was not acknowledged (`X-Slack-Retry-Num`: at once,
after a minute, after five), with the same `event_id`. The backend honours that id as
an idempotency key (no second war), but the answer would still be posted twice if the
retry reaches a process that has not seen the first delivery: one restarted since,
or another replica. So the ids are kept in a table, `slack_seen_events`, on a database
the Slack bot owns: the installation store's with OAuth (shared by every replica), a
SQLite file beside the events cursor with one workspace. Inserting the id is the
claim: the first insert wins, a retry's conflicts.

Bounded in time and size: rows older than `ttl` (an hour: Slack's last retry comes
after five minutes) and all but the newest `size` are deleted every `prune_every`
claims. A database that cannot be reached is logged, and the event handled: a rare
double answer beats silence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, String, Table, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

log = logging.getLogger("gmbot.slack.seen")

metadata = MetaData()
seen_events = Table(
    "slack_seen_events", metadata,
    Column("event_id", String(128), primary_key=True),
    Column("seen_at", Float, nullable=False, index=True),
)


class SeenEvents:
    def __init__(self, engine: AsyncEngine, *, ttl: float = 3600.0, size: int = 100_000, prune_every: int = 100,
                 clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.ttl = ttl
        self.size = size
        self.prune_every = prune_every
        self.clock = clock
        self._claims = 0

    async def create_tables(self) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)

    async def first_time(self, event_id: str) -> bool:
        """Claim `event_id`: True the first time (handle it), False for a retry (skip it)."""
        if not event_id:
            return True
        try:
            async with self.engine.begin() as connection:
                await connection.execute(insert(seen_events).values(event_id=event_id[:128], seen_at=self.clock()))
        except IntegrityError:
            return False
        except (SQLAlchemyError, OSError) as error:
            log.warning("cannot remember Slack event %s (%s): handling it anyway", event_id, error)
            return True
        self._claims += 1
        if self._claims % self.prune_every == 0:
            await self.prune()
        return True

    async def prune(self) -> None:
        """Forget the ids past `ttl`, then all but the newest `size`."""
        try:
            async with self.engine.begin() as connection:
                await connection.execute(delete(seen_events).where(seen_events.c.seen_at < self.clock() - self.ttl))
                newest = (select(seen_events.c.seen_at).order_by(seen_events.c.seen_at.desc())
                          .offset(self.size - 1).limit(1).scalar_subquery())
                await connection.execute(delete(seen_events).where(seen_events.c.seen_at < newest))
        except (SQLAlchemyError, OSError) as error:
            log.warning("cannot prune the Slack events seen: %s", error)

    async def count(self) -> int:
        async with self.engine.connect() as connection:
            return int((await connection.execute(select(func.count()).select_from(seen_events))).scalar_one())


async def open_seen(path: Path) -> SeenEvents:
    """One workspace: the events seen, in a SQLite file of their own (its folder made)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    seen = SeenEvents(create_async_engine(f"sqlite+aiosqlite:///{path}"))
    await seen.create_tables()
    return seen
