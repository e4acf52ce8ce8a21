"""`EventWatch`: one per process, the only reader of new events for all its long-polls.

A long-poll (`GET /events?wait=`) that found nothing used to re-read the database every
`GMBOT_EVENTS_POLL_SECONDS` on its own: 500 idle long-polls cost 900 transactions a
second. Now each waits on the process's `EventWatch`, which reads the events committed
since the last it saw (one query) each time the process is notified: a commit in the
process, or on PostgreSQL another process's NOTIFY. Only when no LISTEN connection is
up (SQLite, or PostgreSQL while it reconnects) does it also read on a timer, still
once per process. It keeps the newest events in memory, so the woken long-polls are
answered from there without a query of their own.

At shutdown (`stop_waiting`, called through gmbot.server.draining) every long-poll is
answered at once with what it has, usually nothing: as if its wait had run out, which a
bot takes as "poll again" (on another backend, or this one restarted). Otherwise each would
hold the shutdown until its wait ran out or uvicorn cancelled it (a 500).

Complete because event ids follow commit order (outbox.py): once the watch has read up
to id N, no event at or below N can commit later, so it holds every event in
(`start`, `known`].
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from contextlib import suppress
from typing import Any

from sqlalchemy import func, select

from backend_impl import settings
from backend_impl.db import Database
from backend_impl.tables import Event

log = logging.getLogger("gmbot.events")
KEEP = 2000  # events held in memory; a long-poll further behind reads the database itself
BATCH = 500  # events per query
SAFETY_SECONDS = 30.0  # a read now and then even while LISTEN works, in case a NOTIFY was lost


class EventWatch:
    def __init__(self, database: Database, serialize: Any) -> None:
        self.database = database
        self.serialize = serialize  # Event row -> its JSON dict
        self.start: int | None = None  # every event with start < id <= known is in `_recent`
        self.known = 0
        self.newest: dict[str, int] = {}  # platform -> its newest event id seen
        self._recent: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._changed = asyncio.Event()
        self.reads = 0  # queries made: the cost this watch exists to bound
        self.stopping = False  # the server is shutting down: long-polls wait no more
        self.task: asyncio.Task[None] | None = None

    def alive(self) -> bool:
        """Running, in the running event loop (a watch of a finished loop is replaced)."""
        task = self.task
        return task is not None and not task.done() and task.get_loop() is asyncio.get_running_loop()

    async def run(self) -> None:
        notifier = self.database.notifier
        while True:
            try:
                seen = notifier.generation
                await self._read()
                if notifier.generation == seen:
                    listening = self.database.listening()
                    await notifier.wait(SAFETY_SECONDS if listening else settings.events_poll_seconds())
            except asyncio.CancelledError:
                raise
            except Exception as error:  # the database away for a moment: long-polls just wait longer
                log.warning("cannot read new events (%s); retrying", error)
                await asyncio.sleep(settings.events_poll_seconds())

    async def _read(self) -> None:
        async with self.database.read() as session:
            self.reads += 1
            if self.start is None:  # the newest per platform, so a long-poll behind them looks
                newest = await session.execute(select(Event.platform, func.max(Event.id)).group_by(Event.platform))
                self.newest = {platform: int(event_id) for platform, event_id in newest}
                self.known = self.start = max(self.newest.values(), default=0)
                self._wake()
                return
            rows = list(
                await session.scalars(select(Event).where(Event.id > self.known).order_by(Event.id).limit(BATCH))
            )
            for event in rows:
                self._recent.append((event.id, event.platform, self.serialize(event)))
                self.newest[event.platform] = event.id
        if not rows:
            return
        self.known = rows[-1].id
        while len(self._recent) > KEEP:
            self.start = self._recent.popleft()[0]
        self._wake()
        if len(rows) == BATCH:
            self.database.notifier.notify()  # more to read: go round again at once

    def _wake(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    def since(self, platform: str, after: int, limit: int) -> list[dict[str, Any]] | None:
        """The platform's events after `after` from memory, or None when memory does not reach back."""
        if self.start is None or after < self.start:
            return None
        found = []
        for event_id, event_platform, data in self._recent:
            if event_id > after and event_platform == platform:
                found.append(data)
                if len(found) == limit:
                    break
        return found

    async def wait(self, platform: str, after: int, seconds: float) -> None:
        """Until an event of `platform` after `after` has been seen, `seconds` passed, or the
        server began to shut down."""
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while self.newest.get(platform, 0) <= after and not self.stopping:
                    await self._changed.wait()

    def stop_waiting(self) -> None:
        self.stopping = True
        self._wake()


def stop_waiting(database: Database) -> None:
    """The server is shutting down: wake every long-poll of `database`'s watch, for good."""
    watch = database.cache.get("event_watch")
    if isinstance(watch, EventWatch):
        watch.stop_waiting()


def of(database: Database, serialize: Any) -> EventWatch:
    """The database's watch, started on first use and stopped with the database."""
    watch = database.cache.get("event_watch")
    if not isinstance(watch, EventWatch) or not watch.alive():
        watch = EventWatch(database, serialize)
        database.cache["event_watch"] = watch
        watch.task = asyncio.create_task(watch.run(), name="gmbot-event-watch")
        database.background.add(watch.task)
    return watch
