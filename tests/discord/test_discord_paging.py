"""Paging at the wire (spec `paging:`): py-cord's own client against the fake Discord, the real
backend behind. Prev / Next under a list card edit that very message (interaction callback
type 7), keep the command's options, disappear at the ends and work after a restart."""

from __future__ import annotations

from typing import Any

import pytest

from .fake_discord import UPDATE_MESSAGE
from .stage import Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for row in message.get("components") or [] for b in row["components"] if b["type"] == 2]


def names(message: dict[str, Any]) -> list[str]:
    return [f["name"] for f in message["embeds"][0].get("fields") or []]


async def test_next_and_previous_edit_the_card_in_place_and_keep_the_options(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    first = await d.reply_to(await d.slash(wolves, "alice", "games", limit=2))
    total = int(title(first).removeprefix("Games (").removesuffix(")"))  # the catalogue's, from the reply
    assert total >= 3, "the catalogue needs three games for two pages of two"
    assert labels(first) == ["Next ▶"] and len(names(first)) == 2  # nothing before the first page
    seen = list(names(first))

    # a new process: the buttons carry what they need (the options and the offset)
    await s.stop_bots()
    await s.start_bot()
    message, clicks = first, 0
    while "Next ▶" in labels(message):
        clicked = await d.click(wolves, "bob", message, "Next ▶")
        page = await d.reply_to(clicked)
        clicks += 1
        assert page["_callback_type"] == UPDATE_MESSAGE and page["id"] == first["id"]  # the same message
        assert len(names(page)) <= 2 and "◀ Previous" in labels(page)  # limit 2 kept
        seen += names(page)
        message = page
    assert clicks == (total + 1) // 2 - 1 and len(seen) == total == len(set(seen))
    assert labels(message) == ["◀ Previous"]  # nothing after the last page

    back = await d.reply_to(await d.click(wolves, "alice", message, "◀ Previous"))
    assert names(back) == seen[-2 - (total % 2 or 2):len(seen) - (total % 2 or 2)]
    assert title(back).startswith("Games") and back["id"] == first["id"]
    # the channel holds one card: every page was an edit, never a new message
    assert [m["id"] for m in d.posted(wolves.channel()) if m["author"]["id"] == str(d.bot.id)] == [first["id"]]


async def test_a_forged_page_button_is_refused_in_words(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    first = await d.reply_to(await d.slash(wolves, "alice", "games", limit=2))

    def forged(custom_id: str) -> dict[str, Any]:
        return {**first, "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "Next ▶", "custom_id": custom_id}]}]}

    beyond = await d.reply_to(await d.click(wolves, "bob", forged('gm:["p","games","200",1,[2000000,2]]'), "Next ▶"))
    assert "offset must be at most" in title(beyond) and beyond["flags"] & 64  # the clicker's only
    negative = await d.reply_to(await d.click(wolves, "bob", forged('gm:["p","games","200",1,[-5,2]]'), "Next ▶"))
    assert title(negative) == "This button no longer works" and negative["flags"] & 64
    assert first["embeds"] == (await d.wait_for_message(wolves.channel()))["embeds"]  # the card untouched


async def test_a_command_named_in_a_card_is_written_as_its_slash_command(s: Stage) -> None:
    """`{{ command('subscribe', games='4,5') }}` in the games card: Discord's syntax."""
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    games = await d.reply_to(await d.slash(wolves, "alice", "games"))
    assert games["embeds"][-1]["footer"]["text"] == "Subscribe with: /subscribe games:4,5"
