"""A season of ranked play on Discord, Slack and Telegram (docs/playground/season.txt), played
for real: rated wars, the ranking before and after, a disputed war whose ticket a referee
settles, both clans told, the profile with its public link, a forfeit that asks first.

The referee is appointed the operator's way, by the admin command the script's header shows
(`python -m backend_impl.referees ... appoint`), run here with the same arguments on the
database the in-process backend then serves: the header cannot drift from what works."""

from __future__ import annotations

import asyncio
import io
import shlex
from pathlib import Path

import pytest

from backend_impl import referees
from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platform, platforms
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "playground" / "season.txt"


def header_command(lines: list[str], program: str) -> list[str]:
    """The arguments of the header comment line that runs `program`."""
    for line in lines:
        words = shlex.split(line.lstrip("# "))
        if program in words:
            return words[words.index(program) + 1:]
    raise AssertionError(f"{SCRIPT.name} has no `{program}` line in its header")


async def test_a_season_with_a_referee(spec: BotSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    chat_line = next(shlex.split(line.lstrip("# ")) for line in lines if "gmbot chat" in line)
    settings = dict(word.split("=", 1) for word in chat_line[:chat_line.index("gmbot")])
    assert settings.keys() == {"GMBOT_PROVISIONAL_WARS", "GMBOT_PUBLIC_URL"}, settings
    for name, value in settings.items():  # the header's command line sets them for the backend
        monkeypatch.setenv(name, value)
    public = settings["GMBOT_PUBLIC_URL"]
    assert "--database-url" in chat_line
    database = f"sqlite+aiosqlite:///{tmp_path / 'season.sqlite3'}"
    appoint = header_command(lines, "backend_impl.referees")
    appoint[appoint.index("--database-url") + 1] = database
    # kim types first: her id is the first user id the playground makes up on Discord
    assert appoint[appoint.index("--user") + 1] == platform("discord").fake_id("user", 0)
    assert next(line for line in lines if line.startswith("as ")) == "as kim in Referees"
    # the admin command as the operator runs it: its own process, so here its own thread and loop
    assert await asyncio.to_thread(referees.main, appoint) == 0

    out = io.StringIO()
    clients = {p.client: p.name for p in platforms()}
    async with local_backend(application, database_url=database, clients=clients) as live:
        backends = {p.name: BackendClient(live.url, live.keys[p.client], p.client, routes=ROUTES) for p in platforms()}
        try:
            cores = {name: Core(spec, backend, name, application.locales()) for name, backend in backends.items()}
            await Playground(cores, out).run(lines)
        finally:
            for backend in backends.values():
                await backend.aclose()
    text = out.getvalue()
    expected = [  # in this order: each clan on its own platform (Discord as text, Slack's |, Telegram's │)
        "    kim (discord): every game",
        "  kim, open tickets of every game will be posted in #general.",
        "  │ No clan has a rated war this season yet.",
        "  >> war.confirmed in Bears (Slack) #general:",
        "  | *Wolves*: +3 glory points · rating 0.0 → ",
        "  >> war.confirmed in Tigers (Telegram) #general:",
        "  │ *Tigers*: +3 glory points · rating 0.0 → ",
        "  │ 3 ranked clans, 0 provisional",  # the ranking after two wars
        "  │ *#1 Wolves*",
        "  │ *#2 Tigers*",
        "  │ *#3 Bears*",
        "  Status: **disputed**",  # war 3: both clans say they won
        "  >> ticket.opened in Referees #general:",
        "  == DISPUTE: ticket 1, war ",
        "  >> war.disputed in Wolves #general:",
        "  >> war.disputed in Tigers (Telegram) #general:",
        "    #1 war ",  # kim's list of tickets
        " · opened: Gmbot: The votes disagree",  # the ticket's trail
        "  Wolves vs Tigers (Mini Militia). Settled: Tigers won.",
        "  >> ticket.settled in Wolves #general:",
        "  Referee kim decided: Tigers won.",
        "    Why: The Tigers' screenshot shows 3-1",
        "  >> ticket.settled in Referees #general:",
        "  >> ticket.settled in Tigers (Telegram) #general:",
        "  │ Referee kim decided: Tigers won.",
        "  │ *#1 Tigers*",  # the ranking after the verdict: ratings recomputed
        "  │ *#2 Wolves*",
        "  │ *#3 Bears*",
        "  │ *Tigers in Mini Militia, season ",  # the profile, linking its public page with the chart
        f"<{public}/web/clans/telegram/",
        "  │ Rank *#1*.",
        "  │ *WON vs Wolves*",
        "  | *Forfeit war ",  # the forfeit asks first
        "  | [Forfeit]  [Keep playing]",
        "  (the card above, edited in place:)",
        "  | Your clan gave up war ",
        "  >> war.forfeited in Wolves #general:",
        "    #1 Tigers: Rating ",
        "    #2 Wolves: Rating ",
        "  == War history (3) ==",
        "    WON vs Bears (Mini Militia, ",
    ]
    at = 0
    for line in expected:
        found = text.find(line, at)
        assert found >= 0, f"missing after offset {at}: {line!r}\n{text}"
        at = found + len(line)
    assert "!!" not in text and "Traceback" not in text
