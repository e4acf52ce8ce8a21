"""`gmbot slack` as a service, at the wire: the real command in a subprocess, real Bolt
against the fake Slack Web API, the real backend behind it.

A refused token (one line naming SLACK_BOT_TOKEN, exit 78, also through `gmbot run`),
Slack unreachable at start then back (the same process connects), SIGTERM with a command
in flight (it completes, the cursor is saved, exit 0). Waits are on log lines, recorded
calls and the health endpoint, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gmbot.server.local import LocalBackend
from gmbot.service.shutdown import RESTARTING
from gmbot.slack.runtime import CLIENT
from tests.process import Process
from tests.process import gmbot_run as run_with
from tests.support import ROOT

from .conftest import SECRET, TOKEN, SlackWire
from .fake_slack import FakeSlack
from .test_slack_cli import SLACK_VARS, free_port
from .test_wire import header

EXIT_CONFIG = 78
FAST = {"GMBOT_RETRY_INITIAL": "0.2", "GMBOT_RETRY_MAX": "0.5", "GMBOT_SHUTDOWN_GRACE": "10", "PYTHONUNBUFFERED": "1"}
WOLVES, BEARS = ("T0WOLF", "wolves"), ("T0BEAR", "bears")


@contextlib.asynccontextmanager
async def gmbot_slack(live: LocalBackend, fake: FakeSlack, tmp: Path, *args: str,
                      oauth: bool = False) -> AsyncIterator[tuple[Process, int]]:
    """`gmbot slack` on a free port, its health on another; yields it and its Slack port.
    `oauth`: many workspaces (client id and secret, installations in a SQLite file in `tmp`)
    instead of SLACK_BOT_TOKEN."""
    port, health_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS or k == "SLACK_APP_TOKEN"}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
                "GMBOT_BACKEND_URL": live.url, "GMBOT_SLACK_API_KEY": live.keys[CLIENT],
                "GMBOT_HEALTH_PORT": str(health_port), **FAST})
    if oauth:
        del env["SLACK_BOT_TOKEN"]
        env.update({"SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "client-secret",
                    "SLACK_INSTALL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'installs.sqlite3'}"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "slack", "--port", str(port), "--cursor-file", str(tmp / "cursor"),
        "--events-wait", "1", *args, env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    bot = Process(process, health_port, "slack")
    try:
        yield bot, port
    finally:
        await bot.kill()


async def test_a_refused_token_is_one_line_and_exit_78(live: LocalBackend, fake: FakeSlack, tmp_path: Path) -> None:
    fake.refused_tokens.add(TOKEN)
    async with gmbot_slack(live, fake, tmp_path) as (bot, _):
        assert await bot.exit_code() == EXIT_CONFIG
    errors = [line for line in bot.lines if " ERROR " in line]
    assert len(errors) == 1, bot.output
    assert "Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth): set SLACK_BOT_TOKEN" in errors[0], errors[0]
    assert "OAuth & Permissions" in errors[0]  # where to find the right one
    assert "ready" not in bot.output
    bot.assert_no_traceback()
    assert len(fake.of("auth.test")) == 1  # it gave up at once: no retry


async def test_socket_mode_with_a_refused_app_token_is_one_line_and_exit_78(
    live: LocalBackend, fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-revoked")
    fake.refused_tokens.add("xapp-revoked")
    async with gmbot_slack(live, fake, tmp_path, "--socket-mode") as (bot, _):
        assert await bot.exit_code() == EXIT_CONFIG
    errors = [line for line in bot.lines if " ERROR " in line]
    assert len(errors) == 1, bot.output
    assert "Slack refused SLACK_APP_TOKEN (apps.connections.open: invalid_auth)" in errors[0], errors[0]
    assert "App-Level Tokens" in errors[0]
    bot.assert_no_traceback()
    assert [c.token for c in fake.of("auth.test")] == [TOKEN]  # the bot token was fine


async def test_socket_mode_reports_a_dropped_socket_and_comes_back(
    live: LocalBackend, fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-test")
    async with gmbot_slack(live, fake, tmp_path, "--socket-mode") as (bot, _):
        await bot.wait_for_health("connected")
        await fake.pause()  # the socket drops and Slack cannot be reached for a while
        await bot.wait_for_health("connecting")
        assert (await bot.health())[0] == 503
        await fake.resume()  # slack-sdk reconnects by itself
        await bot.wait_for_health("connected")
        assert len(fake.of("apps.connections.open")) >= 2
        envelope = await fake.send_envelope("slash_commands", {
            "team_id": "T0WOLF", "team_domain": "wolves", "channel_id": "CWARS", "channel_name": "wars",
            "user_id": "UALICE", "user_name": "alice", "command": "/gmbot", "text": "help",
            "response_url": fake.response_url(), "trigger_id": "socket.2"})
        await fake.wait_for(lambda c: c.method == "socket_ack" and c.data.get("envelope_id") == envelope)
        bot.process.send_signal(signal.SIGINT)
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()


async def test_with_oauth_there_is_no_token_to_check_it_is_connected_once_listening(
    live: LocalBackend, fake: FakeSlack, tmp_path: Path,
) -> None:
    async with gmbot_slack(live, fake, tmp_path, oauth=True) as (bot, _):
        report = await bot.wait_for_health("connected")
        assert report["status"] == "ok"
        await bot.wait_for_line(r"connected to Slack for many workspaces \(OAuth installs\)")
        assert fake.of("auth.test") == []  # each workspace's token is checked when it is used
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()


async def test_slack_unreachable_at_start_then_back(live: LocalBackend, fake: FakeSlack, tmp_path: Path) -> None:
    await fake.pause()  # connections refused, as when the network is down
    async with gmbot_slack(live, fake, tmp_path) as (bot, _):
        first = await bot.wait_for_line(r"cannot reach Slack while checking SLACK_BOT_TOKEN \(auth\.test\): "
                                        r".*retrying in [\d.]+ s \(attempt \d+\)")
        assert "WARNING" in first
        failing = await bot.wait_for_health("failing")
        assert (await bot.health())[0] == 503
        report = failing["front_ends"]["slack"]
        assert "cannot reach Slack" in report["last_error"]["error"] and report["next_attempt_at"]
        await bot.wait_for_line(r"\(attempt 3\)")  # it keeps trying, one line each

        await fake.resume()  # Slack answers again: the same process connects
        connected = await bot.wait_for_health("connected")
        assert connected["status"] == "ok" and (await bot.health())[0] == 200
        await bot.wait_for_line(r"^gmbot slack: ready \(http://")
        assert 'gmbot_bot_connect_attempts_total{outcome="connected",platform="slack"} 1.0' in await bot.metrics()
        assert len(fake.of("auth.test")) == 1  # the refused attempts never reached it
        assert bot.process.returncode is None
        bot.process.send_signal(signal.SIGINT)
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()


async def test_sigterm_finishes_the_command_in_flight_and_saves_the_cursor(
    live: LocalBackend, fake: FakeSlack, tmp_path: Path,
) -> None:
    async with gmbot_slack(live, fake, tmp_path) as (bot, port), aiohttp.ClientSession() as http:
        await bot.wait_for_health("connected")
        wire = SlackWire(f"http://127.0.0.1:{port}", fake, http)

        async def slash(text: str, user: tuple[str, str], team: tuple[str, str] = WOLVES,
                        channel: tuple[str, str] = ("CWARS", "wars")) -> str:
            reply, url = await wire.slash(text, user=user, team=team, channel=channel)
            assert reply.status == 200
            return url

        # an event: Bears ask for a war; Wolves (subscribed) are told in their channel
        assert header(await fake.response(await slash("setup -name Wolves", ("UALICE", "alice")))) == "Welcome, Wolves!"
        await fake.response(await slash("subscribe -games 4", ("UALICE", "alice")))
        bears_channel = ("CBEARWARS", "war-room")
        await fake.response(await slash("setup -name Bears", ("UBRUNO", "bruno"), BEARS, bears_channel))
        created = await fake.response(await slash("createwar -players <@UBRUNO|bruno> -game 4",
                                                  ("UBRUNO", "bruno"), BEARS, bears_channel))
        assert created["response_type"] == "in_channel", created
        posted = (await fake.wait_for(lambda c: c.method == "chat.postMessage" and c.data["channel"] == "CWARS"))[0]
        assert posted.data["metadata"]["event_type"] == "gmbot_event"  # the event id rides along
        events = (await bot.wait_for_health("connected"))["front_ends"]["slack"]["events"]
        while events.get("posted", 0) < 1:  # the health report follows the post
            events = (await bot.wait_for_health("connected"))["front_ends"]["slack"]["events"]
        assert events["last_event_id"] == posted.data["metadata"]["event_payload"]["event_id"]

        metrics = await bot.metrics()
        assert 'command="createwar",outcome="reply",platform="slack"} 1.0' in metrics, metrics
        assert 'gmbot_bot_events_total{outcome="posted",platform="slack"} 1.0' in metrics

        fake.hold_responses = 1  # the next answer takes its time
        games = await slash("games", ("UALICE", "alice"))
        await asyncio.wait_for(fake.holding.wait(), 15)
        bot.process.send_signal(signal.SIGTERM)
        await bot.wait_for_line(r"SIGTERM: shutting down \(finishing 1 command")
        stopping = await bot.wait_for_health("stopping")
        assert stopping["status"] == "unavailable"
        # a command arriving now is told to come back, not left unanswered
        late = await fake.response(await slash("games", ("UBRUNO", "bruno"), BEARS, bears_channel))
        assert late["response_type"] == "ephemeral" and RESTARTING in str(late), late
        assert bot.process.returncode is None  # still finishing the first one

        fake.release.set()
        assert header(await fake.response(games)).startswith("Games")
        assert await bot.exit_code() == 0
    assert int((tmp_path / "cursor").read_text()) >= events["last_event_id"]
    bot.assert_no_traceback()
    assert not [line for line in bot.lines if " WARNING " in line or " ERROR " in line], bot.output


async def test_an_event_retried_after_a_restart_is_not_answered_twice(
    live: LocalBackend, fake: FakeSlack, tmp_path: Path,
) -> None:
    """Slack retries an event it thinks was lost; the process that got it first has since
    restarted. The event ids it handled are on disk (beside the cursor): no second post."""
    for attempt in (None, 1):
        async with gmbot_slack(live, fake, tmp_path) as (bot, port), aiohttp.ClientSession() as http:
            await bot.wait_for_health("connected")
            reply = await SlackWire(f"http://127.0.0.1:{port}", fake, http).mention(
                "<@UGMBOT> setup -name Wolves", user="UALICE", event_id="EvRestart", retry=attempt)
            assert reply.status == 200
            if attempt is None:
                posted = await fake.wait_for(lambda c: c.method == "chat.postMessage")
                assert header(posted[0].data) == "Welcome, Wolves!"
            else:
                await bot.wait_for_line(r"event EvRestart retried by Slack: already handled")
            bot.process.send_signal(signal.SIGTERM)
            assert await bot.exit_code() == 0
        bot.assert_no_traceback()
    assert len(fake.of("chat.postMessage")) == 1 and (tmp_path / "slack-seen.sqlite3").exists()


# -- gmbot run: the backend and the Slack bot as one service --------------------------------
@contextlib.asynccontextmanager
async def gmbot_run(tmp: Path, fake: FakeSlack) -> AsyncIterator[Process]:
    """`gmbot run` in `tmp` (its own SQLite and API key), the Slack bot pointed at the fake."""
    from tests.backend.backend_support import cli_environment

    env = {k: v for k, v in cli_environment().items() if k not in SLACK_VARS}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
                "GMBOT_SLACK_PORT": str(free_port()), **FAST})
    async with run_with(tmp, env, "slack") as run:
        yield run


async def test_gmbot_run_exits_78_when_slack_refuses_the_token(fake: FakeSlack, tmp_path: Path) -> None:
    fake.refused_tokens.add(TOKEN)
    async with gmbot_run(tmp_path, fake) as run:
        assert await run.exit_code(within=60) == EXIT_CONFIG
    assert "Slack refused SLACK_BOT_TOKEN (auth.test: invalid_auth)" in run.output
    assert "gmbot run: the slack bot exited (code 78): stopping" in run.output
    run.assert_no_traceback()


async def test_gmbot_run_reports_the_slack_bot_and_sigterm_stops_both(fake: FakeSlack, tmp_path: Path) -> None:
    await fake.pause()  # Slack down at start: the backend is up, the front end is not
    async with gmbot_run(tmp_path, fake) as run:
        report = await run.wait_for_health("failing", within=60)
        assert (await run.health())[0] == 503 and report["database"] == "ok"
        await fake.resume()
        report = await run.wait_for_health("connected", within=30)
        assert report["status"] == "ok" and (await run.health())[0] == 200
        run.process.send_signal(signal.SIGTERM)
        assert await run.exit_code(within=30) == 0
    run.assert_no_traceback()
