"""Languages at the wire: `gmbot sync-commands` registers each catalog's command names and
descriptions (Discord's localizations, checked by the fake as Discord checks them), and the bot
answers each user in their client's language (the interaction's `locale`), a clan's channel
in the clan's language, py-cord against the fake Discord, the real backend behind."""

from __future__ import annotations

import pytest

from gmbot.chat.i18n import Locales
from tests.support import ROOT

from .fake_discord import _localization_problems
from .stage import WAR_GAME, Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


async def test_localized_commands_are_registered(s: Stage) -> None:
    await s.sync_commands()  # exits 0: the fake took them (it refuses what Discord would, below)
    registered = {c["name"]: c for c in s.discord.commands[None]}
    es = Locales.load(ROOT / "generated" / "chat" / "locales").catalog("es")
    createwar = registered["createwar"]
    # names stay the commands' ids; each Discord locale of a catalog gets its names and texts
    assert createwar["name_localizations"] == {"es-ES": "crearguerra", "es-419": "crearguerra",
                                               "pt-BR": "criarguerra"}
    assert createwar["description_localizations"]["es-419"] == es.gettext(createwar["description"])
    players = next(o for o in createwar["options"] if o["name"] == "players")
    assert players["name_localizations"]["pt-BR"] == "jogadores"
    vote = next(o for o in registered["vote"]["options"] if o["name"] == "result")
    assert {c["value"]: c["name_localizations"]["es-ES"] for c in vote["choices"]} == {
        "win": "Ganamos", "lose": "Perdimos", "draw": "Empate"}
    assert registered["roles"]["name_localizations"]["pt-BR"] == "cargos"
    assert "es-ES" not in (registered["roles"]["name_localizations"] or {})  # "roles" in Spanish too: not repeated


async def test_each_user_in_their_language_and_the_clans_channel_in_the_clans(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    # Bears choose Spanish: their channel's cards come in it from now on
    await d.say(bears, "bruno", "gmbot update -language es", bears.channel("wars"))
    updated = await d.wait_for_message(bears.channel("wars"), 3)
    assert title(updated) == "Bears actualizado", updated  # prefix messages carry no locale: the clan's
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                wolves.channel("general"))
    request = await d.wait_for_message(bears.channel("wars"), where=lambda m: "SOLICITUD" in title(m))
    assert title(request) == "NUEVA SOLICITUD DE GUERRA DE CLANES"
    assert "**Wolves** busca un rival." in request["embeds"][0]["description"]
    # a slash command carries its user's language: English for alice, Portuguese for dora
    english = await d.reply_to(await d.slash(wolves, "alice", "games", wolves.channel("general")))
    assert title(english).startswith("Games ("), english
    wolves.member("dora").locale = "pt-BR"
    portuguese = await d.reply_to(await d.slash(wolves, "dora", "games", wolves.channel("general")))
    assert title(portuguese).startswith("Jogos ("), portuguese
    wolves.member("bob").locale = "ko"  # no Korean catalog: the clan's language, English
    korean = await d.reply_to(await d.slash(wolves, "bob", "status", wolves.channel("general")))
    assert title(korean) == "Clan status", korean


async def test_the_fake_refuses_localizations_as_discord_does() -> None:
    command = {"name": "createwar", "description": "d", "name_localizations": {"es-ES": "Crear Guerra", "xx": "a"},
               "options": [{"name": "players", "type": 3, "description_localizations": {"pt-BR": "x" * 101},
                            "choices": [{"name": "a", "value": "a", "name_localizations": {"fr": "Un nom, avec espaces"}}]}]}
    assert _localization_problems(command) == [
        "createwar.name_localizations.es-ES: invalid name 'Crear Guerra'",
        "createwar.name_localizations.xx: unknown locale",
        "players.description_localizations.pt-BR: must be 1-100 characters",
    ]
