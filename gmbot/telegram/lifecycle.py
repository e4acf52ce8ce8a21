"""The Telegram bot as a service (gmbot/service): Telegram's hooks, and the little that
joins them to the shared pieces.

The hooks: how to log in (`getMe`; then `setWebhook` when TELEGRAM_WEBHOOK_URL is set, or
`deleteWebhook` before long polling, which Telegram refuses while a webhook is set), how
to stay connected (long polling: `getUpdates` until shutdown; a webhook: Telegram calls
us), and how to classify a failure: Telegram refusing the token (401, or 404 for one it
does not know) or the webhook URL (400) is fatal, one line naming the setting and exit
78; no answer, a 429, a 5xx or another poller (409) is transient: one line, a retry with
backoff, and `/health` says `failing` meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Update

from gmbot.service.backoff import Backoff
from gmbot.service.delivery import Deliver, observe_delivery
from gmbot.service.health import FrontEndHealth, HealthServer
from gmbot.service.metrics import BotMetrics, count_outcomes, instrument_backend
from gmbot.service.shutdown import Shutdown, finish
from gmbot.service.supervise import Failure, keep_connected
from gmbot.telegram import PLATFORM
from gmbot.telegram.api import ALLOWED_UPDATES

log = logging.getLogger("gmbot.telegram")

CONNECT_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))


@dataclass(frozen=True)
class Phase:
    doing: str  # for the log line: "... while checking TELEGRAM_BOT_TOKEN (getMe)"
    variable: str | None = None  # the setting a refusal in this phase is about
    where: str = ""  # where to find its right value


STARTING = Phase("starting")
GET_ME = Phase("checking TELEGRAM_BOT_TOKEN (getMe)", "TELEGRAM_BOT_TOKEN",
               "the token @BotFather gave the bot (/mybots > API Token; /revoke makes a new one)")
SET_WEBHOOK = Phase("registering the webhook (setWebhook)", "TELEGRAM_WEBHOOK_URL",
                    "a public https:// URL that reaches this bot's webhook path (ports 443, 80, 88 or 8443)")
DELETE_WEBHOOK = Phase("switching to long polling (deleteWebhook)")
POLLING = Phase("polling for updates (getUpdates)")


def classify(error: BaseException, phase: Phase = STARTING) -> Failure:
    """Fatal (a setting to fix) or transient (retry), with the one line to print."""
    if isinstance(error, TelegramNetworkError):  # aiogram's wrapper of a connection error or time-out
        return Failure(False, f"cannot reach Telegram while {phase.doing}: {error.message}")
    if isinstance(error, TelegramRetryAfter | TelegramServerError):
        return Failure(False, f"Telegram answered {type(error).__name__} ({error.message}) while {phase.doing}")
    if isinstance(error, TelegramConflictError):  # another poller, or a webhook set meanwhile
        return Failure(False, f"Telegram answered 409 ({error.message}) while {phase.doing}: "
                              "is another copy of the bot running?")
    refused = isinstance(error, TelegramUnauthorizedError | TelegramNotFound) or (
        isinstance(error, TelegramBadRequest) and phase is SET_WEBHOOK)
    if refused and isinstance(error, TelegramAPIError):
        variable = "TELEGRAM_BOT_TOKEN" if not isinstance(error, TelegramBadRequest) else phase.variable
        where = GET_ME.where if variable == "TELEGRAM_BOT_TOKEN" else phase.where
        method = error.method.__api_method__ if error.method is not None else "?"
        return Failure(True, f"Telegram refused {variable} ({method}: {error.message}): set {variable} "
                             f"(environment or .env) to {where}")
    if isinstance(error, TelegramAPIError):  # Telegram answered, and said no
        return Failure(True, f"Telegram refused a request while {phase.doing}: {error.message}")
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return Failure(False, f"Telegram did not answer in time while {phase.doing}")
    if isinstance(error, aiohttp.ClientError | OSError | ConnectionError):
        return Failure(False, f"cannot reach Telegram while {phase.doing}: {type(error).__name__}: {error}".rstrip(": "))
    log.error("unexpected error while %s", phase.doing, exc_info=error)  # a bug: keep the traceback
    return Failure(False, f"unexpected error while {phase.doing}: {type(error).__name__}: {error}")


class Poller:
    """Long polling: `getUpdates` from the last offset, each update handed to `feed`, until
    shutdown. The offset survives a failed poll, so a reconnect repeats nothing."""

    def __init__(self, bot: Bot, feed: Callable[[Update], None], stopping: asyncio.Event, *, timeout: int = 25) -> None:
        self.bot = bot
        self.feed = feed
        self.stopping = stopping
        self.timeout = timeout
        self.offset: int | None = None

    async def run(self) -> None:
        while not self.stopping.is_set():
            polled = asyncio.ensure_future(self.bot.get_updates(
                offset=self.offset, timeout=self.timeout, allowed_updates=ALLOWED_UPDATES,
                request_timeout=self.timeout + 10))
            stop = asyncio.ensure_future(self.stopping.wait())
            await asyncio.wait({polled, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not polled.done():  # shutdown: updates not fetched stay with Telegram for the next start
                polled.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await polled
                return
            for update in polled.result():
                self.offset = update.update_id + 1
                self.feed(update)

    async def confirm(self) -> None:
        """Tell Telegram the updates handled are done (the next getUpdates would): a restart
        then does not receive them again. Best effort."""
        if self.offset is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.bot.get_updates(offset=self.offset, timeout=0, limit=1), 5)


class TelegramService:
    """One per `gmbot telegram` process: `attach` the runtime, wrap `deliver`, `track` the
    events consumer, then `run` until shutdown (0) or a refused setting (78)."""

    def __init__(self, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        self.shutdown = shutdown or Shutdown()
        self.backoff = backoff or Backoff.from_env()
        self.metrics = BotMetrics()
        self.health = FrontEndHealth(PLATFORM)
        self.tasks: list[asyncio.Task[Any]] = []
        self.phase = STARTING

    def attach(self, runtime: Any, backend: Any) -> None:
        instrument_backend(backend, self.metrics)
        count_outcomes(runtime.core, PLATFORM, self.metrics)
        runtime.gate = self.shutdown

    def deliver(self, deliver: Deliver) -> Deliver:
        return observe_delivery(deliver, PLATFORM, self.shutdown, self.health, self.metrics)

    def track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        self.tasks.append(task)
        return task

    async def run(self, bot: Bot, *, webhook: tuple[str, str] | None, poller: Poller | None,
                  on_connected: Callable[[str], None] = lambda who: None,
                  health_host: str = "127.0.0.1", health_port: int | None = None) -> int:
        """`webhook`: (url, secret) to register at start, or None (registered already, or
        polling); `poller`: long polling (None: a webhook, Telegram calls us)."""
        self.shutdown.install()
        server = HealthServer([self.health], self.metrics.text)
        if health_port is not None:
            await server.start(health_host, health_port)

        async def step(phase: Phase, call: Awaitable[Any]) -> Any:
            self.phase = phase
            return await asyncio.wait_for(call, CONNECT_TIMEOUT)  # aiohttp's own limit is minutes

        async def attempt() -> None:
            me = await step(GET_ME, bot.get_me())
            if poller is not None:
                await step(DELETE_WEBHOOK, bot.delete_webhook(drop_pending_updates=False))
            elif webhook is not None:
                url, secret = webhook
                await step(SET_WEBHOOK, bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES))
            who = f"as @{me.username} ({me.id})"
            self.phase = POLLING if poller is not None else Phase("connected")
            self.health.connected()
            self.backoff.reset()
            self.metrics.connected.labels(PLATFORM).set(1)
            self.metrics.connects.labels(PLATFORM, "connected").inc()
            log.info("connected to Telegram %s", who)
            on_connected(who)
            if poller is not None:
                await poller.run()  # a failed poll raises: a reconnection, with backoff
            await self.shutdown.stopping.wait()

        async def reset() -> None:
            self.phase = STARTING

        async def stop() -> None:
            drained = await finish(self.shutdown, self.tasks)
            if poller is not None:
                await poller.confirm()
            self.metrics.connected.labels(PLATFORM).set(0)
            log.info("stopped%s", "" if drained else " (some commands were cut short)")

        try:
            return await keep_connected(
                platform=PLATFORM, attempt=attempt, classify=lambda e: classify(e, self.phase),
                reset=reset, stop=stop, health=self.health, shutdown=self.shutdown,
                backoff=self.backoff, metrics=self.metrics,
            )
        finally:
            await server.stop()
