"""A cancellation that arrives as the awaited event is set is not lost (Python 3.11's
`asyncio.wait_for` loses it: a lease keeper then ran on and its stop waited forever)."""

from __future__ import annotations

import asyncio

import pytest

from gmbot.chat.waiting import wait_event


async def test_a_cancel_in_the_same_turn_as_the_event_stops_the_loop() -> None:
    event = asyncio.Event()
    turns = 0

    async def keep() -> None:
        nonlocal turns
        while True:
            await wait_event(event, 30)
            event.clear()
            turns += 1

    task = asyncio.create_task(keep())
    await asyncio.sleep(0.01)
    event.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert task in done and task.cancelled() and turns == 0


async def test_it_says_whether_the_event_came_or_the_time_ran_out() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 5) is True
    assert await wait_event(event, 0) is True


@pytest.mark.parametrize("seconds", [-1.0, 0.0])
async def test_a_deadline_already_past_does_not_wait(seconds: float) -> None:
    assert await asyncio.wait_for(wait_event(asyncio.Event(), seconds), 1) is False
