"""A war between a Discord clan and a Slack clan, end to end: each side types on its own
platform, each is notified on its own platform (Discord: `gmbot bot`, py-cord against the
fake Discord, posts the cards and takes the vote click; Slack: chat.postMessage to the fake
Web API), and the Slack vote is a block_actions click served by a freshly started Slack app
(buttons survive a restart: the custom id holds all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.slack.app import build_app, web_app, web_client
from gmbot.slack.delivery import event_poster
from gmbot.slack.runtime import CLIENT, SlackRuntime
from gmbot.spec.model import BotSpec
from tests.discord.stage import stage, title

from .conftest import SECRET, TOKEN, SlackWire, Stack, serve
from .test_wire import buttons, header

BEARS = ("T0BEAR", "bears")
BRUNO = ("UBRUNO", "bruno")


async def slack(stack: Stack, text: str) -> dict[str, Any]:
    reply, url = await stack.wire.slash(text, user=BRUNO, team=BEARS, channel=("CBEARWARS", "war-room"))
    assert reply.status == 200
    return await stack.fake.response(url)


async def test_a_war_between_a_discord_clan_and_a_slack_clan(spec: BotSpec, stack: Stack, tmp_path: Path) -> None:
    async with stage(tmp_path, stack.live) as s:  # `gmbot bot` against the fake Discord, on this backend
        d = s.discord
        wolves = d.add_guild("Wolves", members=["alice", "bob"], channels=["wars", "general"])
        alice, bob = wolves.member("alice"), wolves.member("bob")
        await s.sync_commands()
        await s.start_bot()
        slack_api = web_client(TOKEN, stack.fake.api_url)

        async def token_for(team: str) -> str | None:
            return TOKEN

        slack_feed = EventConsumer(stack.runtime.core, stack.runtime.backend, CursorStore(tmp_path / "s"),
                                   event_poster(token_for, slack_api), wait=0)

        def posted_to_bears() -> list[str]:
            return [header(c.data) for c in stack.fake.of("chat.postMessage") if c.data["channel"] == "CBEARWARS"]

        def on_discord() -> list[str]:  # the event cards the bot posted to the Wolves' clan channel
            return [title(m) for m in d.posted(wolves.channel("wars")) if str(m.get("nonce")).startswith("gmbot-ev-")]

        # the Slack clan subscribes to Mini Militia; the Discord clan challenges
        assert header(await slack(stack, "setup -name Bears")) == "Welcome, Bears!"
        assert header(await slack(stack, "subscribe -games 4")).startswith("Subscribed")
        await d.say(wolves, "alice", "gmbot setup -name Wolves", wolves.channel("wars"))  # the clan's channel
        assert title(await d.wait_for_message(wolves.channel("wars"))) == "Welcome, Wolves!"
        await d.say(wolves, "alice", f"gmbot createwar -players <@{alice.id}> <@{bob.id}> -game 4 -duration 1s",
                    wolves.channel("general"))
        created = await d.wait_for_message(wolves.channel("general"))
        war = created["embeds"][0]["footer"]["text"].split()[-1]
        assert title(created) == f"War request {war} created"
        # the request reaches the Slack clan on Slack (and only there: see the Wolves' cards below)
        assert await slack_feed.poll(wait=0) == 1
        assert posted_to_bears() == ["NEW WAR REQUEST"]
        request = stack.fake.of("chat.postMessage")[0]
        assert request.token == TOKEN and war in str(request.data)
        # the Slack clan accepts; both are told, each on its platform
        accepted = await slack(stack, f"accept -war {war} -players <@UBRUNO|bruno> <@UCARL>")
        assert accepted["response_type"] == "in_channel" and "Wolves vs Bears" in header(accepted)
        assert await slack_feed.poll(wait=0) == 1
        await d.wait_for_message(wolves.channel("wars"), where=lambda m: title(m).startswith("WAR ON"))
        assert posted_to_bears()[-1] == "WAR ON: Wolves vs Bears"
        # time runs out: both are asked WHO WON? (the backend's scheduler ends the war)
        asked = await d.wait_for_message(wolves.channel("wars"), where=lambda m: title(m) == "WHO WON?", within=15)
        assert await slack_feed.poll(wait=10) == 1
        who_won = stack.fake.of("chat.postMessage")[-1].data
        assert "WHO WON" in header(who_won).upper() and [b["text"]["text"] for b in buttons(who_won)][:2] == ["We won", "We lost"]
        # Discord votes with its button; Slack clicks "We lost" on a Slack app started afresh
        vote = await d.reply_to(await d.click(wolves, "alice", asked, "We won"))
        assert title(vote) == f"Vote recorded for war {war}", vote
        fresh = SlackRuntime(spec, BackendClient(stack.live.url, stack.live.keys[CLIENT], CLIENT, routes=ROUTES))
        runner, url = await serve(web_app(build_app(fresh, signing_secret=SECRET, token=TOKEN, api_url=stack.fake.api_url)))
        try:
            async with aiohttp.ClientSession() as http:
                reply, response_url = await SlackWire(url, stack.fake, http).click(
                    buttons(who_won)[1], user=BRUNO, team=BEARS, channel=("CBEARWARS", "war-room"))
            assert reply.status == 200
            voted = await stack.fake.response(response_url)
        finally:
            await runner.cleanup()
            await fresh.aclose()
            await fresh.backend.aclose()
        assert voted["response_type"] == "in_channel" and "Status: *confirmed*" in str(voted)
        # the votes agree: both clans hear the result on their own platform
        await d.wait_for_message(wolves.channel("wars"), where=lambda m: title(m) == f"RESULT: war {war}")
        assert await slack_feed.poll(wait=5) == 1
        assert on_discord() == ["WAR ON: Wolves vs Bears", "WHO WON?", f"RESULT: war {war}"]
        assert posted_to_bears() == ["NEW WAR REQUEST", "WAR ON: Wolves vs Bears", "WHO WON?", f"RESULT: war {war}"]
        leaderboard = await slack(stack, "leaderboard")
        assert "Wolves" in str(leaderboard)
