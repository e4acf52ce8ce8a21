"""The Discord bot as a service (gmbot/service/frontend.py): Discord's hooks.

py-cord reconnects an established gateway by itself, but a failed first login
(`GET /users/@me`, `GET /gateway/bot`) ends `bot.start`: the service retries it, and
tells fatal errors apart (`refusal`: a refused token, a gateway close code no reconnect
can fix). "Connected" is py-cord's `on_ready`; `/health` counts the shards up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import Any

import discord

from gmbot.chat.backoff import Backoff
from gmbot.discord.pycord_internals import drop_close_signal
from gmbot.service.frontend import FrontEndService, Phase
from gmbot.service.shutdown import Shutdown
from gmbot.service.supervise import Failure

PORTAL = "https://discord.com/developers/applications"
LOGIN_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))  # py-cord retries 5xx for ~25 s inside

LOGGING_IN = Phase("logging in (GET /users/@me)")
OPENING_GATEWAY = Phase("opening the gateway (GET /gateway/bot)")

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


async def reopen(bot: Any) -> None:
    """Make a bot whose start failed ready to start again (py-cord expects one start per bot)."""
    with contextlib.suppress(Exception):
        await bot.close()
    drop_close_signal(bot)  # else the next connect() would end at once
    bot.clear()
    # clear() opens an HTTP session that the next login replaces without closing
    await bot.http.close()


class DiscordService(FrontEndService):
    """`gmbot bot`: one py-cord bot (all its shards) as a service."""

    platform = "discord"
    title = "Discord"
    sdk_loggers = ("discord.shard", "discord.client", "discord.gateway", "discord.http")
    network_errors = (discord.GatewayNotFound,)

    def __init__(self, bot: Any, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        super().__init__(shutdown=shutdown, backoff=backoff)
        self.bot = bot
        self.token = ""
        self.shards_up: set[int] = set()
        self.health.shards = self.shards
        self._listen()

    @classmethod
    def refusal(cls, error: BaseException, phase: Phase) -> Failure | None:
        if isinstance(error, discord.LoginFailure):
            return Failure(True, LOGIN_FAILED)
        if isinstance(error, discord.PrivilegedIntentsRequired):
            return Failure(True, FATAL_CLOSE[4014])
        if isinstance(error, discord.ConnectionClosed):
            if error.code in FATAL_CLOSE:
                return Failure(True, FATAL_CLOSE[error.code])
            return Failure(False, f"Discord closed the gateway while {phase.doing} (code {error.code})")
        if isinstance(error, discord.HTTPException):
            return Failure(False, f"Discord answered HTTP {error.status} while {phase.doing}")
        return None

    def _listen(self) -> None:
        """Shards up, from py-cord's events: a dropped shard keeps its closed websocket object
        until py-cord reconnects it, so asking the shard itself is not reliable."""
        bot = self.bot

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
            up, total = self.shards()
            self.connected(f"as {bot.user} ({up} of {total} shard(s) up)")

    def shards(self) -> tuple[int, int]:
        bot = self.bot
        total = len(bot.shard_ids) if bot.shard_ids else (bot.shard_count or 0)
        return len(self.shards_up), total

    async def connect(self) -> None:
        self.phase = LOGGING_IN
        # aiohttp's own limit is 5 minutes: a black-holed network would be silent that long
        await asyncio.wait_for(self.bot.login(self.token), LOGIN_TIMEOUT)
        self.phase = OPENING_GATEWAY
        await self.bot.connect(reconnect=True)

    async def reset(self) -> None:
        await reopen(self.bot)

    async def close(self) -> None:
        await self.bot.close()

    async def run(self, token: str, *, health_host: str = "127.0.0.1", health_port: int | None = None) -> int:
        self.token = token
        async with self.bot:
            return await self.serve(health_host=health_host, health_port=health_port)
