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
import json
import logging
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generated.application import application
from gmbot.discord.api import DEFAULT_API_BASE_URL, use_api_base_url
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
            # a bot stopped as a crash would keeps its lease on the feed until it runs out: short,
            # so the next test's bot (the backend is shared) takes over within a second
            "GMBOT_EVENTS_LEASE_SECONDS": "1",
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

    async def start_bot(self, *args: str, ready: bool = True, token: str | None = None) -> RunningBot:
        """`gmbot bot ARGS` (cursor file in the test's directory unless given: a new one starts
        where the feed is); with `ready`, wait until its gateway sessions are up and its
        events feed is polled. `token`: its own DISCORD_TOKEN (see FakeDiscord.allow_token)."""
        argv = list(args)
        if "--cursor-file" not in argv:
            argv += ["--cursor-file", str(self.tmp / "events.cursor")]
        _seed_cursor(Path(argv[argv.index("--cursor-file") + 1]), self.tmp / "events.cursor")
        os.environ["DISCORD_TOKEN"] = token or self.discord.token  # read as the bot starts
        sessions_before = len(self.discord.sessions)
        if not logging.getLogger("gmbot.discord").isEnabledFor(logging.INFO):
            logging.getLogger("gmbot.discord").setLevel(logging.INFO)
        ready_event = asyncio.Event()
        watch = LogWatch(ready_event, lambda record: record.getMessage().startswith("connected as "))
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
        else:
            await asyncio.sleep(0)  # let it read its environment
        os.environ["DISCORD_TOKEN"] = self.discord.token
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


class LogWatch(logging.Handler):
    """Sets `seen` at the first record `match` accepts (`gmbot bot` saying it is connected...)."""

    def __init__(self, seen: asyncio.Event, match: Callable[[logging.LogRecord], bool]) -> None:
        super().__init__(logging.DEBUG)
        self.seen = seen
        self.match = match
        self.loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.match(record):
            self.loop.call_soon_threadsafe(self.seen.set)


@contextlib.contextmanager
def watch_log(logger: str, match: Callable[[logging.LogRecord], bool]) -> Iterator[asyncio.Event]:
    """An event set once `logger` logs a record that `match` accepts (at any level)."""
    seen = asyncio.Event()
    handler = LogWatch(seen, match)
    log = logging.getLogger(logger)
    level = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        yield seen
    finally:
        log.removeHandler(handler)
        log.setLevel(level)


@contextlib.asynccontextmanager
async def delaying_proxy(target: str, delay: float, method: str = "*", path: str = ".*",
                         seen: list[Proxied] | None = None) -> AsyncIterator[str]:
    """A slow backend: an HTTP proxy on loopback in front of `target` that holds each request
    matching `method` and `path` (a regular expression) for `delay` seconds, then forwards it
    and passes the answer back. Yields the proxy's URL (what GMBOT_BACKEND_URL is set to).
    `seen`: every request is appended to it (what the bot sent the backend, headers included)."""
    from aiohttp import ClientSession, web

    pattern = re.compile(path)
    hop_by_hop = {"host", "content-length", "transfer-encoding", "connection", "keep-alive"}
    async with ClientSession() as http:
        async def forward(request: web.Request) -> web.Response:
            record = Proxied(request.method, request.path, {k.lower(): v for k, v in request.headers.items()},
                             await request.read())
            record.query = dict(request.query)
            if seen is not None:
                seen.append(record)
            if method in ("*", request.method) and pattern.fullmatch(request.path):
                await asyncio.sleep(delay)
            headers = {k: v for k, v in request.headers.items() if k.lower() not in hop_by_hop}
            async with http.request(request.method, target.rstrip("/") + request.path_qs, headers=headers,
                                    data=await request.read()) as answer:
                body = await answer.read()
                kept = {k: v for k, v in answer.headers.items() if k.lower() not in hop_by_hop}
                record.status, record.answer = answer.status, body
                record.answer_headers = {k.lower(): v for k, v in kept.items()}
                return web.Response(status=answer.status, body=body, headers=kept)

        app = web.Application()
        app.router.add_route("*", "/{path:.*}", forward)
        # on leaving, requests in flight (a bot's events long-poll) are cut, not waited for
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            yield f"http://127.0.0.1:{runner.addresses[0][1]}"
        finally:
            await runner.cleanup()


@dataclass
class Proxied:
    """A request that went through `delaying_proxy` (header names in lower case)."""
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int = 0  # the backend's answer, once it came
    answer: bytes = b""
    answer_headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.body)

    def answer_json(self) -> Any:
        return json.loads(self.answer)


@dataclass
class RunningBot:
    task: asyncio.Task[Any]
    argv: Sequence[str]
    ready: asyncio.Event

    async def wait_ready(self) -> None:
        """Until the bot is connected and its events consumer started."""
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


def _seed_cursor(cursor: Path, start: Path) -> None:
    """A new cursor file starts where the feed was when the test began."""
    if not cursor.exists():
        cursor.write_text(start.read_text())


def _shard_ids(argv: Sequence[str]) -> int:
    if "--shard-ids" in argv:
        return len(argv[list(argv).index("--shard-ids") + 1].split(","))
    if "--shard-count" in argv:
        return int(argv[list(argv).index("--shard-count") + 1])
    return 1


async def run_gmbot_bot(argv: list[str]) -> Any:
    from gmbot.discord.cli import run_bot

    return await run_bot(argv)


async def latest_event(backend: LocalBackend) -> int:
    """Where the events feed is now: a bot that starts here posts only what happens next
    (the backend is shared by the tests of a run)."""
    import httpx

    headers = {"client": "DISCORD-BFF", "x-api-key": backend.api_key}
    after = 0
    async with httpx.AsyncClient(base_url=backend.url, headers=headers) as http:
        while True:
            page = (await http.get("/events", params={"after": after, "wait": 0, "limit": 100})).json()
            if not page["items"]:
                return after
            after = page["next"]


@contextlib.asynccontextmanager
async def stage(tmp: Path, backend: LocalBackend, **fake_options: Any) -> AsyncIterator[Stage]:
    saved = {k: os.environ.get(k) for k in ("DISCORD_TOKEN", "DISCORD_API_BASE_URL", "GMBOT_BACKEND_URL",
                                            "GMBOT_API_KEY", "DISCORD_APPLICATION_ID",
                                            "GMBOT_EVENTS_LEASE_SECONDS")}
    async with FakeDiscord(**fake_options) as discord:
        world = Stage(discord, backend, tmp)
        (tmp / "events.cursor").write_text(str(await latest_event(backend)))
        os.environ.update(world.env())
        try:
            yield world
        finally:
            await world.stop_bots()
            use_api_base_url(DEFAULT_API_BASE_URL)  # py-cord's base is process-wide: leave it as found
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.asynccontextmanager
async def shared_backend() -> AsyncIterator[LocalBackend]:
    async with local_backend(application, "DISCORD-BFF") as backend:
        yield backend


def embeds(message: dict[str, Any]) -> list[dict[str, Any]]:
    return list(message.get("embeds") or [])


def title(message: dict[str, Any]) -> str:
    return str(embeds(message)[0].get("title", "")) if embeds(message) else ""


def channel_of(guild: Guild) -> Channel:
    return guild.channel("wars")
