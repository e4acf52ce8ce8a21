"""The events outbox: `emit` during a transaction, written at its end by `flush`.

Event ids come from the one-row `event_counter`, incremented as the last statement
before commit: its row lock is held until commit, so ids are handed out in commit
order and a reader that moved past id N can never later see an event below N.
On PostgreSQL the same transaction sends `NOTIFY gmbot_events`, delivered on
commit, which wakes the long-polls of every backend process (`db.Listener`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl.clock import utcnow
from backend_impl.shapes import ClanLike
from backend_impl.tables import Event, EventCounter

EVENTS_CHANNEL = "gmbot_events"  # flush NOTIFYs it; db.Listener LISTENs to it
_PENDING = "gmbot.pending_events"


def emit(session: AsyncSession, clan: ClanLike, type_: str, data: dict[str, Any]) -> None:
    """Queue an event for `clan` (its platform's feed), written when the transaction commits."""
    pending: list[dict[str, Any]] = session.info.setdefault(_PENDING, [])
    pending.append(
        {
            "platform": clan.platform,
            "type": type_,
            "clan_id": clan.id,
            "server_id": clan.server_id,
            "channel_id": clan.channel_id,
            "language": getattr(clan, "language", None),  # cards are posted in the clan's language
            "created_at": utcnow(),
            "data": data,
        }
    )


async def flush(session: AsyncSession) -> int:
    """Write the queued events; return how many."""
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    result = await session.execute(
        update(EventCounter)
        .where(EventCounter.id == 1)
        .values(last=EventCounter.last + len(pending))
        .returning(EventCounter.last)
    )
    last = int(result.scalar_one())
    first = last - len(pending) + 1
    for offset, row in enumerate(pending):
        row["id"] = first + offset
    await session.execute(insert(Event), pending)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(f"NOTIFY {EVENTS_CHANNEL}"))  # sent only if this commits
    return len(pending)


def discard(session: AsyncSession) -> None:
    session.info.pop(_PENDING, None)
