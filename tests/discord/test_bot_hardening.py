"""Issue 15's Discord defects, each shown at the wire: py-cord against the fake Discord, the real
backend behind (or behind a proxy that makes it slow)."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest

from .fake_discord import CHANNEL_MESSAGE, EPHEMERAL, UPDATE_MESSAGE, Call, FakeDiscord, Guild
from .stage import WAR_GAME, Stage, delaying_proxy, title, watch_log
from .test_bot_wire import war_between

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

NO_MENTIONS = {"parse": []}  # Discord's allowed_mentions that lets nothing ping anyone


def message_posts(d: FakeDiscord) -> list[tuple[str, Call, Any]]:
    """Every call that made a message users see: (kind, call, its allowed_mentions)."""
    posts = []
    for call in d.find_calls(where=lambda c: c.method in ("POST", "PATCH") and isinstance(c.body, dict)):
        body = call.body
        if call.path.startswith("/interactions/"):
            if body.get("type") in (CHANNEL_MESSAGE, UPDATE_MESSAGE):  # not a deferral: it has no text
                posts.append(("interaction answer", call, (body.get("data") or {}).get("allowed_mentions")))
        elif call.path.startswith("/webhooks/"):
            posts.append(("follow-up" if call.method == "POST" else "edit", call, body.get("allowed_mentions")))
        elif call.path.endswith("/messages"):
            kind = "event card" if str(body.get("nonce", "")).startswith("gmbot-ev-") else "prefix reply"
            posts.append((kind, call, body.get("allowed_mentions")))
    return posts


async def first_of(*waits: Awaitable[Any]) -> None:
    """Until the first of `waits` is done (the others are cancelled)."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        done, _ = await asyncio.wait(tasks, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        assert done, "nothing happened within 15 s"
    finally:
        for task in tasks:
            task.cancel()


def bot_cards(d: FakeDiscord, guild: Guild, channel: str = "wars") -> list[dict[str, Any]]:
    return [m for m in d.posted(guild.channel(channel)) if m["author"]["id"] == str(d.bot.id)]


# -- 1. mentions are off in everything the bot posts -----------------------------------------
async def test_every_post_has_mentions_disabled(s: Stage) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)  # slash and prefix replies
    war_id = await war_between(s, wolves, bears)  # event cards
    hostile = f"@everyone @here <@{bears.member('carl').id}> <@&{bears.id}>"
    await d.say(wolves, "alice", f'gmbot say -war {war_id} -message "{hostile}"', wolves.channel("general"))
    await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m).startswith("Message from"))
    # a follow-up after a deferral (Discord is slow to say who carl is), public and private
    d.slow("GET", rf"/guilds/{bears.id}/members/{bears.member('carl').id}", 2.3)
    deferred = await d.reply_to(await d.slash(bears, "bruno", "createwar", bears.channel("general"),
                                              players=f"<@{bears.member('carl').id}>", game=WAR_GAME))
    assert deferred["_callback_type"] == 5
    stranger = d.add_user("stranger")
    d.slow("GET", rf"/guilds/{bears.id}/members/{stranger.id}", 2.3)
    await d.reply_to(await d.slash(bears, "bruno", "createwar", bears.channel("general"),
                                   players=f"<@{stranger.id}>", game=WAR_GAME))
    # a button's answer
    await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    ended = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "WHO WON?")
    await d.reply_to(await d.click(bears, "bruno", ended, "We won"))

    posts = message_posts(d)
    assert {kind for kind, _, _ in posts} >= {"interaction answer", "follow-up", "event card", "prefix reply"}
    assert [(kind, call.path, mentions) for kind, call, mentions in posts if mentions != NO_MENTIONS] == []


# -- 2. a user option names a member of the server, or nobody -------------------------------
async def test_a_user_option_naming_a_stranger_is_refused(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    welcome = await d.reply_to(await d.slash(wolves, "alice", "setup", wolves.channel("wars"), name="Wolves"))
    assert title(welcome) == "Welcome, Wolves!"
    stranger = d.add_user("mallory")  # a Discord user who is not in the Wolves' server
    reply = await d.reply_to(await d.slash(wolves, "alice", "relinquish", member=stranger))
    assert "not a member of this server" in title(reply) and reply["flags"] & EPHEMERAL
    assert [f["name"] for f in reply["embeds"][0]["fields"]] == ["Usage"]
    roles = await d.reply_to(await d.slash(wolves, "alice", "roles"))
    assert title(roles).startswith("Roles") and "mallory" not in str(roles["embeds"])
    # a member of the server is taken (what the backend then decides is its business)
    handed = await d.reply_to(await d.slash(wolves, "alice", "relinquish", member=wolves.member("bob")))
    assert "not a member" not in title(handed)


# -- 4. a slow backend that succeeds is reported as a success ---------------------------------
async def test_a_slow_backend_after_the_deferral_is_waited_for(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    async with delaying_proxy(s.backend.url, 3.5, "POST", "/wars") as slow_url:
        os.environ["GMBOT_BACKEND_URL"] = slow_url  # the stage puts the real one back
        await s.start_bot()
        welcome = await d.reply_to(await d.slash(wolves, "alice", "setup", wolves.channel("wars"), name="Wolves"))
        assert title(welcome) == "Welcome, Wolves!"
        interaction = await d.slash(wolves, "alice", "createwar", wolves.channel("general"),
                                    players=f"<@{wolves.member('alice').id}>", game=WAR_GAME)
        reply = await d.reply_to(interaction, within=15)
    assert reply["_callback_type"] == 5  # deferred at 2 s, answered when the backend was
    assert title(reply).startswith("War request") and title(reply).endswith("created"), reply


async def test_when_the_wait_runs_out_the_user_is_told_what_it_means(
        s: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    monkeypatch.setenv("GMBOT_DEFERRED_TIMEOUT", "3")
    async with delaying_proxy(s.backend.url, 6, "POST", "/wars") as slow_url:
        os.environ["GMBOT_BACKEND_URL"] = slow_url
        await s.start_bot()
        await d.reply_to(await d.slash(wolves, "alice", "setup", wolves.channel("wars"), name="Wolves"))
        interaction = await d.slash(wolves, "alice", "createwar", wolves.channel("general"),
                                    players=f"<@{wolves.member('alice').id}>", game=WAR_GAME)
        reply = await d.reply_to(interaction, within=15)
    assert reply["_callback_type"] == 5 and reply["flags"] & EPHEMERAL
    text = str(reply["embeds"])
    assert title(reply) == "No answer in time" and "3 s" in text and "may still" in text, reply
    # the public "thinking..." went: the answer is the clicker's only, nothing public is left
    assert d.find_calls("DELETE", rf"/webhooks/\d+/{interaction.token}/messages/@original")
    assert [m for m in d.posted(wolves.channel("general")) if not m["flags"] & EPHEMERAL] == []


# -- 5. a message delivered twice is answered once -------------------------------------------
async def test_a_replayed_message_is_answered_once(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    message = await d.say(wolves, "alice", "gmbot games", wolves.channel("wars"))
    await d.wait_for_message(wolves.channel("wars"))
    with watch_log("gmbot.discord", lambda r: message["id"] in r.getMessage()) as dropped:
        await d.redeliver(wolves, "MESSAGE_CREATE", message)  # as after a gateway RESUME
        await first_of(dropped.wait(), d.wait_for_message(wolves.channel("wars"), 2))
    assert len(bot_cards(d, wolves)) == 1


async def test_a_message_seen_by_a_second_process_is_answered_once(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    posts = rf"/channels/{wolves.channel('wars').id}/messages"
    message = await d.say(wolves, "alice", "gmbot games", wolves.channel("wars"))
    await d.wait_for_message(wolves.channel("wars"))
    # another process (a restart, or two running for a moment during a deploy) gets it too:
    # it remembers nothing of the first, so only Discord can tell the answer was posted
    await s.stop_bots()
    await s.start_bot()
    mark = d.mark()
    await d.redeliver(wolves, "MESSAGE_CREATE", message)
    await d.wait_for_call("POST", posts, since=mark)
    assert len(bot_cards(d, wolves)) == 1


async def test_a_replayed_interaction_is_answered_once(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    interaction = await d.slash(wolves, "alice", "games")
    await d.reply_to(interaction)
    with watch_log("gmbot.discord", lambda r: str(interaction.id) in r.getMessage()) as dropped:
        await d.redeliver(wolves, "INTERACTION_CREATE", interaction.payload)
        await first_of(dropped.wait(), d.wait_for_call("POST", rf"/interactions/{interaction.id}/.*", count=2))
    assert len(d.find_calls("POST", rf"/interactions/{interaction.id}/.*")) == 1


# -- 11. the small ones ------------------------------------------------------------------------
async def test_error_cards_are_private(s: Stage) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    war_id = await war_between(s, wolves, bears)
    await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    ended = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "WHO WON?")
    refused = await d.reply_to(await d.click(bears, "carl", ended, "We won"))  # carl is no Leader
    assert refused["flags"] & EPHEMERAL and not title(refused).startswith("Vote recorded"), refused
    missing = await d.reply_to(await d.slash(wolves, "alice", "war", war="zzzz"))
    assert missing["flags"] & EPHEMERAL and "zzzz" in str(missing["embeds"])
    shown = await d.reply_to(await d.slash(wolves, "alice", "war", war=war_id))  # results stay public
    assert not shown["flags"] & EPHEMERAL
    assert all(m["flags"] & EPHEMERAL for m in d.posted(bears.channel("wars")) if m.get("interaction_token"))


async def test_the_bare_prefix_gets_help(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    for n, text in enumerate(["gmbot", f"<@{d.bot.id}>"], start=1):
        await d.say(wolves, "alice", text, wolves.channel("wars"))
        helped = await d.wait_for_message(wolves.channel("wars"), n)
        assert title(helped) == "Gmbot commands" and "createwar" in str(helped["embeds"])


async def test_an_interaction_answered_by_another_process_is_no_error(
        s: Stage, caplog: pytest.LogCaptureFixture) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    tokens = [d.allow_token(f"token-of-process-{n}") for n in (1, 2)]
    for n, token in enumerate(tokens):  # two processes on the same shard, for a moment
        await s.start_bot("--cursor-file", str(s.tmp / f"c{n}"), token=token)
    interaction = await d.slash(wolves, "alice", "games")  # to the newest session
    await d.reply_to(interaction)
    with watch_log("gmbot.discord", lambda r: "40060" in r.getMessage() or "already" in r.getMessage()) as gave_up:
        await d.live_sessions()[0].dispatch("INTERACTION_CREATE", interaction.payload)  # and to the other
        await asyncio.wait_for(gave_up.wait(), 15)
    assert len(d.find_calls("POST", rf"/interactions/{interaction.id}/.*")) == 2 and len(interaction.replies) == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
