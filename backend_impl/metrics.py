"""The backend's own Prometheus metrics, served by the runtime's /metrics beside the
per-operation request counts and latencies (gmbot/server/metrics.py).

`multiprocess_mode` says how /metrics combines worker processes (`gmbot serve
--workers N`): a process's pool is its own (summed over live processes); due wars
are the same database-wide number seen by every scheduler (the highest is shown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter, Gauge

if TYPE_CHECKING:
    from backend_impl.db import Database

EVENTS_WRITTEN = Counter("gmbot_events_written", "Events committed to the outbox (one per target clan)")
POOL_IN_USE = Gauge(
    "gmbot_db_pool_connections_in_use",
    "Database connections checked out of the pool (sampled every scheduler round)",
    multiprocess_mode="livesum",
)
POOL_OPEN = Gauge(
    "gmbot_db_pool_connections_open",
    "Database connections the pool holds, in use or idle (sampled every scheduler round)",
    multiprocess_mode="livesum",
)
DUE_WARS = Gauge(
    "gmbot_scheduler_due_wars",
    "Ongoing wars past their end that were not ended yet, at the start of a scheduler round",
    multiprocess_mode="max",
)
SCHEDULER_LAG = Gauge(
    "gmbot_scheduler_lag_seconds",
    "How long the oldest due war had been waiting to be ended, at the start of a scheduler round",
    multiprocess_mode="max",
)


def sample_pool(database: Database) -> None:
    pool = database.engine.pool
    checked_out = getattr(pool, "checkedout", None)
    if checked_out is None:  # a pool kind without counters (NullPool, StaticPool)
        return
    in_use = int(checked_out())
    POOL_IN_USE.set(in_use)
    POOL_OPEN.set(in_use + int(pool.checkedin()))  # type: ignore[attr-defined]
