"""Confirmations at the wire (spec `confirm:`): py-cord against the fake Discord, the real
backend behind. A destructive command or button answers with an ephemeral prompt (Confirm /
Cancel); the answer replaces the prompt (interaction callback type 7); only the one who ran
the command may confirm it."""

from __future__ import annotations

from typing import Any

import pytest

from .fake_discord import EPHEMERAL, UPDATE_MESSAGE, Guild
from .stage import WAR_GAME, Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for row in message.get("components") or [] for b in row["components"]]


async def create_war(s: Stage, wolves: Guild, count: int) -> tuple[str, dict[str, Any]]:
    d = s.discord
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                wolves.channel("general"))
    card = await d.wait_for_message(wolves.channel("general"), count, where=lambda m: "created" in title(m))
    return title(card).split()[2], card


async def test_a_destructive_command_asks_its_author_first(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war_id, _ = await create_war(s, wolves, 1)

    prompt = await d.reply_to(await d.slash(wolves, "alice", "removewar", wolves.channel("general"), war=war_id))
    assert prompt["flags"] & EPHEMERAL and title(prompt) == f"Remove war request {war_id}?"
    assert labels(prompt) == ["Remove it", "Keep it"]
    kept = await d.reply_to(await d.click(wolves, "alice", prompt, "Keep it"))
    assert kept["_callback_type"] == UPDATE_MESSAGE and kept["id"] == prompt["id"] and title(kept) == "Cancelled"
    assert labels(kept) == []  # the prompt is done: no buttons left

    prompt = await d.reply_to(await d.slash(wolves, "alice", "removewar", wolves.channel("general"), war=war_id))
    # bob may remove wars too, but this prompt is alice's
    stranger = await d.reply_to(await d.click(wolves, "bob", prompt, "Remove it"))
    assert title(stranger) == "Not yours to confirm" and stranger["flags"] & EPHEMERAL and stranger["id"] != prompt["id"]
    await s.stop_bots()
    await s.start_bot()  # the prompt carries what it needs: it still works in a new process
    removed = await d.reply_to(await d.click(wolves, "alice", prompt, "Remove it"))
    assert removed["_callback_type"] == UPDATE_MESSAGE and removed["id"] == prompt["id"]
    assert title(removed) == f"War {war_id} removed"
    again = await d.reply_to(await d.click(wolves, "alice", removed | {"components": prompt["components"]},
                                           "Remove it"))
    assert title(again) == "Conflict" and "no longer open" in again["embeds"][0]["description"]  # removed already


async def test_a_destructive_button_asks_in_an_ephemeral_prompt(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war_id, card = await create_war(s, wolves, 1)
    assert labels(card) == ["Withdraw"]

    prompt = await d.reply_to(await d.click(wolves, "alice", card, "Withdraw"))
    assert prompt["flags"] & EPHEMERAL and title(prompt) == f"Withdraw war request {war_id}?"
    assert labels(prompt) == ["Withdraw", "Keep it"]
    withdrawn = await d.reply_to(await d.click(wolves, "alice", prompt, "Withdraw"))
    assert withdrawn["_callback_type"] == UPDATE_MESSAGE and withdrawn["id"] == prompt["id"]
    assert title(withdrawn) == f"War {war_id} withdrawn"
    # the war is gone: removing it now is refused
    refused = await d.reply_to(await d.click(wolves, "alice", prompt, "Withdraw"))
    assert title(refused) == "Conflict" and "no longer open" in refused["embeds"][0]["description"]


async def test_a_private_reply_is_ephemeral(s: Stage) -> None:
    """`private: true` on available's reply card: only the one who asked sees it."""
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    mine = await d.reply_to(await d.slash(wolves, "bob", "available", wolves.channel("general")))
    assert title(mine).endswith("is now available for wars") and mine["flags"] & EPHEMERAL
    public = await d.reply_to(await d.slash(wolves, "bob", "games", wolves.channel("general")))
    assert not public["flags"] & EPHEMERAL  # a reply not marked private is for the channel
