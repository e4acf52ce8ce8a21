"""A war between a Discord clan and a Slack clan, end to end: each side types on its own
platform, each is notified on its own platform (Discord: the consumer's deliver; Slack:
chat.postMessage to the fake Web API), and the Slack vote is a block_actions click served
by a freshly started Slack app (buttons survive a restart: the custom id holds all)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.chat.markup import plain
from gmbot.chat.vocabulary import RenderedCard
from gmbot.discord.runtime import DiscordRuntime
from gmbot.slack.app import build_app, web_app, web_client
from gmbot.slack.delivery import event_poster
from gmbot.slack.runtime import CLIENT, SlackRuntime
from gmbot.spec.model import BotSpec
from tests.discord.fakes import FakeGuild, member, prefix_ctx, sent_embeds

from .conftest import SECRET, TOKEN, SlackWire, Stack, serve
from .test_wire import buttons, header

BEARS = ("T0BEAR", "bears")
BRUNO = ("UBRUNO", "bruno")


async def discord(runtime: DiscordRuntime, guild: FakeGuild, user_id: int, name: str, args: str) -> dict[str, Any]:
    mentions = [m for m in guild.members.values() if f"<@{m.id}>" in args]
    ctx = prefix_ctx(guild, guild.get_member(user_id), mentions, message_id=time.perf_counter_ns())
    await runtime.run_prefix(ctx, name, args)
    return sent_embeds(ctx.send)[0]


async def slack(stack: Stack, text: str) -> dict[str, Any]:
    reply, url = await stack.wire.slash(text, user=BRUNO, team=BEARS, channel=("CBEARWARS", "war-room"))
    assert reply.status == 200
    return await stack.fake.response(url)


async def test_a_war_between_a_discord_clan_and_a_slack_clan(spec: BotSpec, stack: Stack, tmp_path: Path) -> None:
    discord_backend = BackendClient(stack.live.url, stack.live.keys["DISCORD-BFF"], "DISCORD-BFF", routes=ROUTES)
    wolves_bot = DiscordRuntime(spec, discord_backend)
    wolves = FakeGuild(111 << 22, "Wolves", [member(1001, "alice"), member(1002, "bob")])
    on_discord: list[tuple[str, str]] = []  # (channel id, card title)

    async def discord_deliver(event: Mapping[str, Any], card: RenderedCard) -> None:
        on_discord.append((str(event["channelId"]), plain(card.title)))

    discord_feed = EventConsumer(wolves_bot.core, discord_backend, CursorStore(tmp_path / "d"), discord_deliver, wait=0)
    slack_api = web_client(TOKEN, stack.fake.api_url)

    async def token_for(team: str) -> str | None:
        return TOKEN

    slack_feed = EventConsumer(stack.runtime.core, stack.runtime.backend, CursorStore(tmp_path / "s"),
                               event_poster(token_for, slack_api), wait=0)

    def posted_to_bears() -> list[str]:
        return [header(c.data) for c in stack.fake.of("chat.postMessage") if c.data["channel"] == "CBEARWARS"]

    # the Slack clan subscribes to Mini Militia; the Discord clan challenges
    assert header(await slack(stack, "setup -name Bears")) == "Welcome, Bears!"
    assert header(await slack(stack, "subscribe -games 4")).startswith("Subscribed")
    assert (await discord(wolves_bot, wolves, 1001, "setup", "-name Wolves"))["title"] == "Welcome, Wolves!"
    created = await discord(wolves_bot, wolves, 1001, "createwar", "-players <@1001> <@1002> -game 4 -duration 1s")
    war = created["footer"]["text"].split()[-1]
    # the request reaches the Slack clan on Slack, and only there
    assert await slack_feed.poll(wait=0) == 1 and await discord_feed.poll(wait=0) == 0
    assert posted_to_bears() == ["NEW WAR REQUEST"]
    request = stack.fake.of("chat.postMessage")[0]
    assert request.token == TOKEN and war in str(request.data)
    # the Slack clan accepts; both are told, each on its platform
    accepted = await slack(stack, f"accept -war {war} -players <@UBRUNO|bruno> <@UCARL>")
    assert accepted["response_type"] == "in_channel" and "Wolves vs Bears" in header(accepted)
    assert await discord_feed.poll(wait=0) == 1 and await slack_feed.poll(wait=0) == 1
    assert on_discord == [("77", "WAR ON: Wolves vs Bears")]
    assert posted_to_bears()[-1] == "WAR ON: Wolves vs Bears"
    # time runs out: both are asked WHO WON? (the backend's scheduler ends the war)
    assert await discord_feed.poll(wait=10) == 1 and await slack_feed.poll(wait=10) == 1
    who_won = stack.fake.of("chat.postMessage")[-1].data
    assert "WHO WON" in header(who_won).upper() and [b["text"]["text"] for b in buttons(who_won)][:2] == ["We won", "We lost"]
    # Discord votes with its button; Slack clicks "We lost" on a Slack app started afresh
    discord_card = wolves_bot.core.render_event({"type": "war.ended", "serverId": str(wolves.id), "channelId": "77",
                                                  "data": {"war": {"id": war}}})
    assert discord_card is not None and discord_card.buttons[0].custom_id
    vote = await wolves_bot.core.click(discord_card.buttons[0].custom_id,
                                       DiscordRuntime.invocation(wolves, wolves, wolves.get_member(1001), 4242))
    assert vote.kind == "reply", vote.card
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
    assert await discord_feed.poll(wait=5) == 1 and await slack_feed.poll(wait=5) == 1
    assert [title for _, title in on_discord] == ["WAR ON: Wolves vs Bears", "WHO WON?", f"RESULT: war {war}"]
    assert posted_to_bears() == ["NEW WAR REQUEST", "WAR ON: Wolves vs Bears", "WHO WON?", f"RESULT: war {war}"]
    leaderboard = await slack(stack, "leaderboard")
    assert "Wolves" in str(leaderboard)
    await discord_backend.aclose()
