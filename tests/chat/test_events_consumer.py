"""The events consumer's delivery rules, with a scripted feed and a scripted `deliver`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
import discord
import httpx
import pytest

from gmbot.chat.backend import BackendClient
from gmbot.chat.backoff import Backoff
from gmbot.chat.core import Core
from gmbot.chat.events import CursorStore, DeliveryError, EventConsumer, LaneFailed
from gmbot.discord.delivery import nonce_of, post_refusal
from gmbot.service.delivery import delivery_failure
from gmbot.spec.model import BotSpec
from tests.chat.fakes import ROUTES, war


def event(event_id: int, channel: str) -> dict[str, Any]:
    return {"id": event_id, "type": "war.requested", "serverId": "1", "channelId": channel,
            "createdAt": "2026-01-01T00:00:00Z", "data": {"war": war()}}


def feed(*events: dict[str, Any]) -> BackendClient:
    """A backend whose feed serves `events` once, then nothing."""
    pages = [list(events)]

    def handler(request: httpx.Request) -> httpx.Response:
        items = pages.pop(0) if pages else []
        after = int(request.url.params["after"])
        return httpx.Response(200, json={"items": items, "next": items[-1]["id"] if items else after})

    return BackendClient("http://backend.test", "k", "DISCORD-BFF", routes=ROUTES, transport=httpx.MockTransport(handler))


def consumer(spec: BotSpec, backend: BackendClient, cursor: Path, deliver: Any, **options: Any) -> EventConsumer:
    return EventConsumer(Core(spec, backend, "discord"), backend, CursorStore(cursor), deliver, wait=0,
                         backoff=Backoff(initial=0.01), **options)


async def test_the_cursor_waits_for_the_slowest_channel(spec: BotSpec, tmp_path: Path) -> None:
    release, b_posted = asyncio.Event(), asyncio.Event()
    posted: list[int] = []

    async def deliver(e: Any, card: Any) -> None:
        if e["channelId"] == "A":
            await release.wait()  # channel A is stuck (a long rate limit)
        posted.append(e["id"])
        if e["channelId"] == "B":
            b_posted.set()

    events = consumer(spec, feed(event(1, "A"), event(2, "B"), event(3, "A")), tmp_path / "c", deliver)
    assert await events.fetch() == 3
    await asyncio.wait_for(b_posted.wait(), 5)  # B is not held up by A
    assert posted == [2] and CursorStore(tmp_path / "c").load() == 0  # 1 is not done: a restart re-sends it
    release.set()
    await events.drain()
    assert posted == [2, 1, 3] and CursorStore(tmp_path / "c").load() == 3  # A in its order


async def test_transient_failures_are_retried_permanent_ones_skipped(spec: BotSpec, tmp_path: Path) -> None:
    attempts: dict[int, int] = {}

    async def deliver(e: Any, card: Any) -> None:
        attempts[e["id"]] = attempts.get(e["id"], 0) + 1
        if e["id"] == 1 and attempts[1] < 3:
            raise DeliveryError("HTTP 429", permanent=False, retry_after=0.01)
        if e["id"] == 2:
            raise DeliveryError("HTTP 403 Missing Access", permanent=True)

    events = consumer(spec, feed(event(1, "A"), event(2, "B"), event(3, "B")), tmp_path / "c", deliver)
    assert await events.poll() == 2
    assert attempts == {1: 3, 2: 1, 3: 1} and events.skipped == 1
    assert CursorStore(tmp_path / "c").load() == 3


async def test_a_channel_failing_for_too_long_is_given_up(spec: BotSpec, tmp_path: Path) -> None:
    async def deliver(e: Any, card: Any) -> None:
        raise DeliveryError("HTTP 503", permanent=False)

    events = consumer(spec, feed(event(1, "A")), tmp_path / "c", deliver, give_up_after=0.05)
    assert await events.poll() == 0 and events.skipped == 1
    assert CursorStore(tmp_path / "c").load() == 1


async def test_the_feed_pauses_while_too_many_events_are_in_flight(spec: BotSpec, tmp_path: Path) -> None:
    release = asyncio.Event()

    async def deliver(e: Any, card: Any) -> None:
        await release.wait()

    events = consumer(spec, feed(event(1, "A"), event(2, "B")), tmp_path / "c", deliver, max_pending=2)
    await events.fetch()
    second = asyncio.create_task(events.fetch())
    await asyncio.sleep(0.05)  # a chance to read, which it must not take
    assert not second.done()  # two in flight: no more read
    release.set()
    assert await second == 0


def response(status: int, headers: dict[str, str] | None = None) -> Any:
    return SimpleNamespace(status=status, reason="", headers=headers or {})


@pytest.mark.parametrize(("error", "permanent", "retry_after"), [
    (discord.HTTPException(response(429, {"Retry-After": "7"}), "error code: 1015"), False, 7.0),
    (discord.DiscordServerError(response(502), "Bad Gateway"), False, None),
    (aiohttp.ServerDisconnectedError(), False, None),
    (ConnectionResetError(104, "reset"), False, None),
    (discord.Forbidden(response(403), {"message": "Missing Access", "code": 50001}), True, None),
    (discord.NotFound(response(404), {"message": "Unknown Channel", "code": 10003}), True, None),
    (discord.HTTPException(response(400), {"message": "Invalid Form Body", "code": 50035}), True, None),
])
def test_discord_failures_are_classified(error: BaseException, permanent: bool, retry_after: float | None) -> None:
    failure = delivery_failure(error, post_refusal)
    assert failure is not None and failure.permanent is permanent and failure.retry_after == retry_after


def test_a_nonce_is_the_events_own_and_within_discords_limit() -> None:
    assert nonce_of({"id": 12}) == nonce_of({"id": 12}) != nonce_of({"id": 13})
    assert len(nonce_of({"id": 10**15})) <= 25


async def test_a_lane_that_dies_outside_a_delivery_ends_the_wait(spec: BotSpec, tmp_path: Path) -> None:
    """Saving the cursor fails (its folder became a file): the lane dies after posting, outside
    the delivery's `try`. `drain` used to wait for ever for the events it left pending."""
    posted: list[int] = []

    async def deliver(e: Any, card: Any) -> None:
        posted.append(e["id"])

    events = consumer(spec, feed(event(1, "A"), event(2, "A"), event(3, "B")), tmp_path / "gone" / "c", deliver)
    assert await events.fetch() == 3  # the lanes start posting at the next await
    (tmp_path / "gone").write_text("")
    with pytest.raises(LaneFailed, match=r"FileExistsError|NotADirectoryError"):
        await asyncio.wait_for(events.drain(), 5)
    assert 2 not in posted  # the rest of the dead lane was not posted: it is fetched again


async def test_after_a_lane_died_the_feed_starts_over_from_the_cursor(
        spec: BotSpec, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The cursor's folder becomes unusable while event 1 is posted, then usable again: the
    consumer keeps running, fetches again from the saved cursor and posts the rest."""
    folder = tmp_path / "cursor"
    events = [event(1, "A"), event(2, "A"), event(3, "B")]

    async def handler(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params["after"])
        items = [e for e in events if e["id"] > after]
        if not items:
            await asyncio.sleep(0.01)  # a long poll with nothing new (wait=0 would spin)
        return httpx.Response(200, json={"items": items, "next": items[-1]["id"] if items else after})

    backend = BackendClient("http://backend.test", "k", "DISCORD-BFF", routes=ROUTES,
                            transport=httpx.MockTransport(handler))
    posted: list[int] = []

    async def deliver(e: Any, card: Any) -> None:
        if not posted:  # the disk goes bad under the first post
            folder.rename(tmp_path / "aside")
            folder.write_text("")
        posted.append(e["id"])

    folder.mkdir()
    consumer = EventConsumer(Core(spec, backend, "discord"), backend, CursorStore(folder / "c"), deliver, wait=0,
                             retry_delay=0.05, backoff=Backoff(initial=0.01))
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(200):
            if "an event lane stopped" in caplog.text:
                break
            await asyncio.sleep(0.01)
        assert "an event lane stopped" in caplog.text
        folder.unlink()  # the disk is back
        (tmp_path / "aside").rename(folder)
        for _ in range(200):
            if CursorStore(folder / "c").load() == 3:
                break
            await asyncio.sleep(0.01)
        assert CursorStore(folder / "c").load() == 3 and not task.done()
        assert sorted(set(posted)) == [1, 2, 3]  # event 1 again at most: it was in flight
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
