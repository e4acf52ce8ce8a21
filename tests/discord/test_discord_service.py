"""`gmbot bot` as a service, at the wire: the real command in a subprocess, py-cord against the
fake Discord, the real backend behind it.

Discord unreachable at start then back (the bot connects without a restart), a refused token
(one line, exit 78), a refused privileged intent (gateway close 4014), and SIGTERM with a
command in flight (it completes, the events cursor is saved, exit 0). Waits are on log lines,
recorded calls and the health endpoint, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiohttp import web

from generated.application import application
from gmbot.server.local import local_backend
from tests.process import Process
from tests.support import ROOT, free_port

from .fake_discord import IDENTIFY, Call, FakeDiscord, Session
from .stage import WAR_GAME, Stage, title

MESSAGE_CONTENT = 1 << 15
EXIT_CONFIG = 78


class StrictDiscord(FakeDiscord):
    """The fake, plus two things Discord does that the tests need: refusing a privileged intent
    the developer portal has not enabled (close 4014 right after IDENTIFY), and an interaction
    callback that takes its time (held until the test releases it)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.message_content_enabled = True
        self.hold_callbacks = 0  # how many interaction callbacks to hold
        self.release = asyncio.Event()
        self.holding = asyncio.Event()

    async def _on_gateway(self, session: Session, payload: dict[str, Any]) -> None:
        data = payload.get("d") if isinstance(payload.get("d"), dict) else {}
        if (payload.get("op") == IDENTIFY and not self.message_content_enabled
                and int(data.get("intents") or 0) & MESSAGE_CONTENT):
            await session.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        await super()._on_gateway(session, payload)

    async def _callback(self, call: Call, interaction_id: str, token: str) -> web.Response:
        if self.hold_callbacks:
            self.hold_callbacks -= 1
            self.holding.set()
            await self.release.wait()
        return await super()._callback(call, interaction_id, token)



@contextlib.asynccontextmanager
async def world(tmp: Path, **fake_options: Any) -> AsyncIterator[Stage]:
    async with local_backend(application, "DISCORD-BFF") as backend, StrictDiscord(**fake_options) as discord:
        s = Stage(discord, backend, tmp)
        saved = {key: os.environ.get(key) for key in s.env()}
        os.environ.update(s.env())  # for `gmbot sync-commands`, run in this process
        try:
            yield s
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.asynccontextmanager
async def gmbot_bot(s: Stage, *args: str, dot_env: bool = False) -> AsyncIterator[Process]:
    """`gmbot bot` in a subprocess, its health on a free port. `dot_env`: the port is in a
    `.env` file of the directory it runs in rather than in its environment."""
    from tests.backend.backend_support import cli_environment

    port = free_port()
    env = {**(cli_environment() if dot_env else os.environ), **s.env(), "GMBOT_HEALTH_PORT": str(port), "GMBOT_RETRY_INITIAL": "0.2",
           "GMBOT_RETRY_MAX": "0.5", "GMBOT_SHUTDOWN_GRACE": "10", "PYTHONUNBUFFERED": "1"}
    if dot_env:
        (s.tmp / ".env").write_text(f"GMBOT_HEALTH_PORT={env.pop('GMBOT_HEALTH_PORT')}\n", encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "bot", "--cursor-file", str(s.tmp / "events.cursor"), *args,
        cwd=s.tmp if dot_env else ROOT, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    bot = Process(process, port, "discord")
    try:
        yield bot
    finally:
        await bot.kill()


def assert_no_traceback(bot: Process) -> None:
    assert "Traceback" not in bot.output, bot.output


async def test_discord_unreachable_at_start_then_back(tmp_path: Path) -> None:
    async with world(tmp_path) as s:
        d = s.discord
        await d.pause()  # connection refused, as when the network is down
        async with gmbot_bot(s) as bot:
            first = await bot.wait_for_line(r"cannot reach Discord .*retrying in [\d.]+ s \(attempt \d+\)")
            assert "GET /users/@me" in first, first
            failing = await bot.wait_for_health("failing")
            status, _ = await bot.health()
            assert status == 503
            report = failing["front_ends"]["discord"]
            assert "cannot reach Discord" in report["last_error"]["error"] and report["next_attempt_at"]
            await bot.wait_for_line(r"\(attempt 3\)")  # it keeps trying, one line each

            await d.resume()  # Discord answers again: the same process connects
            await d.wait_for_session(within=15)
            connected = await bot.wait_for_health("connected")
            assert connected["status"] == "ok"
            assert connected["front_ends"]["discord"]["shards"] == {"up": 1, "total": 1}
            assert (await bot.health())[0] == 200
            assert 'gmbot_bot_connect_attempts_total{outcome="connected",platform="discord"} 1.0' in await bot.metrics()
            assert bot.process.returncode is None
        assert_no_traceback(bot)


async def test_the_health_port_may_come_from_dot_env(tmp_path: Path) -> None:
    """Like its other settings, `gmbot bot` reads GMBOT_HEALTH_PORT from `.env` (it used to
    build --health-port's default before reading `.env`, and served no /health)."""
    async with world(tmp_path) as s, gmbot_bot(s, dot_env=True) as bot:
        report = await bot.wait_for_health("connected", within=30)
        assert report["status"] == "ok"
    assert_no_traceback(bot)


async def test_a_dropped_gateway_comes_back_without_a_traceback(tmp_path: Path) -> None:
    async with world(tmp_path) as s:
        d = s.discord
        async with gmbot_bot(s) as bot:
            await bot.wait_for_health("connected")
            await d.pause()  # the connection drops and reconnecting is refused for a while
            report = await bot.wait_for_health("connecting")
            assert report["front_ends"]["discord"]["shards"] == {"up": 0, "total": 1}
            assert (await bot.health())[0] == 503
            await d.resume()
            await d.wait_for_session(count=2, within=30)  # py-cord's own reconnect
            await bot.wait_for_health("connected")
            assert bot.process.returncode is None
        assert_no_traceback(bot)


async def test_a_refused_token_is_one_line_and_exit_78(tmp_path: Path) -> None:
    async with world(tmp_path) as s:
        s.discord.reject_token = True
        async with gmbot_bot(s) as bot:
            assert await bot.exit_code() == EXIT_CONFIG
        errors = [line for line in bot.lines if " ERROR " in line]
        assert len(errors) == 1, bot.output
        assert "Discord refused the bot token (HTTP 401)" in errors[0] and "DISCORD_TOKEN" in errors[0]
        assert_no_traceback(bot)
        # it gave up at once: no retry
        assert len(s.discord.find_calls("GET", "/users/@me")) == 1


async def test_a_refused_privileged_intent_is_one_line_and_exit_78(tmp_path: Path) -> None:
    async with world(tmp_path) as s:
        s.discord.message_content_enabled = False
        async with gmbot_bot(s) as bot:
            assert await bot.exit_code() == EXIT_CONFIG
        errors = [line for line in bot.lines if " ERROR " in line]
        assert len(errors) == 1, bot.output
        assert "gateway close 4014" in errors[0] and "MESSAGE CONTENT INTENT" in errors[0], errors[0]
        assert "prefix_commands: false" in errors[0]
        assert_no_traceback(bot)


async def test_sigterm_finishes_the_command_in_flight_and_saves_the_cursor(tmp_path: Path) -> None:
    async with world(tmp_path) as s:
        d = s.discord
        wolves, bears = await s.two_clans()
        await s.sync_commands()
        async with gmbot_bot(s) as bot:
            await bot.wait_for_health("connected")
            await s.set_up_clans(wolves, bears)
            # an event: Wolves ask for a war, Bears (subscribed) are told in their channel
            await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> "
                        f"-game {WAR_GAME} -duration 12", wolves.channel("wars"))
            await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "NEW WAR REQUEST")
            delivered = (await bot.wait_for_health("connected"))["front_ends"]["discord"]["events"]
            assert delivered["posted"] >= 1 and delivered["lag_seconds"] >= 0

            d.hold_callbacks = 1  # the next answer takes its time
            games = await d.slash(wolves, "bob", "games", wolves.channel("wars"))
            await asyncio.wait_for(d.holding.wait(), 15)
            bot.process.send_signal(signal.SIGTERM)
            await bot.wait_for_line(r"SIGTERM: shutting down \(finishing 1 command")
            stopping = await bot.wait_for_health("stopping")
            assert stopping["status"] == "unavailable"
            # a command arriving now is told to come back, not left unanswered
            told = await d.slash(bears, "carl", "games", bears.channel("wars"))
            late = await d.reply_to(told)
            assert late["content"] == "The bot is restarting; try again in a minute.", late
            [callback] = d.find_calls("POST", rf"/interactions/{told.id}/.*")
            assert callback.body["data"]["allowed_mentions"] == {"parse": []}  # the bot's default: no pings
            assert bot.process.returncode is None  # still finishing the first one

            d.release.set()
            answered = await d.reply_to(games)
            assert title(answered).startswith("Games"), answered
            assert await bot.exit_code() == 0
        cursor = int((tmp_path / "events.cursor").read_text())
        assert cursor >= delivered["last_event_id"]
        assert_no_traceback(bot)


# -- gmbot run: the backend and the bot as one service ---------------------------------------
@contextlib.asynccontextmanager
async def gmbot_run(tmp: Path, discord: FakeDiscord) -> AsyncIterator[Process]:
    """`gmbot run` in `tmp` (its own SQLite and API key), the bot pointed at the fake."""
    from tests.backend.backend_support import cli_environment

    port = free_port()
    env = {**cli_environment(), "DISCORD_TOKEN": discord.token, "DISCORD_API_BASE_URL": discord.api_url,
           "GMBOT_RETRY_INITIAL": "0.2", "GMBOT_RETRY_MAX": "0.5", "GMBOT_SHUTDOWN_GRACE": "5",
           "PYTHONUNBUFFERED": "1"}
    env.pop("GMBOT_API_KEY", None)
    env.pop("GMBOT_BACKEND_URL", None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "run", "--port", str(port), cwd=tmp, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    # stderr joins stdout: the reader sees `gmbot run`'s own lines and the bot's
    run = Process(process, port, "discord")
    try:
        yield run  # its health_port is `gmbot run`'s own port
    finally:
        await run.kill()


async def test_gmbot_run_exits_78_when_the_bot_token_is_refused(tmp_path: Path) -> None:
    async with StrictDiscord() as discord:
        discord.reject_token = True
        async with gmbot_run(tmp_path, discord) as run:
            assert await run.exit_code(within=60) == EXIT_CONFIG
        assert "Discord refused the bot token (HTTP 401)" in run.output
        assert "gmbot run: the discord bot exited (code 78): stopping" in run.output
        assert_no_traceback(run)


async def test_gmbot_run_health_reports_the_bot_and_sigterm_stops_both(tmp_path: Path) -> None:
    async with StrictDiscord() as discord:
        await discord.pause()  # Discord down at start: the backend is up, the front end is not
        async with gmbot_run(tmp_path, discord) as run:
            report = await run.wait_for_health("failing", within=60)
            assert (await run.health())[0] == 503
            assert report["database"] == "ok"  # the backend's own report is kept
            await discord.resume()
            report = await run.wait_for_health("connected", within=30)
            assert report["status"] == "ok" and report["front_ends"]["discord"]["shards"] == {"up": 1, "total": 1}
            assert (await run.health())[0] == 200
            run.process.send_signal(signal.SIGTERM)
            assert await run.exit_code(within=30) == 0
        assert_no_traceback(run)
