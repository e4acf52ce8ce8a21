"""The event feed (tag `events`): GET /events?after=&wait=&limit= for the caller's platform.

A long-poll: with no event after the cursor the call waits up to `wait` seconds,
woken at once by a commit in this process or (PostgreSQL) by another process's
NOTIFY (`db.Listener`), and polling the database every
`settings.events_poll_seconds()` as the fallback (the only cross-process
wake-up on SQLite).
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from backend_impl import db, settings, views
from backend_impl.tables import Event
from gmbot.server.types import RequestContext


def event_dict(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "serverId": event.server_id,
        "channelId": event.channel_id,
        "createdAt": views.iso(event.created_at),
        "data": event.data,
    }


async def list_events(
    ctx: RequestContext, *, after: int = 0, wait: float = 0, limit: int = 25
) -> dict[str, Any]:
    database = db.get()
    deadline = time.monotonic() + float(wait or 0)
    poll = settings.events_poll_seconds()
    while True:
        async with database.read() as session:
            events = list(
                await session.scalars(
                    select(Event)
                    .where(Event.platform == ctx.platform, Event.id > after)
                    .order_by(Event.id)
                    .limit(limit)
                )
            )
        remaining = deadline - time.monotonic()
        if events or remaining <= 0:
            break
        await database.notifier.wait(min(remaining, poll))
    return {"items": [event_dict(e) for e in events], "next": events[-1].id if events else after}
