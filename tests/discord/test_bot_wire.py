"""`gmbot bot` at the wire: py-cord's own client against the fake Discord, the real backend behind.

Each test starts the bot through its entry point with DISCORD_API_BASE_URL pointing at
the fake, and waits on what the bot sends to Discord, never on sleeps.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from .fake_discord import EPHEMERAL, FakeDiscord, Guild
from .stage import WAR_GAME, Stage, title

# Discord's gateway intents (https://discord.com/developers/docs/events/gateway#list-of-intents)
GUILDS, GUILD_MEMBERS, GUILD_MESSAGES, MESSAGE_CONTENT = 1 << 0, 1 << 1, 1 << 9, 1 << 15

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


def command_writes(discord: FakeDiscord) -> list[str]:
    """Calls that change registered commands."""
    return [f"{c.method} {c.path}" for c in discord.find_calls(path=r"/applications/.*/commands.*")
            if c.method != "GET"]


def command_reads(discord: FakeDiscord) -> list[str]:
    return [c.path for c in discord.find_calls("GET", r"/applications/.*/commands")]


async def war_between(s: Stage, wolves: Guild, bears: Guild) -> str:
    """Wolves ask for a war (prefix), Bears accept it (slash), both in #general (events go to
    the clans' #wars): the war id."""
    d = s.discord
    await d.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> "
                f"<@{wolves.member('bob').id}> -game {WAR_GAME} -duration 12", wolves.channel("general"))
    created = await d.wait_for_message(wolves.channel("general"), where=lambda m: "created" in title(m))
    war_id = title(created).split()[2]
    accepted = await d.reply_to(await d.slash(
        bears, "bruno", "accept", bears.channel("general"), war=war_id,
        players=f"<@{bears.member('bruno').id}> <@{bears.member('carl').id}>"))
    assert title(accepted) == f"War {war_id}: Wolves vs Bears", accepted
    return war_id


async def test_a_war_at_the_wire(s: Stage) -> None:
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
    for guild in (wolves, bears):  # commands were answered in #general, events only in #wars
        assert not [m for m in d.posted(guild.channel("general")) if title(m) in ("NEW WAR REQUEST", "WAR ON")]

    # players by mention: in a message, Discord sends the mentioned members along (alice and
    # bob: nothing asked); a slash option is only text, and carl is in no cache of the bot
    # (no members intent): asked from Discord
    fetched = {c.path for c in d.find_calls("GET", r"/guilds/\d+/members/\d+")}
    assert f"/guilds/{bears.id}/members/{bears.member('carl').id}" in fetched
    assert not [p for p in fetched if p.startswith(f"/guilds/{wolves.id}/")]
    shown = await d.reply_to(await d.slash(wolves, "bob", "war", war=war_id))
    values = {f["name"]: f["value"] for f in shown["embeds"][0]["fields"]}
    assert values["Bears"] == "bruno, carl" and values["Wolves"] == "alice, bob"
    assert shown["_callback_type"] == 4 and not shown["flags"] & EPHEMERAL

    # the bot wrote no commands of its own: `gmbot sync-commands` is the only writer
    assert command_writes(d) == ["PUT " + f"/applications/{d.application_id}/commands"]
    assert {c["name"] for c in d.commands[None]} == registered


async def test_a_slow_answer_is_deferred_then_followed_up(s: Stage) -> None:
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


async def test_a_prefix_message_in_a_channel(s: Stage) -> None:
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


async def test_a_vote_button_clicked_after_the_bot_restarted(s: Stage) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war_id = await war_between(s, wolves, bears)
    assert war_id in await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    ended = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "WHO WON?")
    assert [b["label"] for row in ended["components"] for b in row["components"]][:2] == ["We won", "We lost"]

    await s.stop_bots()
    await s.start_bot()  # a new process: nothing of the old one's memory survives
    vote = await d.reply_to(await d.click(bears, "bruno", ended, "We won"))
    assert title(vote) == f"Vote recorded for war {war_id}", vote


async def test_two_shards_each_post_their_own_guilds_events(s: Stage) -> None:
    d = s.discord
    wolves = d.add_guild("Wolves", members=["alice", "bob"], channels=["wars", "general"], shard=0, shard_count=2)
    bears = d.add_guild("Bears", members=["bruno", "carl"], channels=["wars", "general"], shard=1, shard_count=2)
    await s.sync_commands()
    tokens = [d.allow_token(f"token-of-shard-{n}") for n in (0, 1)]
    for n in (0, 1):  # two processes, one shard each
        await s.start_bot("--shard-count", "2", "--shard-ids", str(n), "--cursor-file", str(s.tmp / f"c{n}"),
                          token=tokens[n])
    for n, guild in enumerate((wolves, bears)):
        [session] = [x for x in d.sessions if x.identify and x.identify["token"] == tokens[n]]
        assert session.identify is not None and session.identify["shard"] == [n, 2]
        ready = next(p for p in session.sent if p["t"] == "READY")
        assert [g["id"] for g in ready["d"]["guilds"]] == [str(guild.id)]

    await s.set_up_clans(wolves, bears)
    await war_between(s, wolves, bears)
    for n, guild in enumerate((wolves, bears)):
        await d.wait_for_message(guild.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
        posts = d.find_calls("POST", rf"/channels/{guild.channel('wars').id}/messages",
                             where=lambda c: c.body.get("nonce") is not None)  # the events' posts
        assert posts and {c.headers["Authorization"] for c in posts} == {f"Bot {tokens[n]}"}
    # connecting wrote no commands: `gmbot sync-commands` did, once
    assert command_writes(d) == [f"PUT /applications/{d.application_id}/commands"]
