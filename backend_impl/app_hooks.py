"""Hooks the generated server calls (see docs/architecture.md, "The server contract").

`verify_api_key`: who a key was issued to. `lifespan`: brings the database up to
date (already done by `gmbot serve`; this makes `uvicorn generated.server.app:app`
work alone too, and costs one version check), opens it (with, on PostgreSQL, the
LISTEN connection for events), warms the catalogue, and runs the scheduler that
ends due wars and purges expired idempotency records, for the app's life. When the
server begins to shut down, the event feed's long-polls are answered at once.
`web_routes`: the public pages (web/), beside the API.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import TYPE_CHECKING

from backend_impl import apikeys, catalogue, db, event_watch, migrate, scheduler, settings
from gmbot.server import draining
from gmbot.server.types import ApiClient

if TYPE_CHECKING:
    from starlette.routing import Route


async def verify_api_key(api_key: str) -> ApiClient | None:
    return await apikeys.verify(db.get(), api_key)


@asynccontextmanager
async def _lifespan() -> AsyncIterator[None]:
    await migrate.upgrade(settings.database_url())
    database = db.init()
    database.start_listening()  # PostgreSQL: other processes' events wake long-polls at once
    await catalogue.load()
    task = asyncio.create_task(
        scheduler.run(database, settings.scheduler_interval()), name="gmbot-scheduler"
    )
    forget = draining.on_stop(lambda: event_watch.stop_waiting(database))
    try:
        yield
    finally:
        forget()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await db.close()


def lifespan() -> AbstractAsyncContextManager[None]:
    return _lifespan()


def web_routes() -> list[Route]:
    """The public pages (backend_impl/web/), served beside the API without a key."""
    from backend_impl import web

    return web.routes()
