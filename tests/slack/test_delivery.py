"""Event cards to Slack channels when Slack says no: the real events consumer and
`chat.postMessage` poster, the real backend's feed, the fake Slack Web API failing posts
to chosen channels.

Wolves ask for a war; Bears (#CBEARWARS) and Lions (#CLIONWARS) are subscribed, so each
request is one event per channel. A 429 on one channel holds up only that channel, and its
event is posted after Retry-After; a 5xx is retried; a permanent error (`channel_not_found`)
skips just that event; the cursor moves past every event done.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gmbot.chat.backoff import Backoff
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.slack.app import web_client
from gmbot.slack.delivery import event_poster
from gmbot.slack.lifecycle import SlackService

from .conftest import TOKEN, Stack
from .fake_slack import Call, Rate, ServerError
from .test_wire import ALICE, BRUNO, command, header

BEARS, BEAR_CHANNEL = ("T0BEAR", "bears"), ("CBEARWARS", "war-room")
LIONS, LION_CHANNEL, CARL = ("T0LION", "lions"), ("CLIONWARS", "den"), ("UCARL", "carl")


async def token_for(team: str) -> str | None:
    return TOKEN


def consumer(stack: Stack, tmp: Path, service: SlackService | None = None) -> EventConsumer:
    # as `gmbot slack` builds it: a client that leaves 429s to the consumer
    deliver = event_poster(token_for, web_client(None, stack.fake.api_url, retry_rate_limits=False))
    return EventConsumer(stack.runtime.core, stack.runtime.backend, CursorStore(tmp / "cursor"),
                         service.deliver(deliver) if service else deliver, wait=0, backoff=Backoff(initial=0.05))


async def clans(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    for team, channel, user, name in ((BEARS, BEAR_CHANNEL, BRUNO, "Bears"), (LIONS, LION_CHANNEL, CARL, "Lions")):
        assert header(await command(stack, f"setup -name {name}", user=user, team=team, channel=channel)) == f"Welcome, {name}!"
        await command(stack, "subscribe -games 4", user=user, team=team, channel=channel)


async def war_request(stack: Stack) -> None:
    created = await command(stack, "createwar -players <@UALICE|alice> -game 4", user=ALICE)
    assert created["response_type"] == "in_channel", created


def posts(stack: Stack, channel: str) -> list[Call]:
    return [c for c in stack.fake.of("chat.postMessage") if c.data["channel"] == channel]


def event_id(call: Call) -> int:
    metadata: dict[str, Any] = call.data["metadata"]
    assert metadata["event_type"] == "gmbot_event"
    return int(metadata["event_payload"]["event_id"])


async def test_a_rate_limited_channel_does_not_hold_up_the_others(stack: Stack, tmp_path: Path) -> None:
    await clans(stack)
    feed = consumer(stack, tmp_path)
    stack.fake.fail_posts("CBEARWARS", Rate(retry_after=1))
    await war_request(stack)
    assert await feed.poll(wait=0) == 2 and feed.skipped == 0
    bears, lions = posts(stack, "CBEARWARS"), posts(stack, "CLIONWARS")
    assert [c.failed for c in bears] == ["429", None] and [c.failed for c in lions] == [None]
    limited, posted = bears
    assert lions[0].at - limited.at < 0.5  # the Lions were told while the Bears' lane waited
    assert posted.at - limited.at >= 0.9  # Slack's Retry-After, honoured
    assert header(posted.data) == header(lions[0].data) == "NEW WAR REQUEST"
    assert int((tmp_path / "cursor").read_text()) == max(event_id(posted), event_id(lions[0]))


async def test_a_5xx_is_retried_and_a_permanent_error_skips_just_that_event(stack: Stack, tmp_path: Path) -> None:
    await clans(stack)
    service = SlackService()  # its health and metrics count the failures
    feed = consumer(stack, tmp_path, service)
    stack.fake.fail_posts("CBEARWARS", ServerError(500))
    stack.fake.fail_posts("CLIONWARS", "channel_not_found")
    await war_request(stack)
    assert await feed.poll(wait=0) == 1 and feed.skipped == 1
    assert [c.failed for c in posts(stack, "CBEARWARS")] == ["500", None]
    assert [c.failed for c in posts(stack, "CLIONWARS")] == ["channel_not_found"]  # not retried
    assert service.health.events["failed"] == 2 and service.health.events["posted"] == 1
    skipped_id = event_id(posts(stack, "CLIONWARS")[0])
    assert int((tmp_path / "cursor").read_text()) >= skipped_id  # done: a restart will not retry it

    await war_request(stack)  # the next event for that channel goes out as usual
    assert await feed.poll(wait=0) == 2 and feed.skipped == 1
    assert [c.failed for c in posts(stack, "CLIONWARS")] == ["channel_not_found", None]
    assert event_id(posts(stack, "CLIONWARS")[1]) > skipped_id
    assert 'gmbot_bot_events_total{outcome="failed",platform="slack"} 2.0' in service.metrics.text().decode()
