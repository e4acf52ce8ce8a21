"""The engine, sessions and transactions.

`transaction()` is the one way business code writes: it commits the change and
the events it emitted together (the outbox), then wakes the long-polls of this
process. On SQLite one pooled connection serialises writers (no "database is
locked"); on PostgreSQL a pool of connections runs in parallel and row locks or
conditional updates keep state changes safe.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend_impl import settings


def utcnow() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


class Notifier:
    """Wakes the long-polls of this process when events were committed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Until the next notify, or `seconds` at most."""
        event = self._event
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        sa_event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=20, max_overflow=20, pool_timeout=30)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.notifier = Notifier()
        self.cache: dict[str, object] = {}  # per-database caches (the catalogue)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; commits (with its events) on success, rolls back on error."""
        from backend_impl import outbox  # outbox imports db

        async with self.sessions() as session, session.begin():
            yield session
            wrote_events = await outbox.flush(session)
        if wrote_events:
            self.notifier.notify()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


_database: Database | None = None


def init(url: str | None = None) -> Database:
    """Open the database (once per process); later calls return the same one."""
    global _database
    if _database is None:
        _database = Database(settings.database_url(url))
    return _database


def get() -> Database:
    return _database if _database is not None else init()


async def close() -> None:
    global _database
    if _database is not None:
        await _database.dispose()
        _database = None
