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
    """On PostgreSQL, run createWar as one prepared asyncpg statement and getClanStatus's reads
    on asyncpg (GMBOT_PG_DIRECT, default on; 0 sends them through SQLAlchemy like every other
    operation: backend_impl/pg_direct.py)."""
    return os.environ.get("GMBOT_PG_DIRECT", "1").strip().lower() not in ("0", "false", "no", "off")


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
