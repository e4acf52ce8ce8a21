"""The backend's one clock: naive UTC, as stored. A leaf: `db` and `outbox` both need it."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)
