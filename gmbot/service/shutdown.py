"""Graceful shutdown: the first SIGTERM / Ctrl-C stops taking new work and lets the work
in flight finish (within a bound); a second signal exits at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from gmbot.chat.i18n import N_
from gmbot.chat.waiting import wait_event

log = logging.getLogger("gmbot.service")

GRACE_ENV = "GMBOT_SHUTDOWN_GRACE"  # seconds the work in flight gets to finish
DEFAULT_GRACE = 20.0  # below the usual 30 s a supervisor waits before SIGKILL
FORCED_EXIT = 130  # what a shell reports for a process ended by Ctrl-C


# what a refused command is told (messages: each runtime translates them for the reader)
RESTARTING = N_("The bot is restarting; try again in a minute.")
RESTARTING_TITLE = N_("Try again soon")


class Refused(Exception):
    """Work arrived after shutdown began."""


class Gate(Protocol):
    """What a front end's runtime runs each command inside: `Shutdown`, or `OPEN`."""

    def work(self) -> AbstractAsyncContextManager[None]: ...


class _Open:
    @contextlib.asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        yield


OPEN: Gate = _Open()  # admits everything: a runtime outside a service (tests, benchmarks)


async def admitted(gate: Gate, work: Callable[[], Awaitable[Any]], refuse: Callable[[], Awaitable[Any]]) -> None:
    """Run `work()` as work in flight; once shutdown began, `refuse()` (best effort) instead."""
    try:
        async with gate.work():
            await work()
            return
    except Refused:
        pass
    try:
        await refuse()
    except Exception as error:  # the user may miss the notice; the process is stopping anyway
        log.debug("could not tell a refused command: %s", error)


class Shutdown:
    """One per process. `stopping` is set by the first signal (or `request()`)."""

    def __init__(self, grace: float | None = None) -> None:
        self.grace = float(os.environ.get(GRACE_ENV, DEFAULT_GRACE)) if grace is None else grace
        self.stopping = asyncio.Event()
        self.reason = ""
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def install(self) -> None:
        """Handle SIGTERM and SIGINT on the running loop."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._on_signal, signum)

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if self.stopping.is_set():
            log.warning("%s again: exiting now", name)
            os._exit(FORCED_EXIT)  # the user asked twice: no more waiting, no cleanup
        log.info("%s: shutting down (finishing %d command(s) in flight, up to %.0f s; "
                 "send it again to exit at once)", name, self._busy, self.grace)
        self.request(name)

    def request(self, reason: str) -> None:
        self.reason = self.reason or reason
        self.stopping.set()

    @property
    def in_flight(self) -> int:
        return self._busy

    @contextlib.asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """Around one command: refused once shutdown began, waited for until it ends."""
        if self.stopping.is_set():
            raise Refused(self.reason)
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if self._busy == 0:
                self._idle.set()

    async def drain(self) -> bool:
        """Wait for the work in flight, at most `grace` seconds; False when some was left."""
        if await wait_event(self._idle, self.grace):
            return True
        log.warning("%d command(s) still running after %.0f s: closing anyway", self._busy, self.grace)
        return False

    async def sleep(self, seconds: float) -> bool:
        """Sleep, waking early when shutdown begins; True when it did."""
        return await wait_event(self.stopping, seconds)


async def finish(shutdown: Shutdown, tasks: list[asyncio.Task[Any]]) -> bool:
    """The end of a front end's life: let the work in flight drain, then cancel and await its
    background `tasks` (the events consumer). False when some work was cut short."""
    drained = await shutdown.drain()
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(BaseException):
            await task
    return drained
