"""`gmbot slack` as a user runs it: one line and exit 2 without credentials; a real process
serving signed requests, talking to the real backend and the fake Slack Web API."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.server.local import LocalBackend
from gmbot.slack.cli import slack_main
from gmbot.slack.runtime import CLIENT
from gmbot.spec.model import BotSpec
from tests.support import ROOT, free_port

from .conftest import SECRET, TOKEN, SlackWire
from .fake_slack import FakeSlack

SLACK_VARS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN")


@pytest.mark.parametrize(("env", "missing"), [
    ({}, "SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "--socket-mode needs SLACK_APP_TOKEN"),
])
def test_missing_credentials_are_one_line_and_exit_2(
    env: dict[str, str], missing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert slack_main(["--socket-mode"] if "SLACK_SIGNING_SECRET" in env else []) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmbot slack: ") and missing in err



async def me(token: str) -> Person | None:
    return Person("1", "bruno") if token == "<@1>" else None


async def test_the_gmbot_slack_process_serves_signed_commands(
    spec: BotSpec, live: LocalBackend, fake: FakeSlack, tmp_path: Path,
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake.api_url,
                "GMBOT_BACKEND_URL": live.url, "GMBOT_SLACK_API_KEY": live.keys[CLIENT], "GMBOT_API_KEY": "not-this-one"})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "slack", "--port", str(port), "--cursor-file", str(tmp_path / "cursor"),
        "--events-wait", "1", "--log-level", "WARNING", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().startswith("gmbot slack: ready")
        async with aiohttp.ClientSession() as http:
            wire = SlackWire(f"http://127.0.0.1:{port}", fake, http)
            reply, url = await wire.slash("setup -name Wolves", user=("UALICE", "alice"))
            assert reply.status == 200
            message = await fake.response(url)
            # set up with GMBOT_SLACK_API_KEY: GMBOT_API_KEY (the Discord bot's) is not used
            assert message["attachments"][0]["blocks"][0]["text"]["text"] == "Welcome, Wolves!"
            reply, url = await wire.slash("subscribe -games 4", user=("UALICE", "alice"))
            assert (await fake.response(url))["response_type"] == "in_channel"
            # a Discord clan's war request reaches this workspace through the process's event consumer
            discord = BackendClient(live.url, live.keys["DISCORD-BFF"], "DISCORD-BFF", routes=ROUTES)
            core, bears = Core(spec, discord, "discord"), Person("999", "Bears")
            inv = Invocation("discord", author=Person("1", "bruno"), server=bears, channel=Place("98", "wars"), id="m1")
            assert (await core.run_prefix("setup", "-name Bears", inv)).kind == "reply"
            created = await core.run_prefix("createwar", "-players <@1> -game 4", replace(inv, id="m2"), me)
            assert created.kind == "reply", created.card
            await discord.aclose()
            posted = (await fake.wait_for(lambda c: c.method == "chat.postMessage"))[0]
            assert posted.token == TOKEN and posted.data["channel"] == "CWARS" and "NEW WAR REQUEST" in str(posted.data)
    finally:
        process.send_signal(2)
        assert await asyncio.wait_for(process.wait(), 10) == 0


def test_gmbot_run_starts_the_slack_bot_with_its_own_key() -> None:
    from generated.application import application
    from gmbot.cli import subcommands
    from gmbot.run import front_ends
    from gmbot.slack import KEY_ENV
    from gmbot.slack.cli import slack_main

    slack = next(end for end in front_ends(application) if end.name == "slack")
    assert subcommands()[slack.command.name].target == "gmbot.slack.cli:slack_main"
    assert slack.load(slack.command.target) is slack_main
    assert (slack.client, slack.key_env) == (CLIENT, KEY_ENV)
    assert set(slack.credentials) == {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}


def test_an_unusable_installation_database_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in SLACK_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_CLIENT_ID", "1.2")
    monkeypatch.setenv("SLACK_CLIENT_SECRET", "c")
    monkeypatch.setenv("SLACK_INSTALL_DATABASE_URL", "nosuchdriver://nowhere/db")
    assert slack_main(["--app", "generated.application:application"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmbot slack: cannot open the Slack installation store")


async def test_socket_mode_connects_out_and_answers_an_envelope(live: LocalBackend, fake: FakeSlack, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in SLACK_VARS}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_APP_TOKEN": "xapp-test",
                "SLACK_API_URL": fake.api_url, "GMBOT_BACKEND_URL": live.url, "GMBOT_SLACK_API_KEY": live.keys[CLIENT]})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "slack", "--socket-mode", "--cursor-file", str(tmp_path / "cursor"),
        "--events-wait", "1", "--log-level", "WARNING", env=env, cwd=ROOT, stdout=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 30)
        assert line.decode().startswith("gmbot slack: ready (socket mode)")
        opened = (await fake.wait_for(lambda c: c.method == "apps.connections.open"))[0]
        assert opened.token == "xapp-test"  # the app-level token opens the connection
        response_url = fake.response_url()
        envelope = await fake.send_envelope("slash_commands", {
            "team_id": "T0WOLF", "team_domain": "wolves", "channel_id": "CWARS", "channel_name": "wars",
            "user_id": "UALICE", "user_name": "alice", "command": "/gmbot", "text": "setup -name Wolves",
            "response_url": response_url, "trigger_id": "socket.1"})
        acked = (await fake.wait_for(lambda c: c.method == "socket_ack"))[0]
        assert acked.data["envelope_id"] == envelope
        message = await fake.response(response_url)
        assert message["attachments"][0]["blocks"][0]["text"]["text"] == "Welcome, Wolves!"
    finally:
        process.send_signal(2)
        assert await asyncio.wait_for(process.wait(), 10) == 0
