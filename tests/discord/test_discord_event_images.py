"""An event card's picture on Discord: py-cord posts it to the clan's channel as a file of the
message (multipart), the embed naming it, through the events consumer's poster (`post_event`),
against the fake Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import discord
import pytest

from gmbot.chat.vocabulary import Picture, RenderedCard
from gmbot.discord.delivery import post_event

from .fake_discord import FakeDiscord

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        monkeypatch.setattr(discord.http.Route, "API_BASE_URL", server.api_url)  # DISCORD_API_BASE_URL's doing
        yield server


async def test_an_event_card_posts_its_picture_as_a_file_of_the_message(fake: FakeDiscord) -> None:
    wolves = fake.add_guild("Wolves", members=["alice"], channels=["wars"])
    bot = discord.Client(intents=discord.Intents(guilds=True))
    task = asyncio.create_task(bot.start(fake.token))
    try:
        await fake.wait_for_session()
        card = RenderedCard(title="RESULT", pictures={"image": Picture(PNG, "image/png", "getClanRatingChart.png")})
        event = {"id": 7, "type": "war.confirmed", "serverId": str(wolves.id), "channelId": str(wolves.channel("wars").id)}
        await post_event(bot, event, card)
        posted = await fake.wait_for_message(wolves.channel("wars"))
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    [attachment] = posted["attachments"]
    assert attachment["filename"] == "image-getClanRatingChart.png" and fake.uploads[attachment["url"]] == PNG
    assert posted["embeds"][0]["image"]["url"] == attachment["url"] and posted["nonce"] == "gmbot-ev-7"
