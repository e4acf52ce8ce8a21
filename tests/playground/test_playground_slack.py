"""`as <user> in <server> on slack`: docs/playground/cross-platform.txt, played for real."""

from __future__ import annotations

import io
from pathlib import Path

from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platform
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.slack import CLIENT
from gmbot.spec.model import BotSpec

DISCORD_CLIENT = platform("discord").client  # whose key the in-process backend mints first

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "playground" / "cross-platform.txt"


async def test_the_cross_platform_script(spec: BotSpec) -> None:
    out = io.StringIO()
    async with local_backend(application, clients={DISCORD_CLIENT: "discord", CLIENT: "slack"}) as live:
        discord = BackendClient(live.url, live.keys[DISCORD_CLIENT], DISCORD_CLIENT, routes=ROUTES)
        slack = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
        cores = {"discord": Core(spec, discord, "discord"), "slack": Core(spec, slack, "slack")}
        await Playground(cores, out).run(SCRIPT.read_text().splitlines())
        await discord.aclose()
        await slack.aclose()
    text = out.getvalue()
    expected = [  # in this order: each clan on its own platform, Discord as text, Slack as Block Kit
        "-- bruno in Bears (on Slack)",
        "  | *Welcome, Bears!*",
        "  >> war.requested in Bears (Slack) #general:",
        "  | *NEW WAR REQUEST*",
        "  | _Accept with: /gmbot accept -war",  # the card's Slack override (specs/commands.yaml)
        "  >> war.accepted in Wolves #general:",
        "  == WAR ON: Wolves vs Bears ==",
        "  >> war.accepted in Bears (Slack) #general:",
        "  | *WAR ON: Wolves vs Bears*",
        "  >> war.message in Wolves #general:",
        "  >> war.ended in Bears (Slack) #general:",
        "  | [We won]  [We lost]  [Draw]",
        "  | *Vote recorded for war",
        "  >> war.confirmed in Bears (Slack) #general:",
        "  | *Wolves*: +3 glory points · rating 0.0 → ",  # ranked play: both clans' rating changes
        "*Bears*: +0 glory points · rating 0.0 → ",
        "    #1 Wolves: 3 glory points",
    ]
    at = 0
    for line in expected:
        found = text.find(line, at)
        assert found >= 0, f"missing after offset {at}: {line!r}\n{text}"
        at = found + len(line)
    assert "war.requested in Wolves" not in text and "!!" not in text


async def test_without_a_slack_key_on_slack_says_so(spec: BotSpec) -> None:
    out = io.StringIO()
    async with local_backend(application, DISCORD_CLIENT) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD_CLIENT, routes=ROUTES)
        await Playground({"discord": Core(spec, backend, "discord")}, out).run(["as bruno in Bears on slack"])
        await backend.aclose()
    assert out.getvalue() == "!! no slack bot here (it needs its own API key)\n"
