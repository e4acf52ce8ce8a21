"""The Telegram bot as a service (gmbot/service/frontend.py): Telegram's hooks.

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
import os
from collections.abc import Callable
from typing import Any

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

from gmbot.service.frontend import FrontEndService, Phase
from gmbot.service.supervise import Failure
from gmbot.telegram import PLATFORM
from gmbot.telegram.api import ALLOWED_UPDATES

CONNECT_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))
BOTFATHER = "the token @BotFather gave the bot (/mybots > API Token; /revoke makes a new one)"

GET_ME = Phase("checking TELEGRAM_BOT_TOKEN (getMe)", "getMe", "TELEGRAM_BOT_TOKEN", BOTFATHER)
SET_WEBHOOK = Phase("registering the webhook (setWebhook)", "setWebhook", "TELEGRAM_WEBHOOK_URL",
                    "a public https:// URL that reaches this bot's webhook path (ports 443, 80, 88 or 8443)")
DELETE_WEBHOOK = Phase("switching to long polling (deleteWebhook)", "deleteWebhook")
POLLING = Phase("polling for updates (getUpdates)", "getUpdates")


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


class TelegramService(FrontEndService):
    """`gmbot telegram`: `attach` the runtime, then `run` with the bot and either a webhook
    to register (or None: registered already) or a `Poller`."""

    platform = PLATFORM
    title = "Telegram"
    sdk_loggers = ("aiogram",)
    network_errors = (TelegramNetworkError,)  # aiogram's wrapper of a connection error or time-out

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bot: Bot | None = None  # `run` sets these four
        self.webhook: tuple[str, str] | None = None
        self.poller: Poller | None = None
        self.on_connected: Callable[[str], None] = lambda who: None

    @classmethod
    def refusal(cls, error: BaseException, phase: Phase) -> Failure | None:
        if isinstance(error, TelegramRetryAfter | TelegramServerError):
            return Failure(False, f"Telegram answered {type(error).__name__} ({error.message}) while {phase.doing}")
        if isinstance(error, TelegramConflictError):  # another poller, or a webhook set meanwhile
            return Failure(False, f"Telegram answered 409 ({error.message}) while {phase.doing}: "
                                  "is another copy of the bot running?")
        if isinstance(error, TelegramUnauthorizedError | TelegramNotFound):  # 404: a token it does not know
            return Failure(True, f"Telegram refused TELEGRAM_BOT_TOKEN ({phase.method or '?'}: {error.message}): "
                                 f"set TELEGRAM_BOT_TOKEN (environment or .env) to {BOTFATHER}")
        if isinstance(error, TelegramBadRequest) and phase.variable is not None:
            return Failure(True, f"Telegram refused {phase.variable} ({phase.method}: {error.message}): "
                                 f"set {phase.variable} (environment or .env) to {phase.where}")
        if isinstance(error, TelegramAPIError) and not isinstance(error, TelegramNetworkError):
            return Failure(True, f"Telegram refused a request while {phase.doing}: {error.message}")
        return None

    async def connect(self) -> None:
        assert self.bot is not None
        self.phase = GET_ME
        me = await asyncio.wait_for(self.bot.get_me(), CONNECT_TIMEOUT)  # aiohttp's own limit is minutes
        if self.poller is not None:
            self.phase = DELETE_WEBHOOK
            await asyncio.wait_for(self.bot.delete_webhook(drop_pending_updates=False), CONNECT_TIMEOUT)
        elif self.webhook is not None:
            self.phase = SET_WEBHOOK
            url, secret = self.webhook
            await asyncio.wait_for(self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES),
                                   CONNECT_TIMEOUT)
        who = f"as @{me.username} ({me.id})"
        self.connected(who)
        self.on_connected(who)
        if self.poller is not None:
            self.phase = POLLING
            await self.poller.run()  # a failed poll raises: a reconnection, with backoff
        await self.shutdown.stopping.wait()  # a webhook: Telegram calls us

    async def close(self) -> None:
        if self.poller is not None:
            await self.poller.confirm()

    async def run(self, bot: Bot, *, webhook: tuple[str, str] | None, poller: Poller | None,
                  on_connected: Callable[[str], None] = lambda who: None,
                  health_host: str = "127.0.0.1", health_port: int | None = None) -> int:
        """`webhook`: (url, secret) to register at start, or None (registered already, or
        polling); `poller`: long polling (None: a webhook, Telegram calls us)."""
        self.bot, self.webhook, self.poller, self.on_connected = bot, webhook, poller, on_connected
        return await self.serve(health_host=health_host, health_port=health_port)
