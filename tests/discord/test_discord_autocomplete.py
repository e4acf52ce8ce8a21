"""Autocomplete at the wire (spec `autocomplete:`): py-cord answers Discord's autocomplete
interactions with the backend's suggestions for what is typed so far, at most 25 choices of
the option's type, within Discord's window."""

from __future__ import annotations

import pytest

from .fake_discord import AUTOCOMPLETE_RESULT, Guild
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


async def _quokkas(s: Stage, guild: Guild) -> tuple[str, str]:
    """`guild` set up as a clan named after its id (no other test's clan starts with that
    name): its name and its server id."""
    name = f"Quokkas {guild.id}"
    await s.discord.say(guild, "quinn", f'gmbot setup -name "{name}"', guild.channel("wars"))
    welcome = await s.discord.wait_for_message(guild.channel("wars"))
    assert welcome["embeds"][0]["title"] == f"Welcome, {name}!", welcome
    return name, str(guild.id)


async def test_typing_a_clan_s_name_suggests_that_clan_by_its_id(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    quokkas = d.add_guild("Quokkas", members=["quinn"], channels=["wars"])
    await s.sync_commands()
    await s.start_bot()
    name, server_id = await _quokkas(s, quokkas)
    for command in ("h2h", "history"):  # every option that names a clan
        option = next(o for o in d.registered(command)["options"] if o["name"] == "opponent")
        assert option["autocomplete"] is True
        typed = await d.autocomplete(wolves, "alice", command, "opponent", name.lower()[:-2])
        assert await d.choices(typed) == [{"name": f"{name} ({server_id})", "value": server_id}], command
        assert typed.response_type == AUTOCOMPLETE_RESULT
    assert await d.choices(await d.autocomplete(wolves, "alice", "h2h", "opponent", f"{name}x")) == []


async def test_a_clan_s_name_typed_as_a_prefix_command_gets_a_did_you_mean(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    quokkas = d.add_guild("Quokkas", members=["quinn"], channels=["wars"])
    await s.start_bot()
    name, server_id = await _quokkas(s, quokkas)
    await d.say(wolves, "alice", f'gmbot h2h -opponent "{name}"', wolves.channel("wars"))
    card = await d.wait_for_message(wolves.channel("wars"))
    fields = {f["name"]: f["value"] for f in card["embeds"][0]["fields"]}
    assert fields["Did you mean"] == f"-opponent {server_id}: {name} ({server_id})", fields
