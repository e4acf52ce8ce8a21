"""Running out of database connections, answered 503 with Retry-After instead of 500.

A request finds no connection to spare when the pool's checkout times out (all of
GMBOT_DB_POOL_SIZE + GMBOT_DB_MAX_OVERFLOW busy for GMBOT_DB_POOL_TIMEOUT seconds) or when
PostgreSQL, or PgBouncer in front of it, refuses a new one. Nothing was written then: each
write is one transaction (or one statement), rolled back with the error. `capacity()` wraps
every use of a connection (db.Database's sessions, pg_direct's borrowed connections).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import TimeoutError as PoolTimeout

from gmbot.server.problems import problem
from gmbot.server.types import Problem

log = logging.getLogger("gmbot.db")


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error` and what it wraps: SQLAlchemy's `orig`, the adapters' `__cause__`."""
    seen: BaseException | None = error
    while seen is not None:
        yield seen
        seen = getattr(seen, "orig", None) or seen.__cause__


def _own_sqlstate(error: BaseException) -> str | None:
    code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return code if isinstance(code, str) else None


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error (through SQLAlchemy's and asyncpg's wrappers), if any."""
    return next((code for code in map(_own_sqlstate, _chain(error)) if code is not None), None)


# PostgreSQL refusing a connection for want of room: too_many_connections (max_connections,
# or a role's or database's CONNECTION LIMIT) and cannot_connect_now (starting or shutting down).
UNAVAILABLE_SQLSTATES = frozenset({"53300", "57P03"})
# PgBouncer says the same with SQLSTATE 08P01 (protocol_violation), then closes the connection
# (asyncpg: 08003, caused by the 08P01); its words tell which
POOLER_REFUSALS = (
    "no more connections allowed",  # max_client_conn reached
    "query_wait_timeout",  # no server connection came free within query_wait_timeout
    "server login has been failing",  # PostgreSQL refused PgBouncer's own connections
    "pgbouncer cannot connect to server",
)
RETRY_AFTER_SECONDS = 2


def is_exhausted(error: BaseException) -> bool:
    """Whether `error` means "no database connection to spare now": the pool's checkout timed
    out, or PostgreSQL or PgBouncer refused a new connection (through any wrapping)."""
    for seen in _chain(error):
        code = _own_sqlstate(seen)
        if isinstance(seen, PoolTimeout) or code in UNAVAILABLE_SQLSTATES:
            return True
        if code is not None and code.startswith("08") and any(words in str(seen) for words in POOLER_REFUSALS):
            return True
    return False


def unavailable(error: BaseException) -> Problem:
    """The 503 for an exhausted database (`is_exhausted`); the client may retry after a pause."""
    log.warning("no database connection available: %s", error)
    return problem(
        503, "No database connection is free right now; nothing was changed. Retry shortly.",
        retryAfter=RETRY_AFTER_SECONDS,
    )  # fmt: skip


@asynccontextmanager
async def capacity() -> AsyncIterator[None]:
    """Turn running out of database connections inside the block into `unavailable`."""
    try:
        yield
    except Problem:
        raise  # an answer already (maybe this one, from an inner block)
    except Exception as error:
        if is_exhausted(error):
            raise unavailable(error) from error
        raise


