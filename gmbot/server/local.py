"""A real backend inside this process: an application's server on a loopback port.

Used by `gmbot chat` (when no backend URL is configured), the end-to-end tests
and the benchmarks. The database is a temporary SQLite file unless a URL is
given; migrations run first and an API key is issued for each client asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from gmbot.application import Application

log = logging.getLogger("gmbot.server.local")


@dataclass(frozen=True)
class LocalBackend:
    url: str
    api_key: str  # the key of the first client asked for
    database_url: str
    keys: dict[str, str] = field(default_factory=dict)  # client -> key


@contextlib.asynccontextmanager
async def local_backend(
    application: Application,
    client: str = "DISCORD-BFF",
    database_url: str | None = None,
    *,
    clients: dict[str, str | None] | None = None,
) -> AsyncIterator[LocalBackend]:
    """`clients` maps each client to issue a key for to its platform (default: `client`
    alone, its platform derived by the application)."""
    import uvicorn

    admin = application.admin_hooks()
    with tempfile.TemporaryDirectory(prefix="gmbot-chat-") as tmp:
        url = database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'gmbot.sqlite3'}"
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        try:
            await admin.upgrade(url)

            # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted sockets only then,
            # and without it Nagle + delayed ACK add ~40 ms to every reply.
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
            # a bot's events long-poll (up to 30 s) must not hold the shutdown
            config = uvicorn.Config(application.create_server(), lifespan="on", log_level="warning",
                                    access_log=False, timeout_graceful_shutdown=1)
            server = uvicorn.Server(config)
            task = asyncio.create_task(server.serve(sockets=[sock]), name="gmbot-local-backend")
            while not server.started:
                if task.done():
                    task.result()
                    raise RuntimeError("the local backend stopped while starting")
                await asyncio.sleep(0.02)
            keys: dict[str, str] = {}
            for name, platform in (clients or {client: None}).items():
                keys[name] = (await admin.create_key(url, name, platform))[1]
            try:
                yield LocalBackend(f"http://127.0.0.1:{port}", next(iter(keys.values())), url, keys)
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
