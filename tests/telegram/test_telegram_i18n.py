"""Languages on Telegram at the wire: replies in the user's `language_code`, else the clan's
language; event cards in the clan's; the command menus per `language_code` reaching the fake
(setMyCommands), aiogram against the fake Bot API, the real backend behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from generated.application import application

from .conftest import BEARS, WOLVES, Stack, shown, title
from .fake_telegram import FakeTelegram
from .test_commands import env, run  # noqa: F401 - env is a fixture (used by name)
from .test_events import consumer, event_posts


async def test_replies_in_the_users_language_else_the_clans(stack: Stack) -> None:
    stack.runtime.core.localize(application.locales())  # as `gmbot telegram` does
    assert title(await stack.say(WOLVES, "Ann", "/setup -name Wolves -language pt_BR")) == "Bem-vindos, Wolves!"
    assert title(await stack.say(WOLVES, "Ann", "/games")).startswith("Jogos (")  # no language_code: the clan's
    stack.user("Bob")["language_code"] = "es"  # Bob's Telegram is in Spanish
    games = await stack.say(WOLVES, "Bob", "/games")
    assert title(games).startswith("Juegos ("), shown(games)
    stack.user("Bob")["language_code"] = "en"  # English: shipped as the source language
    assert title(await stack.say(WOLVES, "Bob", "/games")).startswith("Games (")
    usage = await stack.say(WOLVES, "Ann", "/createwar -game x")
    assert "Uso" in shown(usage) and "@membro" in shown(usage), shown(usage)


async def test_event_cards_in_the_clans_language(stack: Stack, tmp_path: Path) -> None:
    stack.runtime.core.localize(application.locales())
    await stack.say(WOLVES, "Ann", "/setup -name Wolves -language es")
    await stack.say(WOLVES, "Ann", "/subscribe -games 4")
    await stack.say(BEARS, "Bruno", "/setup -name Bears")  # English
    created = await stack.say(BEARS, "Bruno", "/createwar -players @bruno -game 4 -duration 12")
    assert title(created).startswith("War request"), shown(created)
    feed = consumer(stack, tmp_path)
    assert await feed.poll(wait=0) >= 1
    (request,) = [c for c in event_posts(stack, WOLVES) if "SOLICITUD" in shown(c)]
    assert "NUEVA SOLICITUD DE GUERRA DE CLANES" in shown(request) and "busca un rival" in shown(request)


@pytest.mark.usefixtures("env")
async def test_the_menus_per_language_reach_telegram(fake: FakeTelegram) -> None:
    assert await run() == 0
    spanish = [c for c in fake.of("setMyCommands") if c.data.get("language_code") == "es"]
    assert [c.data["scope"]["type"] for c in spanish] == ["all_group_chats", "all_chat_administrators"]
    es = application.locales().catalog("es")
    menu = {c["command"]: c["description"] for c in fake.commands["all_chat_administrators:es"]}
    assert menu["createwar"] == es.gettext("Create a war request, broadcast to the clans subscribed to the game")
    assert menu["help"].startswith("Lista todos los comandos")
    assert "all_chat_administrators:pt" in fake.commands  # pt_BR's list, under Telegram's two-letter code
    assert {c.data.get("language_code") for c in fake.of("setMyCommands")} == {None, "es", "pt"}
