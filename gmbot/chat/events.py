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
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gmbot.chat.backend import BackendClient, BackendUnavailable
from gmbot.chat.backoff import Backoff
from gmbot.chat.core import Core
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import EVENTS_OPERATION
from gmbot.chat.vocabulary import RenderedCard

log = logging.getLogger("gmbot.chat.events")

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
        self.posted = 0  # events posted since start
        self.skipped = 0  # events given up on
        self._fetched: int | None = None  # the highest id read from the feed
        self._saved = 0
        self._pending: set[int] = set()
        self._lanes: dict[str, deque[_Item]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Condition()

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
        if not reply.ok or not isinstance(reply.body, dict):
            log.warning("event feed answered %s (request_id=%s)", reply.status, reply.request_id)
            raise BackendUnavailable(f"HTTP {reply.status}", request_id=reply.request_id, operation_id=EVENTS_OPERATION)
        handed = 0
        for event in reply.body.get("items") or []:
            if not isinstance(event, dict) or not isinstance(event.get("id"), int) or event["id"] <= after:
                continue
            after = event["id"]
            card = self.core.render_event(event) if self.accepts(event.get("serverId")) else None
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

    async def poll(self, wait: int | None = None) -> int:
        """One call to the feed, then until its events are done; returns how many were posted."""
        before = self.posted
        await self.fetch(wait)
        await self.drain()
        return self.posted - before

    async def drain(self) -> None:
        """Until every fetched event is done."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._pending)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        try:
            while not stop.is_set():
                try:
                    await self.fetch()
                except BackendUnavailable as error:
                    log.warning("event feed unavailable: %s", error.reason)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self.retry_delay)
        finally:
            for task in list(self._tasks):
                task.cancel()

    def _route(self) -> tuple[str, str]:
        route = self.backend.route(EVENTS_OPERATION)
        return route.method, route.path

    async def _room(self) -> None:
        """Wait while too many events are in flight (a stuck channel must not fill memory)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._pending) < self.max_pending)

    # -- lanes: one per channel ----------------------------------------------------------
    def _enqueue(self, item: _Item) -> None:
        lane = self._lanes.get(item.lane)
        if lane is None:
            lane = self._lanes[item.lane] = deque()
            task = asyncio.create_task(self._run_lane(item.lane, lane), name=f"gmbot-events-{item.lane}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        lane.append(item)

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
            self.cursor.save(done)
            self._saved = done

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
