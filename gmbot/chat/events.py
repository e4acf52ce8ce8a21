"""The events consumer: follow the backend's feed and post each event's card.

`GET /events?after=<cursor>&wait=<s>` long-polls; each event is delivered in
order and the cursor (the event's id) is written to disk after each one, so a
restart neither loses nor repeats a notification. A front end that splits its
servers across processes (Discord's shards) hands in `accepts`, which says whether
this process delivers a server's events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from gmbot.chat.backend import BackendClient, BackendUnavailable
from gmbot.chat.cards import RenderedCard
from gmbot.chat.core import Core
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import EVENTS_OPERATION

log = logging.getLogger("gmbot.chat.events")

Deliver = Callable[[Mapping[str, Any], RenderedCard], Awaitable[None]]
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
    ) -> None:
        self.core = core
        self.backend = backend
        self.cursor = cursor
        self.deliver = deliver
        self.accepts = accepts
        self.wait = wait
        self.limit = limit
        self.retry_delay = retry_delay

    async def poll(self, wait: int | None = None) -> int:
        """One call to the feed; returns how many events were posted here."""
        wait = self.wait if wait is None else wait
        after = self.cursor.load()
        request = HttpRequest(EVENTS_OPERATION, *self._route(), query={"after": after, "wait": wait, "limit": self.limit})
        reply = await self.backend.call(request, read_timeout=wait + 10)
        if not reply.ok or not isinstance(reply.body, dict):
            log.warning("event feed answered %s (request_id=%s)", reply.status, reply.request_id)
            raise BackendUnavailable(f"HTTP {reply.status}", request_id=reply.request_id, operation_id=EVENTS_OPERATION)
        posted = 0
        for event in reply.body.get("items") or []:
            if not isinstance(event, dict) or not isinstance(event.get("id"), int):
                continue
            if event["id"] <= after:
                continue
            if self.accepts(event.get("serverId")):
                card = self.core.render_event(event)
                if card is not None:
                    try:
                        await self.deliver(event, card)
                        posted += 1
                    except Exception:
                        log.exception("could not post event %s (%s)", event["id"], event.get("type"))
            after = event["id"]
            self.cursor.save(after)
        next_cursor = reply.body.get("next")
        if isinstance(next_cursor, int) and next_cursor > after:
            self.cursor.save(next_cursor)
        return posted

    def _route(self) -> tuple[str, str]:
        route = self.backend.route(EVENTS_OPERATION)
        return route.method, route.path

    async def run(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.poll()
            except BackendUnavailable as error:
                log.warning("event feed unavailable: %s", error.reason)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.retry_delay)
