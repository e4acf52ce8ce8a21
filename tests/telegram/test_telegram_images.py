"""Images at the wire on Telegram (spec `image:` / `thumbnail:` on a card): the card's picture is
the message's link preview (large, under the text); a card without one has no preview at all.
Gmbot's `profile` shows the clan's rating chart when the backend has a public address."""

from __future__ import annotations

import json

import pytest

from .conftest import WOLVES, Stack, title

PUBLIC = "https://gmbot.example.org"


def _preview(options: object) -> dict[str, object]:
    # aiogram posts a nested object as JSON text in a form field
    return json.loads(options) if isinstance(options, str) else dict(options)  # type: ignore[arg-type]


async def test_the_profile_card_shows_the_rating_chart_as_its_link_preview(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    answer = await stack.say(WOLVES, "Ann", "/profile -game 4")
    preview = _preview(answer.data["link_preview_options"])
    assert str(preview["url"]).startswith(f"{PUBLIC}/web/clans/telegram/")
    assert "/chart.png" in str(preview["url"])
    assert preview.get("prefer_large_media") is True and not preview.get("is_disabled")
    assert title(answer).startswith("Wolves")


async def test_without_a_public_address_there_is_no_image(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    answer = await stack.say(WOLVES, "Ann", "/profile -game 4")
    assert _preview(answer.data["link_preview_options"]) == {"is_disabled": True}
