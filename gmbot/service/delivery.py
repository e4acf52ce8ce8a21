"""Event delivery as a service sees it, the same for every front end.

* `observe_delivery`: each post is work in flight (shutdown waits for it), counted in the
  metrics and reported in `/health` (`events`: posted, failed, lag, last id).
* `refusing`: a failed post becomes the `DeliveryError` the events consumer acts on
  (gmbot/chat/events.py: retried, or skipped). The platform says only what its own errors
  look like (`PostRefusal`: its status codes and error codes, via `answered`); a refused,
  reset or dropped connection is transient for every platform, and anything else is a bug
  that is raised as it is (the consumer logs it with its traceback).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import aiohttp

from gmbot.chat.events import Deliver, DeliveryError
from gmbot.service.health import FrontEndHealth
from gmbot.service.metrics import BotMetrics, event_lag
from gmbot.service.shutdown import Shutdown

# A platform's reading of one of its own errors: a DeliveryError, or None when it is not one
# of the platform's answers (the network's failures and bugs are read by `delivery_failure`).
PostRefusal = Callable[[BaseException], DeliveryError | None]


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


def answered(status: int, reason: str, *, retry_after: float | None = None, transient: bool = False) -> DeliveryError:
    """The platform answered `status`: a 429 or a 5xx (or what the platform calls `transient`)
    is tried again, after `retry_after` seconds when it said so; any other answer would be
    the same next time (403, 404, a 4xx), so the event is skipped."""
    if transient or status == 429 or status >= 500:
        return DeliveryError(reason, permanent=False, retry_after=retry_after)
    return DeliveryError(reason, permanent=True)


def retry_after(error: BaseException) -> float | None:
    """The `Retry-After` seconds of a refused HTTP call (py-cord's and slack-sdk's errors both
    keep the response, with its headers, as `error.response`); None when absent or not a
    positive number."""
    headers = getattr(getattr(error, "response", None), "headers", None) or {}
    try:
        value = float(headers.get("Retry-After", ""))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def delivery_failure(error: BaseException, refusal: PostRefusal) -> DeliveryError | None:
    """A failed post as a DeliveryError; None when it is neither the platform's doing nor the
    network's (a bug)."""
    failure = refusal(error)
    if failure is not None:
        return failure
    if isinstance(error, aiohttp.ClientError | OSError):  # refused, reset, DNS; TimeoutError is an OSError
        return DeliveryError(f"{type(error).__name__}: {error}".rstrip(": "), permanent=False)
    return None


@contextlib.contextmanager
def refusing(refusal: PostRefusal) -> Iterator[None]:
    """Around a post: what fails in it is raised again as a DeliveryError (from the original,
    which stays the cause); a bug is raised as it is."""
    try:
        yield
    except DeliveryError:
        raise
    except Exception as error:
        failure = delivery_failure(error, refusal)
        if failure is None:
            raise
        raise failure from error
