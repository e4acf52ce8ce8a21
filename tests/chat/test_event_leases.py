"""Several events consumers against one real backend: the lease decides who delivers.

Each consumer is the real `EventConsumer` with a `PartitionLease`, talking HTTP to a real
`gmbot serve` (SQLite; its scheduler keeps events for one second, so retention runs too).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.events import CursorStore, EventConsumer, LeaseSettings, LostLease, PartitionLease
from gmbot.spec.model import BotSpec
from tests.backend.backend_support import Api, create_war, setup_clan
from tests.backend.conftest import Key, Server, prepare_database, start_server

LEASE = 2.0  # seconds: short, so a take-over happens within the test's patience


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Key]]:
    directory = tmp_path_factory.mktemp("leases")
    url = f"sqlite+aiosqlite:///{directory / 'gmbot.sqlite3'}"
    keys = prepare_database(url)
    running = start_server(url, directory / "server.log", GMBOT_EVENTS_RETENTION="1s")
    try:
        yield running, keys["discord"]
    finally:
        running.stop()


class Replica:
    """One front-end process's consumer: what it posted, by event id."""

    def __init__(self, spec: BotSpec, server: tuple[Server, Key], cursor: Path, partition: str, holder: str,
                 *, leased: bool = True, lease_seconds: float = LEASE) -> None:
        url, key = server[0].url, server[1]
        self.backend = BackendClient(url, key.key, key.client, routes=ROUTES)
        settings = LeaseSettings(partition, lease_seconds, "now", holder)
        self.lease = PartitionLease(self.backend, settings) if leased else None
        self.posted: list[int] = []
        self.consumer = EventConsumer(Core(spec, self.backend, "discord"), self.backend, CursorStore(cursor),
                                      self.deliver, wait=1, lease=self.lease)
        self.task: asyncio.Task[None] | None = None

    async def deliver(self, event: Any, card: Any) -> None:
        self.posted.append(int(event["id"]))

    def start(self) -> None:
        self.task = asyncio.create_task(self.consumer.run())

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        await self.backend.aclose()


def wars(server: tuple[Server, Key], count: int) -> list[int]:
    """`count` wars a subscribed clan hears of; the ids of the events they made."""
    api = Api(server[0].url, server[1])
    try:
        host, rival = setup_clan(api, "Host"), setup_clan(api, "Rival")
        api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4]})
        before = newest(api)
        for _ in range(count):
            create_war(api, host)
        return [e["id"] for e in api.get("/events", after=before, limit=100).json()["items"]]
    finally:
        api.close()


def newest(api: Api) -> int:
    """The newest event id of the feed (from the oldest still kept)."""
    reply = api.get("/events", after=0, limit=100)
    page = reply.json()
    if reply.status_code == 410:
        page = api.get("/events", after=page["availableAfter"], limit=100).json()
    while page["items"]:
        page = api.get("/events", after=page["next"], limit=100).json()
    return int(page["next"])


async def until(condition: Any, seconds: float, what: str) -> float:
    """Wait for `condition()`; how long it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, f"not within {seconds} s: {what}"
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_two_replicas_post_each_event_once_and_a_standby_takes_over(
    spec: BotSpec, server: tuple[Server, Key], tmp_path: Path
) -> None:
    a = Replica(spec, server, tmp_path / "a", "leases-1", "replica-a")
    b = Replica(spec, server, tmp_path / "b", "leases-1", "replica-b")
    a.start(), b.start()
    try:
        await until(lambda: a.consumer.delivering or b.consumer.delivering, 10, "one replica delivers")
        holder, standby = (a, b) if a.consumer.delivering else (b, a)
        first = await asyncio.to_thread(wars, server, 4)
        assert first
        await until(lambda: holder.lease is not None and holder.lease.stored == first[-1], 15, "first batch saved")
        assert sorted(holder.posted) == first and standby.posted == []  # lanes finish in any order

        assert holder.lease is not None
        holder.lease.generation = 0  # the holder dies: it forgets its lease and says no goodbye
        holder.task.cancel()  # type: ignore[union-attr]
        took = await until(lambda: standby.consumer.delivering, LEASE + LEASE / 4 + 2, "the standby takes over")
        assert took <= LEASE + LEASE / 4 + 2
        second = await asyncio.to_thread(wars, server, 3)
        await until(lambda: second[-1] in standby.posted, 15, "second batch posted")
        await standby.consumer.drain()
        assert sorted(holder.posted + standby.posted) == first + second  # nothing lost, nothing twice
    finally:
        await a.stop()
        await b.stop()


async def test_a_replica_stopping_hands_its_lease_over_at_once(
    spec: BotSpec, server: tuple[Server, Key], tmp_path: Path
) -> None:
    long = 30.0  # a lease far longer than the take-over the test waits for
    a = Replica(spec, server, tmp_path / "a", "leases-stop", "replica-a", lease_seconds=long)
    b = Replica(spec, server, tmp_path / "b", "leases-stop", "replica-b", lease_seconds=long)
    a.start(), b.start()
    try:
        await until(lambda: a.consumer.delivering or b.consumer.delivering, 10, "one replica delivers")
        holder, standby = (a, b) if a.consumer.delivering else (b, a)
        first = await asyncio.to_thread(wars, server, 2)
        await until(lambda: holder.lease is not None and holder.lease.stored == first[-1], 15, "first batch saved")
        await holder.stop()  # as a service stops it: the consumer's task is cancelled
        took = await until(lambda: standby.consumer.delivering, long / 2, "the standby takes over")
        assert took < long / 2  # at its next ask (every long/4 s), not when the lease would run out
        second = await asyncio.to_thread(wars, server, 2)
        await until(lambda: second[-1] in standby.posted, 15, "second batch posted")
        assert sorted(holder.posted + standby.posted) == first + second
    finally:
        await a.stop()
        await b.stop()


async def test_a_new_partition_starts_now(spec: BotSpec, server: tuple[Server, Key], tmp_path: Path) -> None:
    old = await asyncio.to_thread(wars, server, 2)
    replica = Replica(spec, server, tmp_path / "c", "leases-new", "replica-c")  # no cursor file either
    replica.start()
    try:
        await until(lambda: replica.consumer.delivering, 10, "it delivers")
        new = await asyncio.to_thread(wars, server, 1)
        await until(lambda: sorted(replica.posted) == new, 15, "the new events posted")
        assert not set(old) & set(replica.posted)
    finally:
        await replica.stop()


async def test_a_replaced_holder_cannot_move_the_cursor(server: tuple[Server, Key]) -> None:
    url, key = server[0].url, server[1]
    backends = [BackendClient(url, key.key, key.client, routes=ROUTES) for _ in range(2)]
    try:
        stale = PartitionLease(backends[0], LeaseSettings("leases-fence", 1.0, "now", "stale"))
        fresh = PartitionLease(backends[1], LeaseSettings("leases-fence", 30.0, "now", "fresh"))
        start = await stale.take()
        assert start is not None and await fresh.take() is None  # held
        taken = None
        for _ in range(50):  # `stale` stops renewing (a long pause); its lease runs out
            if (taken := await fresh.take()) is not None:
                break
            await asyncio.sleep(0.2)
        assert taken == start and fresh.generation == stale.generation + 1
        with pytest.raises(LostLease):
            await stale.save(start + 10)
        await fresh.save(start + 1)
        assert fresh.stored == start + 1
    finally:
        for backend in backends:
            await backend.aclose()


async def test_a_consumer_behind_retention_hears_of_it_and_goes_on(
    spec: BotSpec, server: tuple[Server, Key], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    delivered = await asyncio.to_thread(wars, server, 2)
    lease = Replica(spec, server, tmp_path / "d", "leases-retention", "replica-d")
    assert lease.lease is not None and await lease.lease.take() is not None
    await lease.lease.save(delivered[-1])  # every leased delivery is past them
    api = Api(server[0].url, server[1])
    try:
        await until(lambda: api.get("/events", after=0).status_code == 410, 15, "retention removes them")
        floor = api.get("/events", after=0).json()["availableAfter"]
        kept = [e["id"] for e in api.get("/events", after=floor, limit=100).json()["items"]]  # held back by others
    finally:
        api.close()
    behind = Replica(spec, server, tmp_path / "old-file", "unused", "old", leased=False)  # a file cursor at 0
    try:
        assert await behind.consumer.poll(wait=0) == 0
        assert CursorStore(tmp_path / "old-file").load() >= floor
        assert "removed before delivery" in caplog.text
        after = await asyncio.to_thread(wars, server, 1)
        deadline = asyncio.get_running_loop().time() + 15  # the outbox relays the new war's event
        while after[-1] not in behind.posted:
            assert asyncio.get_running_loop().time() < deadline, f"the new event never came: {behind.posted}"
            await behind.consumer.poll(wait=1)
        # The purge runs every second and may remove more of `kept` before the consumer
        # asks: it then goes on from wherever the feed starts, with no gap after that.
        first = min(behind.posted)
        assert sorted(behind.posted) == [e for e in kept + after if e >= first]
    finally:
        await behind.stop()
        await lease.stop()
