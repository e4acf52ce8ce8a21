"""Every use of slack-sdk beyond its documented API, in one place (slack-sdk 3.x).

Each function says what it relies on; tests/service/test_library_internals.py pins that
behaviour, so an upgrade that changes it fails there, by name.
"""

from __future__ import annotations

from typing import Any


async def connect_socket(client: Any, url: str) -> None:
    """Connect a Socket Mode client (slack-sdk's aiohttp `SocketModeClient`) to `url`, a
    WebSocket URL already issued by `apps.connections.open`.

    `connect()` asks `apps.connections.open` itself only while `client.wss_uri` is None, and
    retries a refused app token forever with a traceback each time; setting `wss_uri` first
    lets the caller ask once, and read a refusal as the one line it is.
    """
    client.wss_uri = url
    await client.connect()


def socket_up(client: Any) -> bool:
    """Whether the client's WebSocket is open now (slack-sdk reconnects a dropped one by
    itself): its `current_session`, an aiohttp WebSocket, is there and not closed."""
    session = getattr(client, "current_session", None)
    return not getattr(client, "closed", False) and session is not None and not session.closed
