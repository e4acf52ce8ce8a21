"""The events consumer: follow the backend's feed and post each event's card.

`GET /events?after=<cursor>&wait=<s>` long-polls. Each channel's events are posted
in order, on a lane of their own, so one channel waiting out a rate limit (or a
Discord outage for that channel) never holds up the others. A delivery that fails
for a passing reason (`DeliveryError(permanent=False)`: a 429, a 5xx, a time-out, a
dropped connection) is retried with backoff; a permanent one (403, 404, an unknown
channel) is logged and skipped.

The cursor on disk is the highest event id below which every event is done
(posted or skipped), so a restart repeats at most the events in flight; the
front end makes a repeat harmless where the platform allows it (Discord: the message
`nonce`, enforced; Slack has no such key, so there a repeat is possible: each post names
its event in the message metadata).
A front end that splits its servers across processes (Discord's shards) hands
in `accepts`, which says whether this process delivers a server's events.

With a `PartitionLease` (the backend has the delivery operations) the cursor lives in the
backend, per client and partition, so a new host or container goes on where the partition
was and a partition never seen starts "now" (GMBOT_EVENTS_FROM). Only the replica holding
the partition's lease delivers; it renews the lease every quarter of its length, and when
it loses it (another replica took over after it could not renew in time) it stops and
waits as a standby, asking for the lease again as often. So N replicas post each event
once, and a standby takes over within a lease's length when the holder dies. The file
cursor remains for a backend without those operations.

A front end that splits its servers into partitions by a rule that can change (Discord's
shards, re-sharded from 2 to 4) hands in a `Lineage`: before taking a lease afresh the
replica reads every partition of its feed (`listDeliveries`) and the lineage says what the
partitions used before left it (`Inheritance`): a new partition starts from the lowest cursor
among the old ones that held its servers, each event at or below the cursor of the old
partition that held its server is dropped (delivered already), and while an old partition is
still held by a replica the new one stands by (the old shard set has not stopped yet).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from gmbot.chat.backend import BackendClient, BackendUnavailable
from gmbot.chat.backoff import Backoff
from gmbot.chat.core import Core
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import (
    CURSOR_OPERATION,
    DELIVERIES_OPERATION,
    EVENTS_OPERATION,
    LEASE_OPERATION,
)
from gmbot.chat.vocabulary import RenderedCard
from gmbot.chat.waiting import wait_event

log = logging.getLogger("gmbot.chat.events")

RELEASE_TIMEOUT = 5.0  # seconds a stopping replica gives the backend to take its lease back

# How a front end posts an event's card; it raises DeliveryError when the platform refused it.
Deliver = Callable[[Mapping[str, Any], RenderedCard], Awaitable[None]]
RETRY = Backoff(initial=0.5, cap=60.0, jitter=0.2)  # a failed post's next tries
Accepts = Callable[[Any], bool]  # a server id -> does this process deliver its events?


def every_server(server_id: Any) -> bool:
    return True


class CursorStore:
    """The last delivered event id, in a small file replaced atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int:
        try:
            return int(self.path.read_text(encoding="utf-8").strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def save(self, cursor: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(str(cursor))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)


def default_holder() -> str:
    """This process among the replicas: host, pid and a random part (pids repeat across containers)."""
    return f"{socket.gethostname()[:32]}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LeaseSettings:
    partition: str = "all"  # the servers this replica set delivers (a shard, or all of them)
    seconds: float = 10.0  # how long a lease lasts unrenewed: a dead holder is replaced within it
    start: str = "now"  # a partition seen for the first time: now, beginning, or an event id
    holder: str = field(default_factory=default_holder)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, partition: str | None = None) -> LeaseSettings:
        """GMBOT_EVENTS_PARTITION, GMBOT_EVENTS_LEASE_SECONDS and GMBOT_EVENTS_FROM."""
        start = environ.get("GMBOT_EVENTS_FROM", "now").strip() or "now"
        if start not in ("now", "beginning") and not start.isdigit():
            raise ValueError(f"GMBOT_EVENTS_FROM={start!r}: use now, beginning or an event id")
        return cls(partition or environ.get("GMBOT_EVENTS_PARTITION", "").strip() or "all",
                   float(environ.get("GMBOT_EVENTS_LEASE_SECONDS", "10")), start)


@dataclass(frozen=True)
class Inheritance:
    """What a partition takes over from the partitions its servers were split into before."""

    cursor: int  # where it starts when new: no server of it was left behind this by its old partition
    delivered: Callable[[Any, int], bool]  # (server id, event id) -> an old partition went past it
    busy: tuple[str, ...] = ()  # old partitions still held by a replica: wait until they stop


# (this partition's name, every partition of the feed as listDeliveries gives them) -> what this
# one inherits, or None when no earlier partition held any of its servers
Lineage = Callable[[str, Sequence[Mapping[str, Any]]], Inheritance | None]


def nothing_delivered(server_id: Any, event_id: int) -> bool:
    return False


class LostLease(Exception):
    """Another replica holds the partition now: this one must stop delivering it."""


class PartitionLease:
    """The lease on one partition of the feed, and its cursor, kept by the backend."""

    def __init__(self, backend: BackendClient, settings: LeaseSettings, lineage: Lineage | None = None) -> None:
        self.backend = backend
        self.settings = settings
        self.lineage = lineage if DELIVERIES_OPERATION in backend.routes else None
        self.delivered: Callable[[Any, int], bool] = nothing_delivered  # by an earlier partition
        self.generation = 0  # the fencing token of the lease held; 0: none
        self.valid_until = 0.0  # monotonic time the lease held runs out, counted from the asking
        self.stored: int | None = None  # the cursor the backend has from this replica

    @staticmethod
    def supported(backend: BackendClient) -> bool:
        return LEASE_OPERATION in backend.routes and CURSOR_OPERATION in backend.routes

    @property
    def renew_every(self) -> float:
        return self.settings.seconds / 4

    async def take(self) -> int | None:
        """Take or renew the lease; its cursor, or None while another replica holds it."""
        asked = time.monotonic()
        start = self.settings.start
        if not self.generation and self.lineage is not None:  # taking it afresh: what came before?
            inherited, self.delivered = await self._inherit(), nothing_delivered
            if inherited is not None:
                if inherited.busy:
                    log.info("partition %s waits for %s to stop (the feed was split differently there)",
                             self.settings.partition, ", ".join(inherited.busy))
                    return None
                start, self.delivered = str(inherited.cursor), inherited.delivered
        body = {"holder": self.settings.holder, "seconds": self.settings.seconds, "start": start}
        reply = await self._call(LEASE_OPERATION, body)
        if reply.status == 409:
            self.generation = 0
            return None
        self._check(reply, LEASE_OPERATION)
        self.generation = int(reply.body["generation"])
        self.valid_until = asked + self.settings.seconds
        return int(reply.body["cursor"])

    async def _inherit(self) -> Inheritance | None:
        assert self.lineage is not None
        route = self.backend.route(DELIVERIES_OPERATION)
        reply = await self.backend.call(HttpRequest(DELIVERIES_OPERATION, route.method, route.path))
        self._check(reply, DELIVERIES_OPERATION)
        items = reply.body.get("items")
        return self.lineage(self.settings.partition, items if isinstance(items, list) else [])

    async def save(self, cursor: int) -> None:
        reply = await self._call(CURSOR_OPERATION, {"generation": self.generation, "cursor": cursor})
        if reply.status in (404, 409):
            self.generation = 0
            raise LostLease(f"partition {self.settings.partition}: {reply.body}")
        self._check(reply, CURSOR_OPERATION)
        self.stored = cursor

    async def release(self, cursor: int) -> None:
        """A replica stopping: keep its cursor and give the lease up at once (a lease of 0
        seconds), so a standby takes over at its next ask instead of when the lease runs out.
        Best effort: if the backend cannot be told, the lease simply runs out."""
        if not self.generation:
            return
        with contextlib.suppress(LostLease, BackendUnavailable, TimeoutError, httpx.HTTPError):
            async with asyncio.timeout(RELEASE_TIMEOUT):
                await self.save(cursor)
                body = {"holder": self.settings.holder, "seconds": 0, "start": self.settings.start}
                await self._call(LEASE_OPERATION, body)
        self.generation = 0

    async def _call(self, operation: str, body: Mapping[str, Any]) -> Any:
        route = self.backend.route(operation)
        path = route.path.replace("{partition}", self.settings.partition)
        return await self.backend.call(HttpRequest(operation, route.method, path, body=dict(body)))

    @staticmethod
    def _check(reply: Any, operation: str) -> None:
        if not reply.ok or not isinstance(reply.body, dict):
            raise BackendUnavailable(f"HTTP {reply.status}", request_id=reply.request_id, operation_id=operation)


class LaneFailed(Exception):
    """A channel's lane stopped on an error outside a delivery (the cursor could not be
    saved, a bug): its events would stay pending for ever, so waiting for them ends."""


class DeliveryError(Exception):
    """What a `Deliver` raises when a post failed: `permanent` ones are skipped, others retried
    (after `retry_after` seconds when the platform said so)."""

    def __init__(self, reason: str, *, permanent: bool, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after


@dataclass
class _Item:
    event: Mapping[str, Any]
    card: RenderedCard

    @property
    def id(self) -> int:
        return int(self.event["id"])

    @property
    def lane(self) -> str:
        return str(self.event.get("channelId") or self.event.get("serverId") or "")


class EventConsumer:
    def __init__(
        self,
        core: Core,
        backend: BackendClient,
        cursor: CursorStore,
        deliver: Deliver,
        *,
        accepts: Accepts = every_server,
        wait: int = 25,
        limit: int = 50,
        retry_delay: float = 2.0,
        in_order: bool = False,
        max_pending: int = 1000,
        backoff: Backoff = RETRY,
        give_up_after: float = 900.0,
        attempt_timeout: float = 60.0,
        lease: PartitionLease | None = None,
    ) -> None:
        """`in_order`: post every event before the next (a single reader, the playground)
        instead of one lane per channel. `max_pending`: events fetched but not yet done
        before the feed is paused (memory stays bounded while a channel is stuck).
        A transient failure is retried with `backoff` (each event from its first step)
        until `give_up_after` seconds have passed since the first try."""
        self.core = core
        self.backend = backend
        self.cursor = cursor
        self.deliver = deliver
        self.accepts = accepts
        self.wait = wait
        self.limit = limit
        self.retry_delay = retry_delay
        self.in_order = in_order
        self.max_pending = max_pending
        self.backoff = backoff
        self.give_up_after = give_up_after
        self.attempt_timeout = attempt_timeout
        self.lease = lease
        self.delivering = lease is None  # holds its partition's lease (or needs none)
        self._to_save = asyncio.Event()  # the cursor moved: the lease keeper sends it
        self.posted = 0  # events posted since start
        self.skipped = 0  # events given up on
        self._fetched: int | None = None  # the highest id read from the feed
        self._saved = 0
        self._pending: set[int] = set()
        self._lanes: dict[str, deque[_Item]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()
        self._failure: BaseException | None = None  # why a lane died; its events stay pending

    # -- the feed ------------------------------------------------------------------------
    async def fetch(self, wait: int | None = None) -> int:
        """One call to the feed; hands each new event to its lane. Returns how many."""
        wait = self.wait if wait is None else wait
        if self._fetched is None:
            self._fetched = self._saved = self.cursor.load()
        await self._room()
        after = self._fetched
        request = HttpRequest(EVENTS_OPERATION, *self._route(), query={"after": after, "wait": wait, "limit": self.limit})
        reply = await self.backend.call(request, read_timeout=wait + 10)
        gone = reply.body.get("availableAfter") if reply.status == 410 and isinstance(reply.body, dict) else None
        if isinstance(gone, int):  # removed by retention before we read them: say so, go on after them
            log.error("events after %s up to %s were removed before delivery (retention); continuing after %s",
                      after, gone, gone)
            self._fetched = max(after, gone)
            self._advance()
            return 0
        if not reply.ok or not isinstance(reply.body, dict):
            log.warning("event feed answered %s (request_id=%s)", reply.status, reply.request_id)
            raise BackendUnavailable(f"HTTP {reply.status}", request_id=reply.request_id, operation_id=EVENTS_OPERATION)
        handed = 0
        for event in reply.body.get("items") or []:
            if not isinstance(event, dict) or not isinstance(event.get("id"), int) or event["id"] <= after:
                continue
            after = event["id"]
            card = self.core.render_event(event) if self._ours(event) else None
            self._fetched = after
            if card is None:  # another shard's, or no card for its type: done
                continue
            handed += 1
            item = _Item(event, card)
            self._pending.add(item.id)
            if self.in_order:
                await self._post(item)
            else:
                self._enqueue(item)
        next_cursor = reply.body.get("next")
        if isinstance(next_cursor, int) and next_cursor > self._fetched:
            self._fetched = next_cursor
        self._advance()
        return handed

    def _ours(self, event: Mapping[str, Any]) -> bool:
        """This process delivers the event: its server is ours, and no earlier partition did."""
        server = event.get("serverId")
        return self.accepts(server) and not (self.lease is not None and self.lease.delivered(server, event["id"]))

    async def poll(self, wait: int | None = None) -> int:
        """One call to the feed, then until its events are done; returns how many were posted."""
        before = self.posted
        await self.fetch(wait)
        await self.drain()
        return self.posted - before

    async def drain(self) -> None:
        """Until every fetched event is done; `LaneFailed` when a lane died with events left."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._pending or self._failure is not None)
        self._check_lanes()

    def _check_lanes(self) -> None:
        if self._failure is not None:
            raise LaneFailed(f"an event lane stopped: {type(self._failure).__name__}: {self._failure}") \
                from self._failure

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        try:
            if self.lease is None:
                await self._follow(stop)
            else:
                await self._run_leased(self.lease, stop)
        finally:
            self._stop_lanes()
            if self.lease is not None:  # stopped (or cancelled, as a service stops it): hand over
                await self.lease.release(self._saved)

    async def _follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.fetch()
                self._check_lanes()
            except BackendUnavailable as error:
                log.warning("event feed unavailable: %s", error.reason)
                await self._pause(stop, self.retry_delay)
            except LaneFailed as error:  # start over from the cursor: nothing pending is lost
                log.error("%s; fetching again after event %s", error, self._saved)
                self._stop_lanes()
                self._fetched = self._saved if self.lease is not None else None
                await self._pause(stop, self.retry_delay)
            except OSError as error:  # the cursor file cannot be read: nothing is posted until it can
                log.error("cannot read the events cursor %s: %s", self.cursor.path, error)
                await self._pause(stop, self.retry_delay)

    async def _run_leased(self, lease: PartitionLease, stop: asyncio.Event) -> None:
        """Deliver while this replica holds the lease; stand by while another does."""
        partition = lease.settings.partition
        while not stop.is_set():
            try:
                start = await lease.take()
            except BackendUnavailable as error:
                log.warning("cannot take the lease of partition %s: %s", partition, error.reason)
                start = None
            if start is None:
                await self._pause(stop, lease.renew_every)
                continue
            log.info("delivering partition %s from event %s (lease generation %s)", partition, start, lease.generation)
            self._fetched = self._saved = start
            self.delivering = True
            work = [asyncio.create_task(self._follow(stop)), asyncio.create_task(self._keep(lease))]
            try:
                await asyncio.wait(work, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in work:
                    task.cancel()
                await asyncio.gather(*work, return_exceptions=True)
                self._stop_lanes()
                self.delivering = False
            if not stop.is_set():
                log.warning("partition %s: lease lost; standing by", partition)

    async def _keep(self, lease: PartitionLease) -> None:
        """Send the cursor when it moves and renew the lease; return when the lease is lost."""
        renew_at = time.monotonic() + lease.renew_every
        while True:
            await wait_event(self._to_save, renew_at - time.monotonic())
            try:
                if self._to_save.is_set():
                    self._to_save.clear()
                    await lease.save(self._saved)
                if time.monotonic() >= renew_at:
                    if await lease.take() is None:
                        return
                    renew_at = time.monotonic() + lease.renew_every
            except LostLease:
                return
            except BackendUnavailable as error:
                self._to_save.set()
                if time.monotonic() >= lease.valid_until:  # another replica may hold it by now
                    log.warning("lease of partition %s ran out unrenewed: %s", lease.settings.partition, error.reason)
                    return
                await asyncio.sleep(min(self.retry_delay, lease.renew_every))

    @staticmethod
    async def _pause(stop: asyncio.Event, seconds: float) -> None:
        await wait_event(stop, seconds)

    def _stop_lanes(self) -> None:
        """Cancel the posts in flight and forget what was fetched: the cursor says where to resume."""
        for task in list(self._tasks):
            task.cancel()
        self._lanes.clear()
        self._pending.clear()
        self._fetched = None
        self._failure = None

    def _route(self) -> tuple[str, str]:
        route = self.backend.route(EVENTS_OPERATION)
        return route.method, route.path

    async def _room(self) -> None:
        """Wait while too many events are in flight (a stuck channel must not fill memory)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._pending) < self.max_pending or self._failure is not None)
        self._check_lanes()

    # -- lanes: one per channel ----------------------------------------------------------
    def _enqueue(self, item: _Item) -> None:
        lane = self._lanes.get(item.lane)
        if lane is None:
            lane = self._lanes[item.lane] = deque()
            task = asyncio.create_task(self._run_lane(item.lane, lane), name=f"gmbot-events-{item.lane}")
            self._tasks.add(task)
            task.add_done_callback(self._lane_ended)
        lane.append(item)

    def _lane_ended(self, task: asyncio.Task[None]) -> None:
        """A lane that died on an error (not a delivery's: those are caught in `_attempts`)
        leaves its events pending: note why, and wake whoever waits for them."""
        self._tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        self._failure = self._failure or task.exception()
        waking = asyncio.get_running_loop().create_task(self._notify())
        self._tasks.add(waking)
        waking.add_done_callback(self._tasks.discard)

    async def _run_lane(self, key: str, lane: deque[_Item]) -> None:
        try:
            while lane:
                await self._post(lane[0])
                lane.popleft()
        finally:
            # no await between the last check and here: nothing can be added unseen
            if self._lanes.get(key) is lane:
                del self._lanes[key]

    async def _post(self, item: _Item) -> None:
        """Post one event: retried while the failure is transient; done afterwards, unless
        cancelled (the process stopping): then it stays pending, and is posted again after a
        restart."""
        await self.core.pictures.fetch(item.card)  # its pictures from the backend, if it has any (once)
        await self._attempts(item)
        self._pending.discard(item.id)
        self._advance()
        await self._notify()

    async def _attempts(self, item: _Item) -> None:
        started = time.monotonic()
        backoff = self.backoff.fresh()
        while True:
            step = backoff.next_delay()  # grows with every failure in a row, whatever the wait
            try:
                async with asyncio.timeout(self.attempt_timeout):
                    await self.deliver(item.event, item.card)
                self.posted += 1
                return
            except DeliveryError as error:
                if error.permanent:
                    log.warning("event %s (%s) skipped: %s", item.id, item.event.get("type"), error.reason)
                    self.skipped += 1
                    return
                reason = error.reason
                # the platform's own "retry after" is exact; our backoff has jitter, so
                # channels failing together do not retry together
                wait = error.retry_after or step
            except TimeoutError:
                reason, wait = f"no answer within {self.attempt_timeout:g} s", step
            except Exception:  # a bug rather than the platform: retrying would not help
                log.exception("event %s (%s) skipped", item.id, item.event.get("type"))
                self.skipped += 1
                return
            if time.monotonic() - started + wait > self.give_up_after:
                log.error("event %s (%s) given up after %.0f s: %s", item.id, item.event.get("type"),
                          time.monotonic() - started, reason)
                self.skipped += 1
                return
            log.info("event %s (%s) retried in %.1f s: %s", item.id, item.event.get("type"), wait, reason)
            await asyncio.sleep(wait)

    # -- the cursor ----------------------------------------------------------------------
    def _advance(self) -> None:
        """Save the highest id below which every event is done."""
        if self._fetched is None:
            return
        done = min(self._pending) - 1 if self._pending else self._fetched
        if done > self._saved:
            try:
                self.cursor.save(done)
            except OSError as error:
                if self.lease is None:  # the file is the cursor: a lane stops on it (`LaneFailed`)
                    raise
                # with a lease the file is a local copy only: a read-only disk must not stop delivery
                log.debug("local copy of the cursor not written: %s", error)
            self._saved = done
            self._to_save.set()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
