"""The event feed (tag `events`): GET /events?after=&wait=&limit= for the caller's platform.

A long-poll: with no event after the cursor the call waits up to `wait` seconds for
the process's `EventWatch` (event_watch.py) to see one, which it does at once for a
commit in this process or (PostgreSQL) another process's NOTIFY, and every
`settings.events_poll_seconds()` otherwise; a waiting long-poll makes no query of its own.
When the server begins to shut down, waiting long-polls answer at once (event_watch.py).
An `after` below what retention removed is answered 410 with `availableAfter` (deliveries.py).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from backend_impl import db, deliveries, event_watch, views
from backend_impl.tables import Event
from gmbot.server.types import Problem, RequestContext


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "serverId": event.server_id,
        "channelId": event.channel_id,
        "language": event.language,
        "createdAt": views.iso(event.created_at),
        "data": event.data,
    }


async def list_events(
    ctx: RequestContext, *, after: int = 0, wait: float = 0, limit: int = 25
) -> dict[str, Any]:
    database = db.get()
    deadline = time.monotonic() + float(wait or 0)
    items = await _read(database, ctx.platform, after, limit, check_gap=True)
    watch = event_watch.of(database, event_dict) if wait else None
    while watch is not None and not items and not watch.stopping:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        await watch.wait(ctx.platform, after, remaining)
        recent = watch.since(ctx.platform, after, limit)
        items = recent if recent is not None else await _read(database, ctx.platform, after, limit)
    return {"items": items, "next": items[-1]["id"] if items else after}


async def _read(
    database: db.Database, platform: str, after: int, limit: int, check_gap: bool = False
) -> list[dict[str, Any]]:
    async with database.read() as session:
        if check_gap and after < (floor := await deliveries.removed_through(session, platform)):
            raise Problem(
                410, "Gone",
                f"Events up to {floor} were removed (retention); continue with after={floor}.",
                availableAfter=floor, after=after,
            )
        events = await session.scalars(
            select(Event)
            .where(Event.platform == platform, Event.id > after)
            .order_by(Event.id)
            .limit(limit)
        )
        return [event_dict(e) for e in events]
