"""A real backend inside this process: the generated server on a loopback port.

Used by `gmbot chat` (when no backend URL is configured), the end-to-end tests
and the benchmark. The database is a temporary SQLite file unless a URL is
given; migrations run first and an API key is issued for the bot's client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("gmbot.bot.local_backend")


@dataclass(frozen=True)
class LocalBackend:
    url: str
    api_key: str
    database_url: str


@contextlib.asynccontextmanager
async def local_backend(client: str = "DISCORD-BFF", database_url: str | None = None) -> AsyncIterator[LocalBackend]:
    import uvicorn

    from backend_impl import apikeys, db, migrate

    with tempfile.TemporaryDirectory(prefix="gmbot-chat-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'gmbot.sqlite3'}"
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        try:
            await migrate.upgrade(url)
            from generated.server.app import create_app

            # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then,
            # and without it Nagle + delayed ACK add ~40 ms to every reply.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            config = uvicorn.Config(create_app(), lifespan="on", log_level="warning", access_log=False)
            server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[sock]), name="gmbot-local-backend")
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the local backend stopped while starting")
                await asyncio.sleep(0.02)
            _, key = await apikeys.create(db.get(), client)
            try:
                yield LocalBackend(f"http://127.0.0.1:{port}", key, url)
            finally:
                server.should_exit = True
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                sock.close()
        finally:
            if previous is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = previous
