"""`gmbot bot` at the wire: py-cord's own client against the fake Discord, the real backend behind.

Each test starts the bot through its entry point with DISCORD_API_BASE_URL pointing at
the fake, and waits on what the bot sends to Discord, never on sleeps.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from .fake_discord import EPHEMERAL, FakeDiscord, Guild
from .stage import WAR_GAME, Stage, stage, title

# Discord's gateway intents (https://discord.com/developers/docs/events/gateway#list-of-intents)
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 1, 1 << 9, 1 << 15


def command_writes(discord: FakeDiscord) -> list[str]:
    """Calls that change registered commands."""
    return [f"{c.method} {c.path}" for c in discord.find_calls(path=r"/applications/.*/commands.*")
            if c.method != "GET"]


def command_reads(discord: FakeDiscord) -> list[str]:
    return [c.path for c in discord.find_calls("GET", r"/applications/.*/commands")]


async def war_between(s: Stage, wolves: Guild, bears: Guild) -> str:
    """Wolves ask for a war (prefix), Bears accept it (slash): the war id."""
    d = s.discord
    mark = len(d.posted(wolves.channel("wars")))
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> "
                f"<@{wolves.member('bob').id}> -game {WAR_GAME} -duration 12", wolves.channel("wars"))
    created = await d.wait_for_message(wolves.channel("wars"), where=lambda m: "created" in title(m))
    war_id = title(created).split()[2]
    assert d.posted(wolves.channel("wars"))[mark:]  # answered in the channel it was asked in
    accepted = await d.reply_to(await d.slash(
        bears, "bruno", "accept", bears.channel("wars"), war=war_id,
        players=f"<@{bears.member('bruno').id}> <@{bears.member('carl').id}>"))
    assert title(accepted) == f"War {war_id}: Wolves vs Bears", accepted
    return war_id


async def test_a_war_at_the_wire(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        d = s.discord
        wolves, bears = await s.two_clans()
        await s.sync_commands()
        registered = {c["name"] for c in d.commands[None]}
        await s.start_bot()

        identify = d.sessions[0].identify
        assert identify is not None and identify["token"] == d.token
        # guilds, their messages and their content (prefix commands); never the members list
        assert identify["intents"] == GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT
        assert not identify["intents"] & GUILD_MEMBERS

        await s.set_up_clans(wolves, bears)
        war_id = await war_between(s, wolves, bears)

        # the events feed: Bears (subscribed to the game) heard of the request, both of the war
        requested = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "NEW WAR REQUEST")
        fields = {f["name"]: f["value"] for f in requested["embeds"][0]["fields"]}
        assert fields["War id"] == war_id and fields["Clan"] == "Wolves"
        for guild in (wolves, bears):
            on = await d.wait_for_message(guild.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
            assert title(on) == "WAR ON: Wolves vs Bears"
        assert not d.posted(wolves.channel("general")) and not d.posted(bears.channel("general"))

        # players by mention: carl is in no cache of the bot (no members intent): asked from Discord
        fetched = {c.path for c in d.find_calls("GET", r"/guilds/\d+/members/\d+")}
        assert f"/guilds/{bears.id}/members/{bears.member('carl').id}" in fetched
        shown = await d.reply_to(await d.slash(wolves, "bob", "war", war=war_id))
        values = {f["name"]: f["value"] for f in shown["embeds"][0]["fields"]}
        assert values["Bears"] == "bruno, carl" and values["Wolves"] == "alice, bob"
        assert shown["_callback_type"] == 4 and not shown["flags"] & EPHEMERAL

        # the bot wrote no commands of its own: `gmbot sync-commands` is the only writer
        assert command_writes(d) == ["PUT " + f"/applications/{d.application_id}/commands"]
        assert {c["name"] for c in d.commands[None]} == registered


async def test_a_slow_answer_is_deferred_then_followed_up(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        d = s.discord
        wolves, bears = await s.two_clans()
        await s.sync_commands()
        await s.start_bot()
        await s.set_up_clans(wolves, bears)
        # Discord takes 2.3 s to tell who carl is: more than the bot waits before deferring
        d.slow("GET", rf"/guilds/{bears.id}/members/{bears.member('carl').id}", 2.3)
        interaction = await d.slash(bears, "bruno", "createwar", bears.channel("wars"),
                                    players=f"<@{bears.member('carl').id}>", game=WAR_GAME)
        reply = await d.reply_to(interaction)
        assert reply["_callback_type"] == 5  # deferred, then answered by a follow-up
        assert title(reply).startswith("War request") and title(reply).endswith("created")
        assert not reply["flags"] & EPHEMERAL


async def test_a_prefix_message_in_a_channel(tmp_path: Path) -> None:
    async with stage(tmp_path) as s:
        d = s.discord
        wolves, _ = await s.two_clans()
        await s.start_bot()
        await d.say(wolves, "alice", "gmbot games")
        games = await d.wait_for_message(wolves.channel("wars"))
        assert title(games).startswith("Games") and games["embeds"][0]["fields"], games
        await d.say(wolves, "alice", "hello there, no command here")
        await d.say(wolves, "alice", "gmbot help")
        helped = await d.wait_for_message(wolves.channel("wars"), 2)
        assert "createwar" in str(helped["embeds"])
        assert len([m for m in d.posted(wolves.channel("wars")) if m["author"]["id"] == str(d.bot.id)]) == 2


async def test_a_vote_button_clicked_after_the_bot_restarted(tmp_path: Path) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    async with stage(tmp_path) as s:
        d = s.discord
        wolves, bears = await s.two_clans()
        await s.sync_commands()
        await s.start_bot()
        await s.set_up_clans(wolves, bears)
        war_id = await war_between(s, wolves, bears)
        assert await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13)) == [war_id]
        ended = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "WHO WON?")
        assert [b["label"] for row in ended["components"] for b in row["components"]][:2] == ["We won", "We lost"]

        await s.stop_bots()
        await s.start_bot()  # a new process: nothing of the old one's memory survives
        vote = await d.reply_to(await d.click(bears, "bruno", ended, "We won"))
        assert title(vote) == f"Vote recorded for war {war_id}", vote
