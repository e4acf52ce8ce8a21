"""Event delivery as a service sees it: each post is work in flight (shutdown waits for it),
counted in the metrics and reported in `/health` (`events`: posted, failed, lag, last id).
The same for every front end: the platform hands in its own `deliver`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from gmbot.service.health import FrontEndHealth
from gmbot.service.metrics import BotMetrics, event_lag
from gmbot.service.shutdown import Shutdown

Deliver = Callable[[Mapping[str, Any], Any], Awaitable[None]]


def observe_delivery(deliver: Deliver, platform: str, shutdown: Shutdown, health: FrontEndHealth,
                     metrics: BotMetrics) -> Deliver:
    """`deliver`, observed. After shutdown began an event is not posted and the consumer is
    cancelled before it moves the cursor past it: the next start posts it."""

    async def observed(event: Mapping[str, Any], card: Any) -> None:
        if shutdown.stopping.is_set():
            raise asyncio.CancelledError
        async with shutdown.work():
            try:
                await deliver(event, card)
            except Exception:
                metrics.events.labels(platform, "failed").inc()
                health.events["failed"] = health.events.get("failed", 0) + 1
                raise
        metrics.events.labels(platform, "posted").inc()
        lag = event_lag(event)
        if lag is not None:
            metrics.event_lag.labels(platform).set(lag)
            health.events["lag_seconds"] = round(lag, 3)
        health.events["last_event_id"] = event.get("id")
        health.events["posted"] = health.events.get("posted", 0) + 1

    return observed
