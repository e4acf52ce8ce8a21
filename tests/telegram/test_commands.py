"""The command menus: `gmbot telegram-commands` sends generated/telegram/commands.json with
setMyCommands, per scope, only where it changed; the generator's Telegram rules; a spec name
with '-' typed with '_'."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.i18n import Locales
from gmbot.server.local import LocalBackend
from gmbot.spec.model import BotSpec
from gmbot.telegram import CLIENT
from gmbot.telegram.api import make_bot
from gmbot.telegram.cli import commands_main
from gmbot.telegram.commands import scopes
from gmbot.telegram.runtime import TelegramRuntime
from gmbot.telegram.webhook import webhook_app
from tests.support import ROOT

from .conftest import SECRET, WOLVES, Stack, serve, title
from .fake_telegram import FakeTelegram

GENERATED = ROOT / "generated" / "telegram" / "commands.json"


@pytest.fixture
def env(fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", fake.token)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", fake.url)


async def run(*args: str) -> int:
    return await asyncio.to_thread(commands_main, ["--file", str(GENERATED), *args])


def test_the_generated_menus_are_the_specs_commands(spec: BotSpec) -> None:
    document = json.loads(GENERATED.read_text())
    catalogs = Locales.load(ROOT / "generated" / "chat" / "locales").catalogs
    assert document["scopes"] == scopes(spec, {k: v for k, v in catalogs.items() if k != "en"})
    default = [s for s in document["scopes"] if "language_code" not in s]
    everyone, admins = ({e["command"] for e in s["commands"]} for s in default)
    assert [s["scope"]["type"] for s in default] == ["all_group_chats", "all_chat_administrators"]
    anyone = {c.name for c in spec.commands if not c.roles and not c.permissions}
    assert everyone == anyone | {"help"} and admins == {c.name for c in spec.commands} | {"help"}


async def test_menus_are_set_once_and_only_where_they_changed(
    fake: FakeTelegram, env: None, capsys: pytest.CaptureFixture[str],
) -> None:
    assert await run() == 0
    document = json.loads(GENERATED.read_text())
    sets = fake.of("setMyCommands")
    assert [(c.data["scope"], c.data["commands"]) for c in sets] == [(s["scope"], s["commands"]) for s in document["scopes"]]
    lists = len(document["scopes"])  # per scope, and per language
    assert len(fake.of("getMyCommands")) == lists  # read first, per scope
    assert "all_group_chats: set" in capsys.readouterr().out

    assert await run() == 0  # again: nothing to change, nothing written
    assert len(fake.of("setMyCommands")) == lists and len(fake.of("getMyCommands")) == 2 * lists
    assert capsys.readouterr().out.count("already up to date") == lists

    fake.commands["all_group_chats"] = fake.commands["all_group_chats"][1:]  # changed by hand in @BotFather
    assert await run("--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run (all_group_chats): 1 change(s)" in out and f"+ /{document['scopes'][0]['commands'][0]['command']}" in out
    assert len(fake.of("setMyCommands")) == lists
    assert await run() == 0
    assert [c.data["scope"]["type"] for c in fake.of("setMyCommands")[lists:]] == ["all_group_chats"]


async def test_a_refused_token_is_one_line_and_exit_78(
    fake: FakeTelegram, env: None, capsys: pytest.CaptureFixture[str],
) -> None:
    fake.refused_tokens.add(fake.token)
    assert await run() == 78
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Telegram refused TELEGRAM_BOT_TOKEN" in err
    assert fake.of("setMyCommands") == []


async def test_a_name_with_a_dash_is_typed_with_an_underscore(
    spec: BotSpec, live: LocalBackend, fake: FakeTelegram,
) -> None:
    renamed = spec.model_copy(update={"commands": [
        c.model_copy(update={"name": "create-war"}) if c.name == "createwar" else c for c in spec.commands]})
    listed = {e["command"] for s in scopes(renamed) for e in s["commands"]}
    assert "create_war" in listed and "create-war" not in listed
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    bot = make_bot(fake.token, fake.url)
    runtime = TelegramRuntime(renamed, backend, bot)
    runner, url = await serve(webhook_app(runtime, SECRET))
    try:
        stack = Stack(live, fake, runtime, url + "/telegram/webhook")
        await stack.say(WOLVES, "Ann", "/setup -name Wolves")
        created = await stack.say(WOLVES, "Ann", "/create_war -players @ann -game 4")
        assert title(created).startswith("War request"), created.result
        usage = await stack.say(WOLVES, "Ann", "/create_war -game x")
        assert "/create_war -players" in str(usage.result)
    finally:
        await runner.cleanup()
        await bot.session.close()
        await backend.aclose()
