"""The Discord bot as a service: first login retried with backoff, fatal configuration
errors as one line and exit 78, health and metrics, graceful shutdown.

py-cord reconnects an established gateway by itself, but a failed first login
(`GET /users/@me`, `GET /gateway/bot`) ends `bot.start`: `DiscordService.run` retries
it (gmbot/service/supervise.py) and tells fatal errors apart (`classify`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import discord

from gmbot.service.backoff import Backoff
from gmbot.service.delivery import observe_delivery
from gmbot.service.health import FrontEndHealth, HealthServer
from gmbot.service.logs import one_line
from gmbot.service.metrics import BotMetrics, count_outcomes, instrument_backend
from gmbot.service.shutdown import Shutdown, finish
from gmbot.service.supervise import Failure, keep_connected

log = logging.getLogger("gmbot.discord")

PLATFORM = "discord"
PORTAL = "https://discord.com/developers/applications"
LOGIN_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))  # py-cord retries 5xx for ~25 s inside

# Gateway close codes that no reconnect can fix (Discord's opcodes-and-status-codes page).
FATAL_CLOSE = {
    4004: f"Discord refused the bot token (gateway close 4004): set DISCORD_TOKEN to the token on the Bot page of your application at {PORTAL}",
    4010: "Discord refused the shard (gateway close 4010, invalid shard): check --shard-ids against --shard-count",
    4011: "Discord requires sharding for this bot (gateway close 4011): run with --shard-count N (or leave it unset for Discord's advice)",
    4012: "Discord refused the gateway version (close 4012): upgrade py-cord",
    4013: "Discord refused the intents (gateway close 4013, invalid intents): this is a bug in gmbot's intents, please report it",
    4014: (f"Discord refused a privileged intent (gateway close 4014): turn on MESSAGE CONTENT INTENT under Bot > "
           f"Privileged Gateway Intents at {PORTAL}, or set `prefix_commands: false` under `bot:` in specs/commands.yaml"),
}
LOGIN_FAILED = (f"Discord refused the bot token (HTTP 401): set DISCORD_TOKEN (environment or .env) to the token "
                f"on the Bot page of your application at {PORTAL} (Reset Token)")


def classify(error: BaseException, phase: str = "connecting") -> Failure:
    """Fatal (a setting to fix) or transient (retry), with the one line to print."""
    if isinstance(error, discord.LoginFailure):
        return Failure(True, LOGIN_FAILED)
    if isinstance(error, discord.PrivilegedIntentsRequired):
        return Failure(True, FATAL_CLOSE[4014])
    if isinstance(error, discord.ConnectionClosed):
        if error.code in FATAL_CLOSE:
            return Failure(True, FATAL_CLOSE[error.code])
        return Failure(False, f"Discord closed the gateway while {phase} (code {error.code})")
    if isinstance(error, discord.HTTPException):
        return Failure(False, f"Discord answered HTTP {error.status} while {phase}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(False, f"cannot reach Discord while {phase}: {error}")
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return Failure(False, f"Discord did not answer in time while {phase}")
    if isinstance(error, aiohttp.ClientError | OSError | discord.GatewayNotFound | ConnectionError):
        return Failure(False, f"cannot reach Discord while {phase}: {type(error).__name__}: {error}".rstrip(": "))
    # not a network or configuration problem: a bug, so keep the traceback for the report
    log.error("unexpected error while %s", phase, exc_info=error)
    return Failure(False, f"unexpected error while {phase}: {type(error).__name__}: {error}")


def quiet_pycord_tracebacks() -> None:
    """py-cord logs its own reconnect attempts with a full traceback: keep one line each."""
    one_line("discord.shard", "discord.client", "discord.gateway", "discord.http")


async def reopen(bot: Any) -> None:
    """Make a bot whose start failed ready to start again (py-cord expects one start per bot)."""
    with contextlib.suppress(Exception):
        await bot.close()
    # AutoShardedClient.close() leaves a `clean_close` item on its private event queue, which
    # would end the next connect() at once
    queue = getattr(bot, "_AutoShardedClient__queue", None)
    while queue is not None and not queue.empty():
        queue.get_nowait()
    bot.clear()
    # clear() opens an HTTP session that the next login replaces without closing
    await bot.http.close()


Deliver = Callable[[Mapping[str, Any], Any], Awaitable[None]]


class DiscordService:
    """One per `gmbot bot` process: `attach` the bot, wrap `deliver`, `track` the events
    consumer, then `run` until shutdown (0) or a fatal error (78)."""

    def __init__(self, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        self.shutdown = shutdown or Shutdown()
        self.backoff = backoff or Backoff.from_env()
        self.metrics = BotMetrics()
        self.health = FrontEndHealth(PLATFORM)
        self.tasks: list[asyncio.Task[Any]] = []
        self.phase = "starting"
        self.bot: Any = None
        self.shards_up: set[int] = set()

    # -- wiring ------------------------------------------------------------------------------
    def attach(self, bot: Any, runtime: Any, backend: Any) -> None:
        self.bot = bot
        self.health.shards = self._shards
        instrument_backend(backend, self.metrics)
        count_outcomes(runtime.core, PLATFORM, self.metrics)
        runtime.gate = self.shutdown

        # Shards up, from py-cord's events: a dropped shard keeps its closed websocket object
        # until py-cord reconnects it, so asking the shard itself is not reliable
        @bot.listen("on_shard_connect")
        async def shard_connected(shard_id: int) -> None:
            self.shards_up.add(shard_id)

        @bot.listen("on_shard_resumed")
        async def shard_resumed(shard_id: int) -> None:
            self.shards_up.add(shard_id)

        @bot.listen("on_shard_disconnect")
        async def shard_disconnected(shard_id: int) -> None:
            self.shards_up.discard(shard_id)

        @bot.listen("on_ready")
        async def ready() -> None:
            self.phase = "connected"
            self.health.connected()
            self.backoff.reset()
            self.metrics.connected.labels(PLATFORM).set(1)
            self.metrics.connects.labels(PLATFORM, "connected").inc()
            up, total = self._shards()
            log.info("connected to Discord as %s (%d of %d shard(s) up)", bot.user, up, total)

    def _shards(self) -> tuple[int, int]:
        bot = self.bot
        total = len(bot.shard_ids) if bot.shard_ids else (bot.shard_count or 0)
        return len(self.shards_up), total

    def deliver(self, deliver: Deliver) -> Deliver:
        """Event delivery as work in flight, counted (gmbot/service/delivery.py)."""
        return observe_delivery(deliver, PLATFORM, self.shutdown, self.health, self.metrics)

    def track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """A background task (the events consumer) to cancel once commands have drained."""
        self.tasks.append(task)
        return task

    # -- running -----------------------------------------------------------------------------
    async def run(self, token: str, *, health_host: str = "127.0.0.1", health_port: int | None = None) -> int:
        bot = self.bot
        quiet_pycord_tracebacks()
        self.shutdown.install()
        server = HealthServer([self.health], self.metrics.text)
        if health_port is not None:
            await server.start(health_host, health_port)

        async def attempt() -> None:
            self.phase = "logging in (GET /users/@me)"
            # aiohttp's own limit is 5 minutes: a black-holed network would be silent that long
            await asyncio.wait_for(bot.login(token), LOGIN_TIMEOUT)
            self.phase = "opening the gateway (GET /gateway/bot)"
            await bot.connect(reconnect=True)

        async def reset() -> None:
            self.phase = "starting"
            await reopen(bot)

        async def stop() -> None:
            drained = await finish(self.shutdown, self.tasks)
            await bot.close()
            log.info("stopped%s", "" if drained else " (some commands were cut short)")

        try:
            async with bot:
                return await keep_connected(
                    platform=PLATFORM, attempt=attempt, classify=lambda e: classify(e, self.phase),
                    reset=reset, stop=stop, health=self.health, shutdown=self.shutdown,
                    backoff=self.backoff, metrics=self.metrics,
                )
        finally:
            await server.stop()
