"""`gmbot telegram` as a service, at the wire: the real command in a subprocess, real aiogram
against the fake Bot API, the real backend behind it.

Missing settings (one line, exit 2); a token Telegram refuses or that is no token (one
line naming TELEGRAM_BOT_TOKEN, exit 78, also through `gmbot run`); long polling and the
webhook (registered with its secret); Telegram unreachable at start, then back; SIGTERM
(exit 0); a vote button posted by one process and clicked after it was replaced by
another. Waits are on log lines, recorded calls and the health endpoint, never on sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from gmbot.server.local import LocalBackend
from gmbot.telegram import CLIENT
from gmbot.telegram.cli import telegram_main
from tests.process import Process
from tests.process import gmbot_run as run_with
from tests.support import ROOT, free_port

from .conftest import BEARS, SECRET, WOLVES, shown, title
from .fake_telegram import Call, FakeTelegram

EXIT_CONFIG = 78
FAST = {"GMBOT_RETRY_INITIAL": "0.2", "GMBOT_RETRY_MAX": "0.5", "GMBOT_SHUTDOWN_GRACE": "10", "PYTHONUNBUFFERED": "1"}
TELEGRAM_VARS = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_API_BASE_URL")


@pytest.mark.parametrize(("env", "args", "missing"), [
    ({}, [], "TELEGRAM_BOT_TOKEN is not set"),
    ({"TELEGRAM_BOT_TOKEN": "1:a"}, ["--webhook"], "TELEGRAM_WEBHOOK_SECRET is not set"),
    ({"TELEGRAM_BOT_TOKEN": "1:a", "TELEGRAM_WEBHOOK_SECRET": "no spaces please"}, [], "must be 1-256 characters"),
])
def test_missing_settings_are_one_line_and_exit_2(
    env: dict[str, str], args: list[str], missing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    for name in TELEGRAM_VARS:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert telegram_main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gmbot telegram: ") and missing in err


@contextlib.asynccontextmanager
async def gmbot_telegram(live: LocalBackend, fake: FakeTelegram, tmp: Path, *args: str,
                         env: dict[str, str] | None = None, port: int | None = None) -> AsyncIterator[Process]:
    """`gmbot telegram` (its webhook on `port` or a free one, its health on another)."""
    port, health_port = port or free_port(), free_port()
    environment = {k: v for k, v in os.environ.items() if k not in TELEGRAM_VARS}
    environment.update({"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.url,
                        "GMBOT_BACKEND_URL": live.url, "GMBOT_TELEGRAM_API_KEY": live.keys[CLIENT],
                        "GMBOT_HEALTH_PORT": str(health_port), **FAST, **(env or {})})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "telegram", "--port", str(port), "--cursor-file", str(tmp / "cursor"),
        "--events-wait", "1", "--poll-timeout", "1", *args, env=environment, cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    bot = Process(process, health_port, "telegram")
    try:
        yield bot
    finally:
        await bot.kill()


async def answer(fake: FakeTelegram, chat: int, user: str, text: str) -> Call:
    """`user` types `text` in `chat` (delivered as the bot receives updates); the bot's answer."""
    update = fake.message(fake.chats[chat], fake.users[user.lower()], text)
    await fake.deliver(update)
    asked = update["message"]["message_id"]
    return (await fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                and (c.data.get("reply_parameters") or {}).get("message_id") == asked, within=20))[0]


async def test_a_refused_token_is_one_line_and_exit_78(live: LocalBackend, fake: FakeTelegram, tmp_path: Path) -> None:
    fake.refused_tokens.add(fake.token)
    async with gmbot_telegram(live, fake, tmp_path, "--polling") as bot:
        assert await bot.exit_code(within=60) == EXIT_CONFIG
    errors = [line for line in bot.lines if " ERROR " in line]
    assert len(errors) == 1, bot.output
    assert "Telegram refused TELEGRAM_BOT_TOKEN (getMe: Unauthorized): set TELEGRAM_BOT_TOKEN" in errors[0], errors[0]
    assert "@BotFather" in errors[0] and "ready" not in bot.output
    bot.assert_no_traceback()
    assert len(fake.of("getMe")) == 1  # it gave up at once: no retry


async def test_a_token_that_is_no_token_is_one_line_and_exit_78(
    live: LocalBackend, fake: FakeTelegram, tmp_path: Path,
) -> None:
    async with gmbot_telegram(live, fake, tmp_path, env={"TELEGRAM_BOT_TOKEN": "not a token"}) as bot:
        assert await bot.exit_code(within=60) == EXIT_CONFIG
    assert bot.lines[-1] == ("gmbot telegram: TELEGRAM_BOT_TOKEN is not a bot token (123456:ABC-...): set it to "
                             "the token @BotFather gave the bot"), bot.output
    bot.assert_no_traceback()
    assert fake.calls == []


async def test_long_polling_unreachable_at_start_then_back_and_sigterm(
    live: LocalBackend, fake: FakeTelegram, tmp_path: Path,
) -> None:
    await fake.pause()  # connections refused, as when the network is down
    async with gmbot_telegram(live, fake, tmp_path, "--polling") as bot:
        first = await bot.wait_for_line(r"cannot reach Telegram while checking TELEGRAM_BOT_TOKEN \(getMe\): "
                                        r".*retrying in [\d.]+ s \(attempt \d+\)", within=60)
        assert "WARNING" in first
        failing = await bot.wait_for_health("failing")
        assert (await bot.health())[0] == 503 and failing["front_ends"]["telegram"]["next_attempt_at"]
        await fake.resume()
        connected = await bot.wait_for_health("connected")
        assert connected["status"] == "ok" and (await bot.health())[0] == 200
        await bot.wait_for_line(r"^gmbot telegram: ready \(long polling\)")
        assert [c.method for c in fake.calls[:2]] == ["getMe", "deleteWebhook"]  # polling needs no webhook

        welcome = await answer(fake, WOLVES, "Ann", "/setup -name Wolves")
        assert title(welcome) == "Welcome, Wolves!"
        polls = fake.of("getUpdates")
        assert polls[0].data.get("allowed_updates") == ["message", "callback_query", "my_chat_member"]
        assert 'gmbot_bot_commands_total{command="setup",outcome="reply",platform="telegram"} 1.0' in await bot.metrics()
        bot.process.send_signal(signal.SIGTERM)
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()
    assert not fake._updates  # every update handled was confirmed: the next start receives none again


async def test_the_webhook_is_registered_with_its_secret_and_serves_updates(
    live: LocalBackend, fake: FakeTelegram, tmp_path: Path,
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    env = {"TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_WEBHOOK_URL": url}
    async with gmbot_telegram(live, fake, tmp_path, env=env, port=port) as bot:
        await bot.wait_for_line(rf"^gmbot telegram: ready \(webhook http://127.0.0.1:{port}/telegram/webhook\)", 60)
        [registered] = fake.of("setWebhook")[-1:]
        assert registered.data["url"] == url and registered.data["secret_token"] == SECRET
        welcome = await answer(fake, WOLVES, "Ann", "/setup -name Wolves")  # POSTed, with the secret
        assert title(welcome) == "Welcome, Wolves!"
        assert await fake.deliver(fake.message(fake.chats[WOLVES], fake.users["ann"], "/games"),
                                  secret="wrong") == 403
        bot.process.send_signal(signal.SIGINT)
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()
    assert fake.of("getUpdates") == []


async def test_sigterm_finishes_the_command_in_flight_and_telegram_keeps_the_rest(
    live: LocalBackend, fake: FakeTelegram, tmp_path: Path,
) -> None:
    port = free_port()
    env = {"TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook"}
    async with gmbot_telegram(live, fake, tmp_path, env=env, port=port) as bot:
        await bot.wait_for_health("connected", within=60)
        fake.hold_sends = 1  # the next answer takes its time
        games = fake.message(fake.chats[WOLVES], fake.users["ann"], "/games")
        assert await fake.deliver(games) == 200
        await asyncio.wait_for(fake.holding.wait(), 20)
        bot.process.send_signal(signal.SIGTERM)
        await bot.wait_for_line(r"SIGTERM: shutting down \(finishing 1 command")
        stopping = await bot.wait_for_health("stopping")
        assert stopping["status"] == "unavailable"
        # an update arriving now is not taken: Telegram keeps it and sends it to the next start
        late = fake.message(fake.chats[WOLVES], fake.users["ann"], "/formats")
        assert await fake.deliver(late) == 503
        assert bot.process.returncode is None  # still finishing the first one
        fake.release.set()
        [answered] = await fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                         and c.data["reply_parameters"]["message_id"] == games["message"]["message_id"])
        assert title(answered).startswith("Games")
        assert await bot.exit_code() == 0
    bot.assert_no_traceback()
    assert not [line for line in bot.lines if " WARNING " in line or " ERROR " in line], bot.output
    assert len(fake.of("sendMessage")) == 1


async def test_a_vote_button_clicked_after_the_bot_was_replaced(
    live: LocalBackend, fake: FakeTelegram, tmp_path: Path,
) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    async with gmbot_telegram(live, fake, tmp_path, "--polling") as first:
        await first.wait_for_health("connected", within=60)
        for chat, user, name in ((WOLVES, "Ann", "Wolves"), (BEARS, "Bruno", "Bears")):
            assert title(await answer(fake, chat, user, f"/setup -name {name}")) == f"Welcome, {name}!"
        await answer(fake, WOLVES, "Ann", "/subscribe -games 4")
        created = await answer(fake, BEARS, "Bruno", "/createwar -players @bruno -game 4 -duration 12")
        war_id = title(created).split()[2]
        accepted = await answer(fake, WOLVES, "Ann", f"/accept -war {war_id} -players @ann")
        assert title(accepted).startswith(f"War {war_id}"), shown(accepted)
        assert war_id in await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
        [ended] = await fake.wait_for(lambda c: c.method == "sendMessage" and str(c.data["chat_id"]) == str(BEARS)
                                      and c.result is not None and "WHO WON?" in c.result["text"], within=20)
        first.process.send_signal(signal.SIGTERM)
        assert await first.exit_code() == 0
    async with gmbot_telegram(live, fake, tmp_path, "--polling") as second:
        await second.wait_for_health("connected", within=60)
        click = fake.click(fake.users["bruno"], ended)
        await fake.deliver(click)
        [answered] = await fake.wait_for(lambda c: c.method == "answerCallbackQuery", within=20)
        assert answered.data["callback_query_id"] == click["callback_query"]["id"]
        [vote] = await fake.wait_for(lambda c: c.method == "sendMessage" and c.result is not None
                                     and title(c).startswith("Vote recorded"), within=20)
        assert title(vote) == f"Vote recorded for war {war_id}"
        second.process.send_signal(signal.SIGTERM)
        assert await second.exit_code() == 0
    for bot in (first, second):
        bot.assert_no_traceback()


# -- gmbot run: the backend and the Telegram bot as one service --------------------------------------
@contextlib.asynccontextmanager
async def gmbot_run(tmp: Path, fake: FakeTelegram) -> AsyncIterator[Process]:
    """`gmbot run` in `tmp` (its own SQLite and API key), the Telegram bot pointed at the fake."""
    from tests.backend.backend_support import cli_environment

    env = {k: v for k, v in cli_environment().items() if k not in TELEGRAM_VARS and not k.startswith("SLACK_")}
    env.update({"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE_URL": fake.url, **FAST})
    async with run_with(tmp, env, "telegram") as run:
        yield run


async def test_gmbot_run_starts_the_telegram_bot_with_its_own_key(fake: FakeTelegram, tmp_path: Path) -> None:
    async with gmbot_run(tmp_path, fake) as run:
        report = await run.wait_for_health("connected", within=60)
        assert report["status"] == "ok"
        await run.wait_for_line(r"gmbot: starting the Telegram bot \(client TELEGRAM-BFF\)")
        assert (tmp_path / ".gmbot" / "telegram-bff-api-key").exists()
        welcome = await answer(fake, WOLVES, "Ann", "/setup -name Wolves")  # long polling: no URL needed
        assert title(welcome) == "Welcome, Wolves!"
        run.process.send_signal(signal.SIGTERM)
        assert await run.exit_code(within=30) == 0
    run.assert_no_traceback()


async def test_gmbot_run_exits_78_when_telegram_refuses_the_token(fake: FakeTelegram, tmp_path: Path) -> None:
    fake.refused_tokens.add(fake.token)
    async with gmbot_run(tmp_path, fake) as run:
        assert await run.exit_code(within=60) == EXIT_CONFIG
    assert "Telegram refused TELEGRAM_BOT_TOKEN (getMe: Unauthorized)" in run.output
    assert "gmbot run: the telegram bot exited (code 78): stopping" in run.output
    run.assert_no_traceback()
