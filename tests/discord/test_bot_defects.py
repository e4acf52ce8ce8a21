"""Issue 8's defects, each shown at the wire: what a Discord community would hit."""

from __future__ import annotations

import gc
import logging

import discord
import pytest

from .fake_discord import EPHEMERAL, FakeDiscord, Guild
from .stage import WAR_GAME, Stage, title
from .test_bot_wire import command_writes, war_between

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


def wars_posts(d: FakeDiscord, guild: Guild) -> str:
    return rf"/channels/{guild.channel('wars').id}/messages"


async def ask_for_war(s: Stage, wolves: Guild) -> None:
    await s.discord.say(wolves, "alice", f"gmbot createwar -players <@{wolves.member('alice').id}> -game {WAR_GAME}",
                        wolves.channel("general"))


# -- 1. commands: one writer, and guild commands answered -------------------------------------
async def test_guild_commands_are_answered_and_kept(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    out = await s.sync_commands("--guild", str(wolves.id))
    assert out.startswith(f"guild {wolves.id}: registered")
    registered = list(d.commands[wolves.id])
    await s.start_bot()
    games = await d.reply_to(await d.slash(wolves, "alice", "games"))
    assert title(games).startswith("Games")
    # a re-identify (a new session) writes nothing either
    await d.close_gateway(4000)
    await d.wait_for_session(count=2)
    games = await d.reply_to(await d.slash(wolves, "bob", "games"))
    assert title(games).startswith("Games")
    assert command_writes(d) == [f"PUT /applications/{d.application_id}/guilds/{wolves.id}/commands"]
    assert d.commands[wolves.id] == registered


# -- 3. events: retried when transient, skipped when permanent, never blocking others -----------
async def test_an_event_survives_transient_failures(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    posts = wars_posts(d, bears)
    d.fail("POST", posts, 429)  # a 429 py-cord does not retry by itself
    d.fail("POST", posts, None)  # then the connection drops
    await ask_for_war(s, wolves)
    request = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "NEW WAR REQUEST",
                                       within=20)
    assert request["nonce"]
    statuses = [c.status for c in d.find_calls("POST", posts)]
    assert statuses[-3:] == [429, 0, 200]


async def test_a_permanent_failure_is_skipped_and_blocks_nothing(
        s: Stage, caplog: pytest.LogCaptureFixture) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    d.fail("POST", wars_posts(d, wolves), 403, times=None)  # the bot lost access to #wars
    war_id = await war_between(s, wolves, bears)
    on = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
    assert war_id in on["embeds"][0]["footer"]["text"]
    await d.wait_until(lambda: any("403" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records),
                       what="the skipped event in the log")
    d.heal()  # access given back: the next event for the Wolves is posted
    await d.say(bears, "bruno", f"gmbot say -war {war_id} -message gg", bears.channel("general"))
    said = await d.wait_for_message(wolves.channel("wars"), where=lambda m: title(m).startswith("Message from"))
    assert said["embeds"][0]["description"] == "gg"


async def test_one_rate_limited_channel_does_not_hold_up_the_others(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    # war.accepted goes to the host (Wolves) first: Discord makes the bot wait 3 s there
    d.fail("POST", wars_posts(d, wolves), 429, retry_after=3)
    await war_between(s, wolves, bears)
    bears_on = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
    wolves_on = await d.wait_for_message(wolves.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
    assert bears_on["id"] < wolves_on["id"]  # snowflakes: the Bears' was created first


async def test_an_event_is_not_posted_twice_after_a_crash(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    posts = wars_posts(d, bears)
    d.slow("POST", posts, 2.0)  # longer than stopping the bot takes
    mark = d.mark()
    await ask_for_war(s, wolves)
    # the post reached Discord; the bot dies before hearing back (Discord creates it anyway)
    await d.wait_until(lambda: d.find_calls("POST", posts, since=mark, answered=False), what="the post")
    await s.stop_bots()
    await d.wait_for_call("POST", posts, since=mark)
    await s.start_bot()
    await d.wait_for_call("POST", posts, since=mark, count=2)
    requests = [m for m in d.posted(bears.channel("wars")) if title(m) == "NEW WAR REQUEST"]
    assert len(requests) == 1
    sent = d.find_calls("POST", posts, since=mark)
    assert sent[0].body["nonce"] == sent[1].body["nonce"] and sent[1].body["enforce_nonce"] is True


# -- 4. no View kept per card with buttons --------------------------------------------------
async def test_cards_with_buttons_leave_no_view_behind(s: Stage) -> None:
    from datetime import timedelta

    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    await war_between(s, wolves, bears)
    await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    for guild in (wolves, bears):
        ended = await d.wait_for_message(guild.channel("wars"), where=lambda m: title(m) == "WHO WON?")
        assert ended["components"]
    gc.collect()
    views = [o for o in gc.get_objects() if isinstance(o, discord.ui.View)]
    assert views == []


# -- 5. the small ones ----------------------------------------------------------------------
async def test_a_usage_error_after_a_deferral_is_ephemeral(s: Stage) -> None:
    d = s.discord
    _, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    stranger = d.add_user("stranger")  # not a member of the Bears' server
    d.slow("GET", rf"/guilds/{bears.id}/members/{stranger.id}", 2.3)
    interaction = await d.slash(bears, "bruno", "createwar", bears.channel("wars"),
                                players=f"<@{stranger.id}>", game=WAR_GAME)
    reply = await d.reply_to(interaction)
    assert reply["_callback_type"] == 5
    assert "not a member" in title(reply)
    assert reply["flags"] & EPHEMERAL  # only the one who typed it sees it
    assert all(m["flags"] & EPHEMERAL for m in d.posted(bears.channel("wars")))  # nothing public left


async def test_an_unanswerable_unknown_command_is_logged(
        s: Stage, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    d.fail("POST", wars_posts(d, wolves), 403)
    with caplog.at_level(logging.INFO):
        await d.say(wolves, "alice", "gmbot frobnicate", wolves.channel("wars"))
        await d.wait_for_call("POST", wars_posts(d, wolves))
        await d.say(wolves, "alice", "gmbot games", wolves.channel("wars"))
        games = await d.wait_for_message(wolves.channel("wars"))
    assert title(games).startswith("Games")
    assert "Ignoring exception" not in capsys.readouterr().err
    assert any("could not answer" in r.getMessage() and "frobnicate" in r.getMessage() for r in caplog.records)


# -- 2. sync-commands --dry-run sees no change where Discord sees none -----------------------
async def test_dry_run_after_registration_reports_no_change(s: Stage) -> None:
    d = s.discord
    await s.sync_commands()
    # as py-cord's own sync registered them: contexts in its set's order
    for command in d.commands[None]:
        command["contexts"] = sorted(command["contexts"], reverse=True)
    out = await s.sync_commands("--dry-run")
    assert out.splitlines()[0] == "dry run (global): 0 change(s)", out
    d.commands[None][0]["options"] = d.commands[None][0]["options"][::-1]  # order Discord shows
    out = await s.sync_commands("--dry-run")
    assert out.splitlines() == ["dry run (global): 1 change(s)", f"~ {d.commands[None][0]['name']} (changed: options)"]


async def test_a_command_registered_but_unknown_to_the_bot_is_answered(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    d.commands[None].append({**d.registered("games"), "id": "4242", "name": "oldcommand"})  # left from a past spec
    await s.start_bot()
    reply = await d.reply_to(await d.slash(wolves, "alice", "oldcommand"))
    assert reply["_callback_type"] == 4 and reply["flags"] & EPHEMERAL
    assert "unknown command '/oldcommand'" in str(reply["embeds"])
    assert command_writes(d) == [f"PUT /applications/{d.application_id}/commands"]  # nothing "repaired"
