"""Images at the wire on Telegram: aiogram against the fake Bot API, the real backend behind.

Gmbot's `profile` card carries the clan's rating chart from `getClanRatingChart`: the bot
fetches the PNG and sends it with `sendPhoto` (multipart), the card's text its caption when it
fits Telegram's 1024 characters; a longer card is the photo, then its text. A page button's
edit cannot turn a photo into text (`editMessageText`): the new page is posted instead."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gmbot.chat.vocabulary import Picture, RenderedCard, RenderedField
from gmbot.telegram.api import post
from gmbot.telegram.delivery import event_poster
from gmbot.telegram.messages import CAPTION_MAX, card_to_messages, message_to_text

from .conftest import SECRET, WOLVES, Stack
from .fake_telegram import Call

PUBLIC = "https://gmbot.example.org"
PNG = b"\x89PNG\r\n\x1a\n"


async def ask(stack: Stack, text: str, method: str = "sendPhoto") -> Call:
    """Ann types `text` in the Wolves' group; the bot's answer there by `method`."""
    before = len(stack.fake.of(method))
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), text)
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    calls = await stack.fake.wait_for(lambda c: c.method == method and c.failed is None, count=before + 1)
    return calls[before]


def _keyboard(call: Call) -> Any:
    markup = call.data.get("reply_markup")
    return json.loads(markup) if isinstance(markup, str) else markup


async def test_the_profile_is_the_rating_chart_with_the_card_as_its_caption(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    photo = await ask(stack, "/profile -game 4")
    assert photo.data["photo"]["data"].startswith(PNG)
    assert photo.data["photo"]["filename"] == "getClanRatingChart.png"
    assert photo.result is not None
    assert stack.fake.photos[(WOLVES, photo.result["message_id"])].startswith(PNG)
    assert str(photo.result["caption"]).startswith("Wolves in ")  # the card, as the caption
    assert photo.data["parse_mode"] == "HTML"
    assert photo.data.get("reply_parameters")  # in reply to the command, as every answer

    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)  # the title links the public page as well
    photo = await ask(stack, "/profile -game 4")
    assert f'href="{PUBLIC}/web/clans/telegram/' in str(photo.data["caption"])


async def test_a_card_too_long_for_a_caption_is_the_photo_then_the_text(stack: Stack) -> None:
    card = RenderedCard(title="Chart", description="x" * (CAPTION_MAX + 10),
                        fields=[RenderedField("Rating", "12.5")],
                        pictures={"image": Picture(PNG + b"chart", "image/png", "getChart.png")})
    messages = card_to_messages(card)
    assert [("photo" in m, "text" in m) for m in messages] == [(True, False), (False, True)]
    sent = await post(stack.runtime.bot, WOLVES, messages)
    assert [m.photo is not None for m in sent] == [True, False]
    assert sent[1].text is not None and sent[1].text.startswith("Chart")
    assert message_to_text(messages).startswith("│ [image: getChart.png, 13 bytes, image/png]\n│ *Chart*")


async def test_a_page_button_on_a_photo_posts_the_new_page(stack: Stack) -> None:
    card = RenderedCard(title="Chart", pictures={"image": Picture(PNG + b"chart", "image/png", "getChart.png")})
    [photo] = await post(stack.runtime.bot, WOLVES, card_to_messages(card))
    assert not await stack.runtime._edit(WOLVES, photo.message_id, RenderedCard(title="Page 2"))
    refused = [c for c in stack.fake.of("editMessageText") if c.failed]
    assert refused and "no text in the message" in str(refused[-1].failed)


async def test_an_event_card_with_a_picture_is_a_photo_in_the_group(stack: Stack) -> None:
    deliver = event_poster(stack.runtime.bot)
    card = RenderedCard(title="RESULT", pictures={"image": Picture(PNG + b"chart", "image/png", "getChart.png")})
    await deliver({"id": 9, "type": "war.confirmed", "serverId": str(WOLVES), "channelId": str(WOLVES)}, card)
    [photo] = [c for c in stack.fake.of("sendPhoto") if c.failed is None]
    assert photo.data["photo"]["data"] == PNG + b"chart" and str(photo.data["chat_id"]) == str(WOLVES)
    assert photo.result is not None and photo.result["caption"] == "RESULT"
