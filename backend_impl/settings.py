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
