"""Keep a front end connected: retry transient failures with backoff, one log line each;
stop at once on a fatal configuration error; stop cleanly on shutdown.

The front-end service (frontend.py) supplies `attempt` (connect and stay connected until
the connection ends), `failure` (an exception -> `Failure`: fatal or not, and the one line
to print) and `reset` (clean up after a failed attempt so the next starts fresh).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from gmbot.chat.backoff import Backoff
from gmbot.service.health import FrontEndHealth
from gmbot.service.metrics import BotMetrics
from gmbot.service.shutdown import Shutdown

log = logging.getLogger("gmbot.service")

# sysexits.h EX_CONFIG: "something was found in an unconfigured or misconfigured state".
# `gmbot run` passes it on; a supervisor can refuse to restart on it (systemd
# RestartPreventExitStatus=78), since restarting will not fix a wrong token.
EXIT_CONFIG = 78


@dataclass(frozen=True)
class Failure:
    fatal: bool
    message: str  # one line: what failed (and, when fatal, which setting to fix)


async def keep_connected(
    *,
    platform: str,
    attempt: Callable[[], Awaitable[None]],
    failure: Callable[[BaseException], Failure],
    reset: Callable[[], Awaitable[None]],
    stop: Callable[[], Awaitable[None]],
    health: FrontEndHealth,
    shutdown: Shutdown,
    backoff: Backoff,
    metrics: BotMetrics | None = None,
) -> int:
    """Run `attempt` until shutdown (then `stop` closes things in order, exit 0) or a fatal
    failure (exit EXIT_CONFIG). The platform marks the connection healthy itself
    (`health.connected()`, `backoff.reset()`) when it is ready."""
    while not shutdown.stopping.is_set():
        health.connecting()
        running = asyncio.ensure_future(attempt())
        stopping = asyncio.ensure_future(shutdown.stopping.wait())
        try:
            await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:  # cancelled from outside (a test, an embedding app)
            running.cancel()
            stopping.cancel()
            raise
        if shutdown.stopping.is_set():
            health.state = "stopping"
            await stop()  # drains commands, then closes the connection: `running` ends
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(running, 10)
            break
        stopping.cancel()
        error = running.exception()
        if error is None:
            error = ConnectionError(f"the {platform} connection ended")
        failed = failure(error)
        if metrics is not None:
            metrics.connects.labels(platform, "fatal" if failed.fatal else "failed").inc()
            metrics.connected.labels(platform).set(0)
        if failed.fatal:
            health.fatal(failed.message)
            log.error("%s", failed.message)
            await reset()
            return EXIT_CONFIG
        delay = backoff.next_delay()
        health.failing(failed.message, delay)
        log.warning("%s; retrying in %.1f s (attempt %d)", failed.message, delay, health.attempts + 1)
        await reset()
        if await shutdown.sleep(delay):
            await stop()
            break
    health.state = "stopped"
    return 0
