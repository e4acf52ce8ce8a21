"""Images at the wire on Slack: Bolt and slack-sdk against the fake Slack, the real backend behind.

Gmbot's `profile` card carries the clan's rating chart from `getClanRatingChart`: the bot
fetches the PNG, uploads it privately (files.getUploadURLExternal, the upload POST,
files.completeUploadExternal without a channel) with the workspace's token, and the card's
image block shows it by its file id (`slack_file`), after the card's body, its alt text the
card's title; with or without a public address. A chart that cannot be uploaded leaves the
card without it; the card itself is posted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gmbot.chat.backoff import Backoff
from gmbot.chat.core import Core
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.chat.vocabulary import Picture, RenderedCard
from gmbot.slack.app import web_client
from gmbot.slack.blocks import card_to_message, message_to_text
from gmbot.slack.delivery import event_poster
from gmbot.spec.model import BotSpec, CardImage, Request

from .conftest import TOKEN, Stack
from .test_delivery import BEAR_CHANNEL, LION_CHANNEL, clans, posts, token_for, war_request
from .test_wire import ALICE, command, header

PUBLIC = "https://gmbot.example.org"
PNG = b"\x89PNG\r\n\x1a\n"


def images(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for a in message.get("attachments") or [] for b in a["blocks"] if b["type"] == "image"]


async def test_the_profile_uploads_the_rating_chart_and_shows_it_in_an_image_block(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    profile = await command(stack, "profile -game 4", user=ALICE)
    [image] = images(profile)
    file = stack.fake.files[image["slack_file"]["id"]]
    assert file["data"].startswith(PNG) and file["complete"] and file["filename"] == "getClanRatingChart.png"
    assert file["token"] == TOKEN and file["channels"] == []  # private to the bot: shown by the card only
    assert image["alt_text"] == header(profile)  # what a screen reader says: the card's title
    blocks = profile["attachments"][0]["blocks"]
    assert blocks.index(image) > max(i for i, b in enumerate(blocks) if b["type"] == "section")
    [complete] = stack.fake.of("files.completeUploadExternal")
    assert '"highlight_type": "png"' in str(complete.data["files"])  # an image at once, for the block

    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)  # the title's link to the public page as well
    profile = await command(stack, "profile -game 4", user=ALICE)
    assert len(images(profile)) == 1
    context = [e["text"] for b in profile["attachments"][0]["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any(f"{PUBLIC}/web/clans/slack/" in text for text in context)


async def test_a_mention_uploads_the_chart_too(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    await stack.wire.mention("<@UGMBOT> profile -game 4", user=ALICE[0], event_id="Ev-profile")
    [posted] = await stack.fake.wait_for(lambda c: c.method == "chat.postMessage" and not c.failed)
    [image] = images(posted.data)
    assert stack.fake.files[image["slack_file"]["id"]]["data"].startswith(PNG)


async def test_a_chart_that_cannot_be_uploaded_leaves_the_card_without_it(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    stack.fake.fail_calls("files.getUploadURLExternal", "missing_scope")  # an app without files:write
    profile = await command(stack, "profile -game 4", user=ALICE)
    assert header(profile).startswith("Wolves") and images(profile) == []


def test_the_playground_names_the_picture_it_would_upload() -> None:
    card = RenderedCard(title="Chart", pictures={"image": Picture(PNG + b"...", "image/png", "getChart.png")})
    assert "[image: getChart.png, 11 bytes, image/png]" in message_to_text(card_to_message(card))
    assert images(card_to_message(card, {})) == []  # not uploaded: left out


async def test_an_event_card_uploads_its_picture_with_the_workspace_token(stack: Stack, spec: BotSpec,
                                                                          tmp_path: Path) -> None:
    """An event card's picture (read from the event: `$event.serverId`, `$data...`) is fetched by
    the events consumer before the post and uploaded with the token of the event's workspace."""
    chart = CardImage(operation="getClanRatingChart",
                      request=Request(path={"serverId": "$event.serverId"}, query={"game": "$data.war.game.id"}))
    pictured = spec.model_copy(update={"events": [
        e.model_copy(update={"card": e.card.model_copy(update={"image": chart})}) if e.name == "war.requested" else e
        for e in spec.events]})
    await clans(stack)
    await war_request(stack)
    deliver = event_poster(token_for, web_client(None, stack.fake.api_url, retry_rate_limits=False))
    core = Core(pictured, stack.runtime.backend, "slack")
    assert await EventConsumer(core, stack.runtime.backend, CursorStore(tmp_path / "cursor"), deliver, wait=0,
                               backoff=Backoff(initial=0.05)).poll() == 2
    for channel in (BEAR_CHANNEL[0], LION_CHANNEL[0]):
        [post] = posts(stack, channel)
        [image] = images(post.data)
        assert stack.fake.files[image["slack_file"]["id"]]["data"].startswith(PNG)
