"""A clan war in Spanish on Discord, Slack and Telegram (docs/playground/spanish.txt), played
against the real backend with the compiled catalogs: event cards in each clan's language,
replies in the speaker's when their platform says it, buttons clicked by their Spanish labels."""

from __future__ import annotations

import io
from pathlib import Path

from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platforms
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "playground" / "spanish.txt"


async def play(spec: BotSpec, script: list[str]) -> str:
    out = io.StringIO()
    clients = {p.client: p.name for p in platforms()}
    async with local_backend(application, clients=clients) as live:
        backends = {p.name: BackendClient(live.url, live.keys[p.client], p.client, routes=ROUTES) for p in platforms()}
        try:
            locales = application.locales()
            cores = {name: Core(spec, backend, name, locales) for name, backend in backends.items()}
            await Playground(cores, out).run(script)
        finally:
            for backend in backends.values():
                await backend.aclose()
    return out.getvalue()


async def test_a_war_in_spanish_on_the_three_platforms(spec: BotSpec) -> None:
    text = await play(spec, SCRIPT.read_text(encoding="utf-8").splitlines())
    expected = [  # in this order; each platform draws its own cards (Discord as text, Slack's | and Telegram's │)
        "== ¡Bienvenido, Wolves! ==",
        "  | *¡Bienvenido, Bears!*",
        "  │ *¡Bienvenido, Tigres!*",
        "  >> war.requested in Bears (Slack) #general:",
        "  | *NUEVA SOLICITUD DE GUERRA DE CLANES*",
        "  | _Acéptala con: /gmbot accept -war",  # the Slack override, translated too
        "  >> war.requested in Tigres (Telegram) #general:",
        "  │ *NUEVA SOLICITUD DE GUERRA DE CLANES*",
        "  == GUERRA DE CLANES EN MARCHA: Wolves vs Tigres ==",
        "  │ *GUERRA DE CLANES EN MARCHA: Wolves vs Tigres*",
        "  │ *Mensaje enviado*",
        "  == ¿QUIÉN GANÓ? ==",
        "[Ganamos]  [Perdimos]  [Empate]",
        "  │ *¿QUIÉN GANÓ?*",
        "  │ *Voto registrado para la guerra",
        "  == RESULTADO: guerra",
        "  ¡Wolves ganó!",
        "    Wolves: +3 puntos de gloria · rating",  # a plural form, with the number as data
        "  │ ¡Wolves ganó!",
        "  == Clasificación ==",
        "    #1 Wolves: 3 puntos de gloria",
        "-- bruno in Bears (on Slack) speaking pt-BR",
        "  | *Placar*",  # her platform says Portuguese (Brazil): the reply is in it, in a Spanish clan
        "  | 3 pontos de glória",
    ]
    at = 0
    for line in expected:
        found = text.find(line, at)
        assert found >= 0, f"missing after offset {at}: {line!r}\n{text}"
        at = found + len(line)
    assert "!!" not in text and "Traceback" not in text
    assert "NEW WAR REQUEST" not in text and "glory" not in text  # nothing left in English


async def test_a_clan_without_a_language_plays_in_english_and_a_speaker_in_theirs(spec: BotSpec) -> None:
    text = await play(spec, [
        "as alice in Wolves",
        "gmbot setup -name Wolves",
        "gmbot stats",
        "as ana in Wolves speaking es-419",  # Latin-American Spanish: the nearest catalog is es
        "gmbot stats",
        "as kim in Wolves speaking ko",  # no Korean catalog: the clan's language (English)
        "gmbot stats",
    ])
    english, spanish, korean = text.split("gmbot stats")[1:]
    assert "== Wolves: statistics ==" in english and "Glory" in english
    assert "== Wolves: estadísticas ==" in spanish and "Gloria" in spanish
    assert "== Wolves: statistics ==" in korean
