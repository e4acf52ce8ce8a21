"""Where the backend's settings come from: arguments first, then environment variables."""

from __future__ import annotations

import os

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./gmbot.sqlite3"


def normalize_database_url(url: str) -> str:
    """Accept the usual spellings and pick the async driver: postgres:// -> postgresql+asyncpg://."""
    for prefix in (
        "postgres://",
        "postgresql://",
        "postgresql+psycopg://",
        "postgresql+psycopg2://",
    ):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url[len("sqlite://") :]
    return url


def database_url(explicit: str | None = None) -> str:
    return normalize_database_url(
        explicit or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    )


def scheduler_interval() -> float:
    """Seconds between two looks for due wars (GMBOT_SCHEDULER_INTERVAL, default 1)."""
    return float(os.environ.get("GMBOT_SCHEDULER_INTERVAL", "1.0"))


def key_cache_seconds() -> float:
    """How long a verified API key is remembered (a revoked key stops working within this)."""
    return float(os.environ.get("GMBOT_KEY_CACHE_SECONDS", "5"))


def idempotency_ttl() -> float:
    """Seconds an Idempotency-Key is remembered (GMBOT_IDEMPOTENCY_TTL, default 24 h); retries must come sooner."""
    return float(os.environ.get("GMBOT_IDEMPOTENCY_TTL", str(24 * 3600)))


def events_poll_seconds() -> float:
    """How often a long-poll looks at the database for other processes' events (GMBOT_EVENTS_POLL_SECONDS).

    The fallback of LISTEN/NOTIFY on PostgreSQL, the only cross-process wake-up on SQLite.
    """
    return float(os.environ.get("GMBOT_EVENTS_POLL_SECONDS", "0.5"))


def pg_direct() -> bool:
    """On PostgreSQL, run createWar as one prepared asyncpg statement, getClanStatus's reads
    on asyncpg, and a leaderboard page and a clan profile as one statement each
    (GMBOT_PG_DIRECT, default on; 0 sends them through SQLAlchemy like every other
    operation: backend_impl/pg_direct.py, ranked_pg.py)."""
    return os.environ.get("GMBOT_PG_DIRECT", "1").strip().lower() not in ("0", "false", "no", "off")


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    return default if not raw else raw not in ("0", "false", "no", "off")


def _count(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, not {raw!r}")
    return value


def db_pool_size() -> int:
    """PostgreSQL connections a process keeps open (GMBOT_DB_POOL_SIZE, default 10). The one
    pool of the process: SQLAlchemy's sessions and the asyncpg direct path share it."""
    return _count("GMBOT_DB_POOL_SIZE", 10, 1)


def db_max_overflow() -> int:
    """Connections opened beyond the pool size under load, closed when returned
    (GMBOT_DB_MAX_OVERFLOW, default 10)."""
    return _count("GMBOT_DB_MAX_OVERFLOW", 10, 0)


def db_pool_timeout() -> float:
    """Seconds a request waits for a free connection when all are in use
    (GMBOT_DB_POOL_TIMEOUT, default 10); then it is answered 503 with Retry-After."""
    raw = os.environ.get("GMBOT_DB_POOL_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else 10.0
    except ValueError:
        raise ValueError(f"GMBOT_DB_POOL_TIMEOUT must be a number, not {raw!r}") from None
    if value <= 0:
        raise ValueError(f"GMBOT_DB_POOL_TIMEOUT must be positive, not {raw!r}")
    return value


def pgbouncer() -> bool:
    """DATABASE_URL points at PgBouncer in transaction mode (GMBOT_PGBOUNCER, default off):
    no statement is prepared by name on either path, as a transaction-mode pooler needs."""
    return _switch("GMBOT_PGBOUNCER", False)


def database_listen_url(database: str) -> str:
    """Where the LISTEN connection goes (DATABASE_LISTEN_URL, default `database`, the
    DATABASE_URL in use): PostgreSQL itself, since LISTEN needs a session of its own,
    which a transaction-mode pooler does not keep."""
    explicit = os.environ.get("DATABASE_LISTEN_URL", "").strip()
    return normalize_database_url(explicit) if explicit else database


def provisional_wars() -> int:
    """Rated wars a clan plays in a season before it is ranked in it (GMBOT_PROVISIONAL_WARS,
    default 3); each season keeps the value it was created with."""
    return max(0, int(os.environ.get("GMBOT_PROVISIONAL_WARS", "3")))


def farming_window_hours() -> float:
    """The anti-farming window (GMBOT_FARMING_WINDOW_HOURS, default 168 = 7 days): the k-th win
    over the same opponent within it counts 1/k; each season keeps the value it was created with."""
    return float(os.environ.get("GMBOT_FARMING_WINDOW_HOURS", str(7 * 24)))


def operator_clients() -> frozenset[str]:
    """Clients whose keys may call the operator's operations (GMBOT_OPERATOR_CLIENTS, comma
    separated, default OPERATOR): `gmbot keys create --client OPERATOR` issues one."""
    names = os.environ.get("GMBOT_OPERATOR_CLIENTS", "OPERATOR")
    return frozenset(n.strip() for n in names.split(",") if n.strip())


def vote_grace_hours() -> float:
    """How long an ended war waits for its votes (GMBOT_VOTE_GRACE_HOURS, default 48): then one
    side's vote is the result, and no vote at all voids it (grace.py)."""
    return max(0.0, float(os.environ.get("GMBOT_VOTE_GRACE_HOURS", "48")))
