"""A card's `image:` and `thumbnail:` (URL templates): only http(s) addresses are kept, and each
platform's converter places them (Discord: the embed's image and thumbnail; Slack: an image block
and the first section's accessory; Telegram: the first message's link preview), read back in
the playground as `[image: URL]`."""

from __future__ import annotations

from gmbot.chat.cards import CardRenderer, card_to_text
from gmbot.chat.vocabulary import RenderedCard, RenderedField
from gmbot.discord.embeds import card_to_embeds, card_to_message, embeds_to_text
from gmbot.slack import blocks
from gmbot.spec.model import BotSettings, Card
from gmbot.telegram import messages

CHART = "https://example.org/chart.png?game=4&season=3"
ICON = "https://example.org/icon.png"


def render(card: Card, reply: dict[str, object]) -> RenderedCard:
    return CardRenderer(BotSettings(name="B", client="C")).render(card, {"reply": reply})


def test_only_http_addresses_are_kept() -> None:
    card = Card(title="x", image="{{ reply.chart }}", thumbnail="{{ reply.icon }}")
    shown = render(card, {"chart": CHART, "icon": ICON})
    assert (shown.image, shown.thumbnail) == (CHART, ICON)
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "", None):
        shown = render(card, {"chart": bad, "icon": bad})
        assert (shown.image, shown.thumbnail) == (None, None), bad
    assert render(card, {}).image is None  # a reply without it (no public address): no image


def card(**pictures: str) -> RenderedCard:
    return RenderedCard(title="Wolves *1*", description="Rank #1",
                        fields=[RenderedField("Rating", "25.0", True)], **pictures)


def test_discord_puts_the_thumbnail_beside_and_the_image_under() -> None:
    embeds = card_to_embeds(card(image=CHART, thumbnail=ICON))
    assert embeds[0]["thumbnail"] == {"url": ICON} and embeds[-1]["image"] == {"url": CHART}
    assert all("image" not in e and "thumbnail" not in e for e in card_to_embeds(card()))
    text = embeds_to_text(card_to_message(card(image=CHART)))
    assert f"[image: {CHART}]" in text


def test_slack_has_an_image_block_and_a_thumbnail_accessory() -> None:
    shown = blocks.card_to_message(card(image=CHART, thumbnail=ICON))["attachments"][0]["blocks"]
    [image] = [b for b in shown if b["type"] == "image"]
    assert image == {"type": "image", "image_url": CHART, "alt_text": "Wolves *1*"}
    first = next(b for b in shown if b["type"] == "section")
    assert first["accessory"] == {"type": "image", "image_url": ICON, "alt_text": "Wolves *1*"}
    # a card with no section: the thumbnail is a small image in a context line
    bare = blocks.card_to_message(RenderedCard(title="t", thumbnail=ICON))["attachments"][0]["blocks"]
    assert {"type": "image", "image_url": ICON, "alt_text": "t"} in [e for b in bare for e in b.get("elements", [])]
    text = blocks.message_to_text(blocks.card_to_message(card(image=CHART, thumbnail=ICON)))
    assert f"[image: {CHART}]" in text and f"[thumbnail: {ICON}]" in text
    # an address longer than Slack takes is left out, not cut
    assert not [b for b in blocks.card_to_message(card(image=CHART + "x" * 3000))["attachments"][0]["blocks"]
                if b["type"] == "image"]


def test_telegram_shows_the_picture_as_the_link_preview() -> None:
    [first] = messages.card_to_messages(card(image=CHART, thumbnail=ICON))
    assert first["link_preview_options"] == {"url": CHART, "show_above_text": False, "prefer_large_media": True}
    [small] = messages.card_to_messages(card(thumbnail=ICON))
    assert small["link_preview_options"] == {"url": ICON, "show_above_text": False, "prefer_small_media": True}
    assert "link_preview_options" not in messages.card_to_messages(card())[0]
    assert f"[image: {CHART}]" in messages.message_to_text([first])


def test_the_plain_text_prints_them() -> None:
    text = card_to_text(card(image=CHART, thumbnail=ICON))
    assert f"[image: {CHART}]" in text and f"[thumbnail: {ICON}]" in text
