"""Text is data on Telegram: what users typed reaches every group as those characters.

A clan named with HTML, a broadcast-looking mention and a link; a war message with a
command, a username and a URL in it. Telegram must accept every message (no "can't parse
entities"), show the text as typed, and find no mention, command, hashtag or link in it;
the card author's own bold and links still work.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gmbot.chat.markup import data
from gmbot.chat.vocabulary import RenderedCard
from gmbot.telegram.messages import card_to_messages

from .conftest import BEARS, LIONS, WOLVES, Stack, shown, title
from .fake_telegram import Call, parse_html
from .test_events import clans, consumer, event_posts, war_request

HOSTILE = '<b>x</b> @everyone <a href="https://evil.example">'
LINKS = {"mention", "url", "text_link", "bot_command", "hashtag", "email", "text_mention"}


def found_in(call: Call, words: tuple[str, ...]) -> list[dict[str, Any]]:
    """Entities Telegram made of the hostile text (any entity over one of `words`)."""
    text = str(call.result["text"]) if call.result else ""  # as sent: offsets count the joiners
    entities = call.data["_entities"]
    return [e for e in entities if e["type"] in LINKS
            and any(w in text.encode("utf-16-le")[e["offset"] * 2:(e["offset"] + e["length"]) * 2]
                    .decode("utf-16-le").replace("\u2060", "") for w in words)]


async def test_a_hostile_clan_name_is_shown_as_typed_and_links_nothing(stack: Stack) -> None:
    welcome = await stack.say(WOLVES, "Ann", f"/setup -name {HOSTILE}")
    assert title(welcome) == f"Welcome, {HOSTILE}!"
    assert found_in(welcome, ("everyone", "evil")) == []
    assert "<b>x</b>" in shown(welcome)  # the characters, not a tag


async def test_hostile_text_in_events_and_war_messages(stack: Stack, tmp_path: Path) -> None:
    await clans(stack)
    await stack.say(BEARS, "Bruno", f"/update -name {HOSTILE}")
    war_id = await war_request(stack)
    feed = consumer(stack, tmp_path)
    await feed.poll(wait=0)
    [request] = event_posts(stack, LIONS)
    assert f"{HOSTILE} is looking for an opponent" in shown(request)
    assert found_in(request, ("everyone", "evil")) == []
    assert any(e["type"] == "bold" for e in request.data["_entities"])  # the author's **...**

    await stack.say(LIONS, "Carl", f"/accept -war {war_id} -players @carl")
    said = "see /createwar@GmBot and @ann at https://evil.example #win a@b.example <i>hi</i>"
    sent = await stack.say(BEARS, "Bruno", f'/say -war {war_id} -message "{said}"')
    assert "Traceback" not in shown(sent)
    while not [c for c in event_posts(stack, LIONS) if title(c).startswith("Message from")]:
        await feed.poll(wait=0)
    [message] = [c for c in event_posts(stack, LIONS) if title(c).startswith("Message from")]
    assert said in shown(message)
    assert found_in(message, ("createwar", "ann", "evil", "win", "b.example")) == []


def test_every_hostile_part_of_a_card_parses_as_telegram_html() -> None:
    value = data(HOSTILE)  # as the renderer marks a value
    card = RenderedCard(title=value, description=f"**{value}** & [ok](https://gmbot.example/a?b=1&c=2)",
                        footer=value, url="https://gmbot.example/x?y=1&z=2")
    [message] = card_to_messages(card)
    text, entities = parse_html(message["text"])
    assert text.count(HOSTILE) == 0 and text.replace("\u2060", "").count(HOSTILE) == 3
    links = [e["url"] for e in entities if e["type"] == "text_link"]
    assert links == ["https://gmbot.example/x?y=1&z=2", "https://gmbot.example/a?b=1&c=2"]
