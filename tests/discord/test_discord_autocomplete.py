"""Autocomplete at the wire (spec `autocomplete:`): py-cord answers Discord's autocomplete
interactions with the backend's suggestions for what is typed so far, at most 25 choices of
the option's type, within Discord's window."""

from __future__ import annotations

import pytest

from .fake_discord import AUTOCOMPLETE_RESULT
from .stage import Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


async def test_typing_a_game_suggests_the_games_of_that_name(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    option = next(o for o in d.registered("createwar")["options"] if o["name"] == "game")
    assert option["autocomplete"] is True  # registered as Discord needs it
    await s.start_bot()

    typed = await d.autocomplete(wolves, "alice", "createwar", "game", "fort")
    assert await d.choices(typed) == [{"name": "Fortnite (5)", "value": 5}]  # an integer option: integer values
    assert typed.response_type == AUTOCOMPLETE_RESULT
    everything = await d.choices(await d.autocomplete(wolves, "alice", "createwar", "game", ""))
    assert 1 < len(everything) <= 25 and {c["value"] for c in everything} >= {4, 5}
    assert await d.choices(await d.autocomplete(wolves, "alice", "createwar", "game", "no such game")) == []
    # a list of games (a text option on Discord): the last one is completed, the others kept
    listed = await d.choices(await d.autocomplete(wolves, "alice", "subscribe", "games", "4, mini"))
    assert listed == [{"name": "Mini Militia (4)", "value": "4,4"}]


async def test_a_bad_value_typed_as_a_prefix_command_gets_a_did_you_mean(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game fortnite")
    card = await d.wait_for_message(wolves.channel("wars"))
    fields = {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}
    assert fields["Did you mean"] == "-game 5: Fortnite (5)", fields
