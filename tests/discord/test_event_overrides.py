"""A card's `platforms: {discord: ...}` override applies to Discord's event cards as to its
replies, and as `gmbot preview` shows it: the bot's core knows its platform."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from generated.application import application
from gmbot.application import Application

from .stage import Stage, title
from .test_bot_wire import war_between

pytestmark = pytest.mark.asyncio(loop_scope="package")

# `gmbot bot --app tests.discord.test_event_overrides:APP`: Gmbot with one event card overridden on Discord
APP: Application | None = None
DISCORD_TITLE = "A CLAN WANTS A WAR"


def with_discord_override(tmp: Path) -> Application:
    spec = json.loads(application.spec_json.read_text(encoding="utf-8"))
    card = next(e["card"] for e in spec["events"] if e["name"] == "war.requested")
    assert card["title"] != DISCORD_TITLE
    card.setdefault("platforms", {})["discord"] = {"title": DISCORD_TITLE}
    path = tmp / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    return dataclasses.replace(application, spec_json=path)


async def test_discord_event_cards_use_the_discord_override(s: Stage, tmp_path: Path) -> None:
    global APP
    APP = with_discord_override(tmp_path)
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot("--app", f"{__name__}:APP")
    await s.set_up_clans(wolves, bears)
    await war_between(s, wolves, bears)
    requested = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == DISCORD_TITLE)
    assert requested["embeds"][0]["fields"], requested  # the rest of the card is the card's own
