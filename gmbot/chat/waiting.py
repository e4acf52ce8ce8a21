"""Waiting for an `asyncio.Event` with a time limit, without losing a cancellation.

Python 3.11's `asyncio.wait_for` returns the result when the awaited event is set in the
same loop turn as the task is cancelled, and the cancellation is gone: a loop around it
(a lease kept, a feed paused) then runs on after it was told to stop, and whoever awaits
it waits forever. `asyncio.wait` never swallows a cancellation.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True when it is set."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=max(0.0, seconds))
    finally:
        waiter.cancel()
    return event.is_set()
