"""One chat front end as a long-running service, whatever the platform.

`FrontEndService` holds what every front end does the same way: its shutdown, backoff,
metrics and health; `attach` (the runtime's commands become work in flight, counted);
`deliver` and `track` (the events consumer); `connected` (what a front end does once it is
up); and `serve`, the life of the process: quiet the SDK's reconnect tracebacks, handle
SIGTERM / Ctrl-C, serve `/health` and `/metrics`, keep connected (gmbot/service/supervise.py)
and at the end let the work in flight finish before closing.

A platform is a subclass that supplies the hooks:

* `platform`, `title`, `sdk_loggers`, `network_errors`: its name, the name people read,
  its SDK's loggers, and its own exceptions that mean "cannot reach it";
* `connect()`: log in and stay connected until the connection ends (or shutdown); it sets
  `self.phase` as it goes and calls `self.connected(who)` once it is up;
* `reset()`: clean up after a failed attempt, so that the next starts fresh;
* `close()`: close the connection at shutdown, after the work in flight (default: `reset`);
* `refusal(error, phase)`: its own errors that say something about a setting (fatal, one
  line naming it) or about the platform (transient); the rest is read by
  `connection_failure`, the same for every platform.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, ClassVar

import aiohttp

from gmbot.chat.backoff import Backoff
from gmbot.chat.events import Deliver
from gmbot.service.delivery import observe_delivery
from gmbot.service.health import FrontEndHealth, HealthServer
from gmbot.service.logs import one_line
from gmbot.service.metrics import BotMetrics, count_outcomes, instrument_backend
from gmbot.service.shutdown import Shutdown, finish
from gmbot.service.supervise import Failure, keep_connected


@dataclass(frozen=True)
class Phase:
    """What a front end is doing while it connects: named in every failure line."""

    doing: str  # "... while checking SLACK_BOT_TOKEN (auth.test)"
    method: str = ""  # the API method that answers in this phase
    variable: str | None = None  # the setting a refusal in this phase is about
    where: str = ""  # where to find its right value


STARTING = Phase("starting")
CONNECTED = Phase("connected")


def connection_failure(title: str, error: BaseException, phase: Phase, log: logging.Logger,
                       network_errors: tuple[type[BaseException], ...] = ()) -> Failure:
    """What no platform's own errors say: the network (transient, one line), or a bug
    (transient too, but logged with its traceback for the report)."""
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(False, f"cannot reach {title} while {phase.doing}: {error}")
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return Failure(False, f"{title} did not answer in time while {phase.doing}")
    if isinstance(error, (aiohttp.ClientError, OSError, *network_errors)):  # ConnectionError is an OSError
        return Failure(False, f"cannot reach {title} while {phase.doing}: {type(error).__name__}: {error}".rstrip(": "))
    log.error("unexpected error while %s", phase.doing, exc_info=error)
    return Failure(False, f"unexpected error while {phase.doing}: {type(error).__name__}: {error}")


class FrontEndService:
    """One per front-end process: `attach` the runtime, wrap `deliver`, `track` the events
    consumer, then `serve` until shutdown (0) or a fatal configuration error (78)."""

    platform: ClassVar[str]  # "discord": metrics labels, /health, the logger gmbot.<platform>
    title: ClassVar[str]  # "Discord": in the lines people read
    sdk_loggers: ClassVar[tuple[str, ...]] = ()  # their reconnect tracebacks become one line
    network_errors: ClassVar[tuple[type[BaseException], ...]] = ()  # the SDK's "cannot reach"

    def __init__(self, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        self.shutdown = shutdown or Shutdown()
        self.backoff = backoff or Backoff.from_env()
        self.metrics = BotMetrics()
        self.health = FrontEndHealth(self.platform)
        self.tasks: list[asyncio.Task[Any]] = []
        self.phase = STARTING
        self.log = logging.getLogger(f"gmbot.{self.platform}")

    # -- the platform's hooks ----------------------------------------------------------------
    async def connect(self) -> None:
        raise NotImplementedError

    async def reset(self) -> None:
        """After a failed attempt (nothing to clean up by default)."""

    async def close(self) -> None:
        await self.reset()

    @classmethod
    def refusal(cls, error: BaseException, phase: Phase) -> Failure | None:
        """The platform's own errors; None for the rest (`connection_failure`)."""
        return None

    # -- shared --------------------------------------------------------------------------------
    @classmethod
    def failure(cls, error: BaseException, phase: Phase = STARTING) -> Failure:
        """Fatal (a setting to fix) or transient (retry), with the one line to print."""
        return cls.refusal(error, phase) or connection_failure(
            cls.title, error, phase, logging.getLogger(f"gmbot.{cls.platform}"), cls.network_errors)

    def attach(self, runtime: Any, backend: Any) -> None:
        """Count the runtime's commands and backend calls; its commands become work in
        flight, refused once shutdown began."""
        instrument_backend(backend, self.metrics)
        count_outcomes(runtime.core, self.platform, self.metrics)
        runtime.gate = self.shutdown

    def deliver(self, deliver: Deliver) -> Deliver:
        """Event delivery as work in flight, counted (gmbot/service/delivery.py)."""
        return observe_delivery(deliver, self.platform, self.shutdown, self.health, self.metrics)

    def track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """A background task (the events consumer) to cancel once commands have drained."""
        self.tasks.append(task)
        return task

    def connected(self, who: str) -> None:
        """The platform is up: healthy, the backoff starts over; `who` ends the log line
        ("connected to Slack as gmbot in wolves (T0WOLF)")."""
        self.phase = CONNECTED
        self.health.connected()
        self.backoff.reset()
        self.metrics.connected.labels(self.platform).set(1)
        self.metrics.connects.labels(self.platform, "connected").inc()
        self.log.info("connected to %s %s", self.title, who)

    async def serve(self, *, health_host: str = "127.0.0.1", health_port: int | None = None) -> int:
        """Until shutdown (0) or a fatal error (78); `/health` on `health_port` when given."""
        one_line(*self.sdk_loggers)
        self.shutdown.install()
        server = HealthServer([self.health], self.metrics.text)
        if health_port is not None:
            await server.start(health_host, health_port)

        async def reset() -> None:
            self.phase = STARTING
            await self.reset()

        async def stop() -> None:
            drained = await finish(self.shutdown, self.tasks)
            await self.close()
            self.metrics.connected.labels(self.platform).set(0)
            self.log.info("stopped%s", "" if drained else " (some commands were cut short)")

        try:
            return await keep_connected(
                platform=self.platform, attempt=self.connect, failure=lambda e: self.failure(e, self.phase),
                reset=reset, stop=stop, health=self.health, shutdown=self.shutdown,
                backoff=self.backoff, metrics=self.metrics,
            )
        finally:
            for task in self.tasks:  # after a fatal error (or a cancelled service) nothing drained them
                task.cancel()
            # awaited while the backend client is still open: the events consumer gives its lease
            # back (bounded by gmbot.chat.events.RELEASE_TIMEOUT), so a successor starts at once
            await asyncio.gather(*self.tasks, return_exceptions=True)
            await server.stop()
