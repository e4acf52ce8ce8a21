"""Images at the wire on Slack (spec `image:` / `thumbnail:` on a card): an image block after the
card's body, its alt text the card's title. Gmbot's `profile` shows the clan's rating chart when
the backend has a public address, and no image block without one."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Stack
from .test_wire import ALICE, command, header

PUBLIC = "https://gmbot.example.org"


def images(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for a in message.get("attachments") or [] for b in a["blocks"] if b["type"] == "image"]


async def test_the_profile_card_has_the_rating_chart_as_an_image_block(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)
    profile = await command(stack, "profile -game 4", user=ALICE)
    [image] = images(profile)
    assert image["image_url"].startswith(f"{PUBLIC}/web/clans/slack/") and "/chart.png" in image["image_url"]
    assert image["alt_text"] == header(profile)  # what a screen reader says: the card's title
    blocks = profile["attachments"][0]["blocks"]
    assert blocks.index(image) > max(i for i, b in enumerate(blocks) if b["type"] == "section")

    monkeypatch.delenv("GMBOT_PUBLIC_URL")
    assert images(await command(stack, "profile -game 4", user=ALICE)) == []
