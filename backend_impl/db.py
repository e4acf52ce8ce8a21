"""The engine, sessions and transactions.

`transaction()` is the one way business code writes: it commits the change and
the events it emitted together (the outbox), then wakes the long-polls of this
process. On SQLite one pooled connection serialises writers (no "database is
locked"); on PostgreSQL a pool of connections runs in parallel and row locks or
conditional updates keep state changes safe.

Long-polls of other processes learn of commits by polling the database and, on
PostgreSQL, at once through LISTEN/NOTIFY (`Listener`, started by the app).

One pool per process: the asyncpg direct path (pg_direct.py) borrows its connections from
SQLAlchemy's, so a process holds at most GMBOT_DB_POOL_SIZE + GMBOT_DB_MAX_OVERFLOW
connections plus the listener's (docs/deployment.md#connections). When none is free in
time, or PostgreSQL (or PgBouncer) refuses another, the request is answered 503 with
Retry-After (capacity.py) and nothing was written: every write is one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from typing import Any, TypeVar

from sqlalchemy import event as sa_event
from sqlalchemy import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from backend_impl import metrics, outbox, settings
from backend_impl.capacity import capacity, sqlstate
from backend_impl.clock import utcnow
from backend_impl.outbox import EVENTS_CHANNEL
from backend_impl.pg_direct import DirectPool

__all__ = ["Database", "sqlstate", "utcnow"]  # re-exported: the modules using them import them from here

log = logging.getLogger("gmbot.db")
T = TypeVar("T")

# PostgreSQL aborts one of two transactions that wait on each other (deadlock_detected)
# or that cannot be serialised (serialization_failure): the aborted one may simply run again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
RETRY_ATTEMPTS = 5


def is_retryable(error: BaseException) -> bool:
    return isinstance(error, DBAPIError) and sqlstate(error) in RETRYABLE_SQLSTATES


async def retrying(attempt: Callable[[], Awaitable[T]], attempts: int = RETRY_ATTEMPTS) -> T:
    """`attempt()` (one whole transaction), run again when the database aborted it as a
    deadlock victim or a serialization failure, after a short random pause."""
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except DBAPIError as error:
            if number == attempts or not is_retryable(error):
                raise
            log.info("transaction aborted (%s), attempt %d of %d", sqlstate(error), number, attempts)
            await asyncio.sleep(random.uniform(0.001, 0.01 * 2**number))
    raise AssertionError("unreachable")


class Notifier:
    """Wakes the long-polls of this process when events were committed."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.generation = 0  # notifications so far: a waiter that was busy can tell it missed one

    def notify(self) -> None:
        self.generation += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, seconds: float) -> None:
        """Until the next notify, or `seconds` at most."""
        event = self._event
        with suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await event.wait()


class Listener:
    """LISTEN on EVENTS_CHANNEL over a dedicated asyncpg connection; each NOTIFY wakes the long-polls.

    The connection is kept open for the app's life. When it drops (detected by its
    termination callback, or by a periodic `SELECT 1` for a silently dead socket)
    it is reopened after RETRY_SECONDS; meanwhile the long-polls' periodic poll
    still finds every event, only later.
    """

    RETRY_SECONDS = 1.0
    CHECK_SECONDS = 10.0

    def __init__(self, dsn: str, notifier: Notifier) -> None:
        self.dsn = dsn
        self.notifier = notifier
        self.listening = False  # while True, every commit with events is notified

    def _on_notify(self, *_args: object) -> None:
        self.notifier.notify()

    async def run(self) -> None:
        import asyncpg

        while True:
            try:
                connection = await asyncpg.connect(
                    self.dsn, server_settings={"application_name": "gmbot-listener"}
                )
            except Exception as error:  # any failure: retry; polling covers meanwhile
                log.warning("cannot LISTEN for events (%s); polling only, retrying", error)
                await asyncio.sleep(self.RETRY_SECONDS)
                continue
            try:
                await self._listen(connection)
            except Exception as error:
                log.warning("event listener connection lost (%s); reconnecting", error)
            finally:
                await self._close(connection)
            await asyncio.sleep(self.RETRY_SECONDS)

    @staticmethod
    async def _close(connection: Any) -> None:
        """Politely (the server logs no broken connection), or at once when the socket is dead."""
        try:
            await asyncio.wait_for(connection.close(), 2)
        except Exception:
            connection.terminate()

    async def _listen(self, connection: Any) -> None:
        lost = asyncio.Event()
        connection.add_termination_listener(lambda _connection: lost.set())
        await connection.add_listener(EVENTS_CHANNEL, self._on_notify)
        self.listening = True
        try:
            self.notifier.notify()  # commits while not listening: let the waiters look now
            while not lost.is_set():
                with suppress(TimeoutError):
                    async with asyncio.timeout(self.CHECK_SECONDS):
                        await lost.wait()
                if not lost.is_set():
                    async with asyncio.timeout(self.CHECK_SECONDS):
                        await connection.execute("SELECT 1")
            raise ConnectionError("connection closed")
        finally:
            self.listening = False
            self.notifier.notify()  # the event watch falls back to polling at once


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def engine_options(url: str) -> dict[str, Any]:
    """`create_async_engine`'s keywords for `url` but the pool's (migrate.py uses them too)."""
    if url.startswith("sqlite"):
        return {}
    # No JIT: the backend's statements run in milliseconds, and JIT compiling one whose
    # estimate passes `jit_above_cost` (a generic plan's guess can) takes a second or more
    # each time it runs (docs/benchmarks.md, "Ranked play"). PgBouncer refuses startup
    # parameters it does not know; behind it every statement is planned for its own values.
    server_settings = {"application_name": "gmbot"} if settings.pgbouncer() else {"application_name": "gmbot", "jit": "off"}
    connect_args: dict[str, Any] = {"server_settings": server_settings}
    if settings.pgbouncer():
        # PgBouncer 1.18 in transaction mode hands each transaction any server connection, so
        # a statement prepared by name on one is missing (or another's) on the next. With no
        # statement cache asyncpg sends every statement unnamed, parsed again where it runs,
        # and SQLAlchemy keeps no prepared statement objects.
        connect_args |= {"statement_cache_size": 0, "prepared_statement_cache_size": 0}
    return {"connect_args": connect_args}


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        sa_event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size(),
        max_overflow=settings.db_max_overflow(),
        pool_timeout=settings.db_pool_timeout(),
        **engine_options(url),
    )
    sa_event.listen(engine.sync_engine, "checkout", _not_closed)
    return engine


def _not_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A pooled connection closed while idle (PgBouncer drops a client after refusing it a
    server, restarts; PostgreSQL's idle timeouts) is replaced at checkout, not handed out
    to fail its request: SQLAlchemy opens another on DisconnectionError. No round trip."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("the pooled connection was closed while idle")


def asyncpg_dsn(url: str) -> str:
    """A SQLAlchemy PostgreSQL URL as asyncpg takes it (no `+asyncpg`)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name  # "sqlite" or "postgresql"
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self.notifier = Notifier()
        self.cache: dict[str, object] = {}  # per-database caches (the catalogue)
        self.listener: Listener | None = None
        self._listener_task: asyncio.Task[None] | None = None
        self.background: set[asyncio.Task[None]] = set()  # tasks ended by `dispose`
        # PostgreSQL: createWar's one-statement path and getClanStatus's reads on asyncpg
        # itself, with connections borrowed from the engine's pool (pg_direct.py)
        self.direct: DirectPool | None = None
        if self.dialect == "postgresql" and settings.pg_direct():
            self.direct = DirectPool(self.engine)

    def start_listening(self) -> None:
        """On PostgreSQL, wake this process's long-polls on every NOTIFY (until `dispose`)."""
        if self.dialect != "postgresql" or self._listener_task is not None:
            return
        listen_url = settings.database_listen_url(self.url)
        if settings.pgbouncer() and listen_url == self.url:
            log.warning(
                "GMBOT_PGBOUNCER is set but DATABASE_LISTEN_URL is not: LISTEN does not work "
                "through a transaction-mode pooler, so long-polls learn of other processes' "
                "events by polling only (every GMBOT_EVENTS_POLL_SECONDS)"
            )
            return
        self.listener = Listener(asyncpg_dsn(listen_url), self.notifier)
        self._listener_task = asyncio.create_task(self.listener.run(), name="gmbot-listener")

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in a transaction; commits (with its events) on success, rolls back on error."""
        async with capacity(), self.sessions() as session, session.begin():
            yield session
            written = await outbox.flush(session)
        if written:
            metrics.EVENTS_WRITTEN.inc(written)
            self.notifier.notify()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with capacity(), self.sessions() as session, session.begin():
            yield session

    def listening(self) -> bool:
        """Whether every commit with events reaches this process at once (PostgreSQL's NOTIFY)."""
        return self.listener is not None and self.listener.listening

    async def dispose(self) -> None:
        for task in self.background:
            task.cancel()
        # only this loop's tasks can be awaited (a Database may outlive a test's event loop)
        running = asyncio.get_running_loop()
        ours = [task for task in self.background if task.get_loop() is running]
        if ours:
            await asyncio.wait(ours, timeout=2)
        self.background.clear()
        if self._listener_task is not None:
            self._listener_task.cancel()  # its `finally` closes the connection
            with suppress(asyncio.CancelledError):
                await self._listener_task
            self._listener_task = None
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
    database, _database = _database, None  # forgotten even if disposing fails: the next init starts afresh
    if database is not None:
        await database.dispose()
