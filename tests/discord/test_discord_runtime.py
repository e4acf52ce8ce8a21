"""The Discord runtime at the wire: py-cord's own client against the fake Discord, the real
backend behind a recording proxy (what the bot sent the backend), the embeds as Discord got them."""

from __future__ import annotations

import os
import re
import socket
import time
from datetime import timedelta
from typing import Any

import pytest

from .fake_discord import CHANNEL_MESSAGE
from .stage import WAR_GAME, Proxied, Stage, delaying_proxy, title
from .test_bot_wire import war_between

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

ORANGE, RED = 0xE67E22, 0xE74C3C  # a created request; a problem


def sent(seen: list[Proxied], method: str, path: str) -> list[Proxied]:
    return [r for r in seen if r.method == method and re.fullmatch(path, r.path)]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for row in message.get("components") or [] for b in row["components"]]


def closed_port() -> int:
    """A loopback port nothing listens on (a backend that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_slash_command_answers_with_an_embed(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    seen: list[Proxied] = []
    alice, bob = wolves.member("alice"), wolves.member("bob")
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url  # the stage puts the real one back
        await s.start_bot()
        await d.reply_to(await d.slash(wolves, "alice", "setup", name="Wolves"))
        interaction = await d.slash(wolves, "alice", "createwar", players=f"<@{alice.id}> <@!{bob.id}>",
                                    game=WAR_GAME, duration="1.5h")
        reply = await d.reply_to(interaction)
        await s.stop_bots()  # while the proxy still runs
    [posted] = sent(seen, "POST", "/wars")
    body = posted.json()
    assert body["players"] == [{"id": str(alice.id), "name": "alice"}, {"id": str(bob.id), "name": "bob"}]
    assert body["duration"] == 1.5 and body["format"] == "ft3"
    assert posted.headers["idempotency-key"] == f"discord-{interaction.id}"
    assert reply["_callback_type"] == CHANNEL_MESSAGE  # answered at once, not deferred
    [embed] = reply["embeds"]
    assert embed["title"] == f"War request {posted.answer_json()['id']} created" and embed["color"] == ORANGE


async def test_a_user_option_is_the_member_discord_resolved(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    seen: list[Proxied] = []
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url
        await s.start_bot()
        await d.reply_to(await d.slash(wolves, "alice", "setup", name="Wolves"))
        # relinquish asks first: its confirm button carries the member as the option read it
        prompt = await d.reply_to(await d.slash(wolves, "alice", "relinquish", member=wolves.member("bob")))
        await d.reply_to(await d.click(wolves, "alice", prompt, labels(prompt)[0]))
        await s.stop_bots()
    [handed] = sent(seen, "POST", rf"/clans/{wolves.id}/relinquish")
    alice, bob = wolves.member("alice"), wolves.member("bob")
    assert handed.json() == {"actor": {"id": str(alice.id), "name": "alice"}, "member": {"id": str(bob.id), "name": "bob"}}


async def test_backend_down_gives_an_error_embed_within_3_seconds(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    os.environ["GMBOT_BACKEND_URL"] = f"http://127.0.0.1:{closed_port()}"
    await s.start_bot()
    started = time.perf_counter()
    reply = await d.reply_to(await d.slash(wolves, "alice", "status"))
    assert time.perf_counter() - started < 3
    assert title(reply) == "Service unavailable"


async def test_a_problem_shows_its_title_and_detail(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    seen: list[Proxied] = []
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url
        await s.start_bot()
        await s.set_up_clans(wolves, bears)
        war_id = await war_between(s, wolves, bears)
        await d.say(bears, "bruno", f"gmbot accept -war {war_id} -players <@{bears.member('carl').id}>",
                    bears.channel("general"))
        again = await d.wait_for_message(bears.channel("general"), where=lambda m: m["embeds"][0]["color"] == RED)
        # the war is listed, read back from the database
        await d.say(wolves, "bob", "gmbot wars", wolves.channel("general"))
        wars = await d.wait_for_message(wolves.channel("general"), where=lambda m: title(m) != title(again)
                                        and "created" not in title(m))
        await s.stop_bots()
    [refused] = [r for r in sent(seen, "POST", rf"/wars/{war_id}/accept") if r.status >= 400]
    problem = refused.answer_json()
    assert (title(again), again["embeds"][0]["description"]) == (problem["title"], problem["detail"])
    assert refused.answer_headers["content-type"].startswith("application/problem+json")
    assert any(f["name"] == f"{war_id} vs Bears" for f in wars["embeds"][0]["fields"]), wars


async def test_a_mention_of_someone_not_in_the_server_is_a_usage_error(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    seen: list[Proxied] = []
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url
        await s.start_bot()
        eve = d.add_user("eve")  # a Discord user, not a member of the Wolves' server
        await d.say(wolves, "alice", f"gmbot createwar -players <@{eve.id}> -game {WAR_GAME}")
        reply = await d.wait_for_message(wolves.channel())
        await s.stop_bots()
    assert not sent(seen, "POST", "/wars")
    [embed] = reply["embeds"]
    assert f"\\<@{eve.id}\\> is not a member of this server" in embed["title"]  # what was typed: data
    assert embed["fields"][0]["name"] == "Usage"


async def test_a_vote_button_votes_as_the_clicking_user(s: Stage) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    seen: list[Proxied] = []
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url
        await s.start_bot()
        await s.set_up_clans(wolves, bears)
        war_id = await war_between(s, wolves, bears)
        await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
        ended = await d.wait_for_message(bears.channel("wars"), where=lambda m: title(m) == "WHO WON?")
        # the event card, posted with real buttons that outlive the process (custom ids hold all)
        buttons = [b for row in ended["components"] for b in row["components"]]
        assert [(b["label"], b["style"]) for b in buttons] == [("We won", 3), ("We lost", 4), ("Draw", 2)]
        assert all(b["custom_id"].startswith("gm:") for b in buttons)
        click = await d.click(bears, "bruno", ended, "We won")
        vote = await d.reply_to(click)
        await s.stop_bots()
    [voted] = sent(seen, "POST", f"/wars/{war_id}/votes")
    bruno = bears.member("bruno")
    assert voted.json()["actor"] == {"id": str(bruno.id), "name": "bruno"} and voted.json()["result"] == "win"
    assert voted.headers["idempotency-key"] == f"discord-{click.id}"
    assert title(vote) == f"Vote recorded for war {war_id}"


async def test_the_generated_commands_with_their_defaults_and_aliases(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.sync_commands()
    seen: list[Proxied] = []
    async with delaying_proxy(s.backend.url, 0, seen=seen) as url:
        os.environ["GMBOT_BACKEND_URL"] = url
        await s.start_bot()
        games = await d.reply_to(await d.slash(wolves, "alice", "games"))
        await d.reply_to(await d.slash(wolves, "alice", "setup", name="Wolves"))
        await d.say(wolves, "alice", f"gmbot add -games {WAR_GAME}")  # `add`: an alias of subscribe
        subscribed = await d.wait_for_message(wolves.channel(), 3)  # after the two slash replies
        await s.stop_bots()
    [listed] = sent(seen, "GET", "/games")
    assert listed.query["limit"] == "25"  # the option's default in the spec
    first = listed.answer_json()["items"][0]
    assert games["embeds"][0]["fields"][0] == {
        "name": f"{first['id']}: {first['name']}", "value": f"{first['minPlayers']}-{first['maxPlayers']} players",
        "inline": True}
    assert sent(seen, "POST", f"/clans/{wolves.id}/subscriptions") and title(subscribed).startswith("Subscribed")


async def test_help_and_a_mistyped_command(s: Stage) -> None:
    d = s.discord
    wolves, _ = await s.two_clans()
    await s.start_bot()
    await d.say(wolves, "alice", "gmbot subscrbe")
    unknown = await d.wait_for_message(wolves.channel())
    assert "did you mean \\`gmbot subscribe\\`" in unknown["embeds"][0]["description"]
    await d.say(wolves, "alice", "gmbot help accept")
    helped = await d.wait_for_message(wolves.channel(), 2)
    assert title(helped) == "gmbot accept"
