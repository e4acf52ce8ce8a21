"""A card's picture from the backend (`image: {operation: ...}`) in the playground: Gmbot's
`profile` fetches the clan's rating chart from `getClanRatingChart` and each platform's text
names the picture it would upload, on every registered platform."""

from __future__ import annotations

import io
import re

from generated.application import application
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.platforms import platform, platforms
from gmbot.playground.playground import Playground
from gmbot.server.local import local_backend
from gmbot.spec.model import BotSpec, CardImage, Request
from tests.chat.fakes import ROUTES
from tests.playground.support import CONFIRMED_WAR, chat

DISCORD = platform("discord")

PICTURE = re.compile(r"\[image: getClanRatingChart\.png, (\d+) bytes, image/png\]")


def test_the_profile_names_its_chart_on_every_registered_platform() -> None:
    lines = []
    for index, side in enumerate(platforms()):
        lines += [f"as ann{index} in Clan{index} on {side.name}", f"gmbot setup -name Clan{index}",
                  "gmbot profile -game 4"]
    result = chat(lines)
    assert result.returncode == 0, result.stderr
    per_platform = result.stdout.split("-- ann")[1:]
    assert len(per_platform) == len(platforms())
    for played in per_platform:
        sizes = [int(n) for n in PICTURE.findall(played)]
        assert len(sizes) == 1 and sizes[0] > 1000, played  # a 640 x 320 PNG, drawn by the backend
    assert "Traceback" not in result.stdout + result.stderr


WAR = CONFIRMED_WAR


async def test_an_event_card_fetches_its_picture_when_it_is_posted(spec: BotSpec) -> None:
    """An event card's picture reads the event (`$event.serverId`, `$data...`): the events
    consumer fetches it just before the card is posted, for each clan the event is for."""
    event = spec.event("war.confirmed")
    assert event is not None
    chart = CardImage(operation="getClanRatingChart",
                      request=Request(path={"serverId": "$event.serverId"}, query={"game": "$data.war.game.id"}))
    pictured = spec.model_copy(update={"events": [
        e.model_copy(update={"card": e.card.model_copy(update={"image": chart})}) if e is event else e
        for e in spec.events]})
    out = io.StringIO()
    async with local_backend(application, DISCORD.client) as live:
        backend = BackendClient(live.url, live.api_key, DISCORD.client, routes=ROUTES)
        await Playground({"discord": Core(pictured, backend, "discord")}, out).run(WAR.splitlines())
        await backend.aclose()
    text = out.getvalue()
    confirmed = [part for part in text.split(">> ")[1:] if part.startswith("war.confirmed")]
    assert len(confirmed) == 2, text  # one card for each clan of the war
    for card in confirmed:
        assert PICTURE.search(card), card
    assert "Traceback" not in text
