"""The stage of the wire tests: the real backend, the fake Discord, and `gmbot bot` between them.

`gmbot bot` and `gmbot sync-commands` run in this process through their entry points
(the same ones a user runs), configured by the environment as in production:
DISCORD_TOKEN, DISCORD_API_BASE_URL (the fake), GMBOT_BACKEND_URL and GMBOT_API_KEY
(the real backend on a loopback port).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generated.application import application
from gmbot.server.local import LocalBackend, local_backend

from .fake_discord import Channel, FakeDiscord, Guild

WAR_GAME = 4


@dataclass
class Stage:
    discord: FakeDiscord
    backend: LocalBackend
    tmp: Path
    bots: list[RunningBot] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        return {
            "DISCORD_TOKEN": self.discord.token,
            "DISCORD_API_BASE_URL": self.discord.api_url,
            "GMBOT_BACKEND_URL": self.backend.url,
            "GMBOT_API_KEY": self.backend.api_key,
        }

    async def sync_commands(self, *args: str) -> str:
        """`gmbot sync-commands ARGS`: its output (it runs its own event loop, so in a thread)."""
        from gmbot.discord.cli import sync_main

        out = io.StringIO()

        def run() -> int:
            with contextlib.redirect_stdout(out):
                return sync_main(list(args))

        code = await asyncio.to_thread(run)
        assert code == 0, f"gmbot sync-commands {' '.join(args)} exited {code}: {out.getvalue()}"
        return out.getvalue()

    async def start_bot(self, *args: str, ready: bool = True) -> RunningBot:
        """`gmbot bot ARGS` (cursor file in the test's directory unless given); with `ready`,
        wait until its gateway sessions are up and its events feed is polled."""
        argv = list(args)
        if "--cursor-file" not in argv:
            argv += ["--cursor-file", str(self.tmp / "events.cursor")]
        sessions_before = len(self.discord.sessions)
        if not logging.getLogger("gmbot.discord").isEnabledFor(logging.INFO):
            logging.getLogger("gmbot.discord").setLevel(logging.INFO)
        ready_event = asyncio.Event()
        watch = ReadyWatch(ready_event)
        logging.getLogger("gmbot.discord").addHandler(watch)
        bot = RunningBot(asyncio.create_task(run_gmbot_bot(argv), name="gmbot bot"), argv, ready_event)
        bot.task.add_done_callback(lambda _: logging.getLogger("gmbot.discord").removeHandler(watch))
        self.bots.append(bot)
        if ready:
            shards = _shard_ids(argv)
            await self.discord.wait_until(
                lambda: len([s for s in self.discord.sessions[sessions_before:] if s.ready.is_set()]) >= shards
                or bot.task.done(), what="the bot's gateway sessions")
            if bot.task.done():
                bot.task.result()
            await bot.wait_ready()
        return bot

    async def stop_bots(self) -> None:
        for bot in self.bots:
            await bot.stop()
        self.bots.clear()

    # -- clans: what the users of two Discord servers do -------------------------------------
    async def two_clans(self) -> tuple[Guild, Guild]:
        """Wolves (set up with a slash command) and Bears (with prefix commands, subscribed to
        WAR_GAME), each with its clan channel #wars."""
        d = self.discord
        wolves = d.add_guild("Wolves", members=["alice", "bob", "dora"], channels=["wars", "general"])
        bears = d.add_guild("Bears", members=["bruno", "carl"], channels=["wars", "general"])
        return wolves, bears

    async def set_up_clans(self, wolves: Guild, bears: Guild) -> None:
        d = self.discord
        reply = await d.reply_to(await d.slash(wolves, "alice", "setup", wolves.channel("wars"), name="Wolves"))
        assert reply["embeds"][0]["title"] == "Welcome, Wolves!", reply
        await d.say(bears, "bruno", "gmbot setup -name Bears", bears.channel("wars"))
        welcome = await d.wait_for_message(bears.channel("wars"))
        assert welcome["embeds"][0]["title"] == "Welcome, Bears!", welcome
        await d.say(bears, "bruno", f"gmbot add -games {WAR_GAME}", bears.channel("wars"))
        subscribed = await d.wait_for_message(bears.channel("wars"), 2)
        assert subscribed["embeds"][0]["title"].startswith("Subscribed games"), subscribed


class ReadyWatch(logging.Handler):
    """Sets `ready` when `gmbot bot` logs that it is ready (on_ready: events start then)."""

    def __init__(self, ready: asyncio.Event) -> None:
        super().__init__(logging.INFO)
        self.ready = ready
        self.loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("ready as "):
            self.loop.call_soon_threadsafe(self.ready.set)


@dataclass
class RunningBot:
    task: asyncio.Task[Any]
    argv: Sequence[str]
    ready: asyncio.Event

    async def wait_ready(self) -> None:
        """Until the bot's `on_ready` fired (it starts the events consumer then)."""
        while not self.ready.is_set():
            if self.task.done():
                self.task.result()
                raise AssertionError("gmbot bot stopped before it was ready")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), 0.2)

    async def stop(self) -> None:
        """Stop it as a crash or a kill would: no goodbye beyond closing the connections."""
        if not self.task.done():
            self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


def _shard_ids(argv: Sequence[str]) -> int:
    if "--shard-ids" in argv:
        return len(argv[list(argv).index("--shard-ids") + 1].split(","))
    if "--shard-count" in argv:
        return int(argv[list(argv).index("--shard-count") + 1])
    return 1


async def run_gmbot_bot(argv: list[str]) -> Any:
    from gmbot.discord.cli import run_bot

    return await run_bot(argv)


@contextlib.asynccontextmanager
async def stage(tmp: Path, **fake_options: Any) -> AsyncIterator[Stage]:
    saved = {k: os.environ.get(k) for k in ("DISCORD_TOKEN", "DISCORD_API_BASE_URL", "GMBOT_BACKEND_URL",
                                            "GMBOT_API_KEY", "DISCORD_APPLICATION_ID")}
    async with local_backend(application, "DISCORD-BFF") as backend, FakeDiscord(**fake_options) as discord:
        world = Stage(discord, backend, tmp)
        os.environ.update(world.env())
        try:
            yield world
        finally:
            await world.stop_bots()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def embeds(message: dict[str, Any]) -> list[dict[str, Any]]:
    return list(message.get("embeds") or [])


def title(message: dict[str, Any]) -> str:
    return str(embeds(message)[0].get("title", "")) if embeds(message) else ""


def channel_of(guild: Guild) -> Channel:
    return guild.channel("wars")
