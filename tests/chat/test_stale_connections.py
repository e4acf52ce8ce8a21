"""Issue 8, defect 6: a pooled keep-alive connection the server is closing.

A real socket server answers the first request of a connection and keeps it open,
then closes it without answering the next one: what a request meets when it is
sent on a connection the server's keep-alive timer has just closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from gmbot.chat import backend as backend_module
from gmbot.chat.backend import BackendClient, BackendUnavailable
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import BackendRoute
from gmbot.chat.transport import AiohttpTransport

ROUTES = {"getHealth": BackendRoute("GET", "/health", (), ()), "setupClan": BackendRoute("POST", "/clans", (), ())}
BODY = b'{"ok": true}'
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


class ClosingServer:
    """Answers one request per connection, then closes it as the next one arrives."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, bytes]] = []  # (connection number, request line)
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        number = self.connections
        answered = False
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                await reader.readexactly(length)
                self.requests.append((number, head.split(b"\r\n")[0]))
                if answered:
                    break  # the keep-alive timer fired: closed, no answer
                writer.write(OK)
                await writer.drain()
                answered = True
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@contextlib.asynccontextmanager
async def closing_server() -> AsyncIterator[tuple[ClosingServer, str]]:
    state = ClosingServer()
    server = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield state, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_request_on_a_closing_connection_is_sent_again(transport: str, method: str) -> None:
    async with closing_server() as (server, url):
        client = BackendClient(url, "k", "DISCORD-BFF", routes=ROUTES,
                               transport=AiohttpTransport() if transport == "aiohttp" else httpx.AsyncHTTPTransport())
        request = HttpRequest("getHealth", "GET", "/health") if method == "GET" else \
            HttpRequest("setupClan", "POST", "/clans", body={"name": "Wolves"})
        try:
            first = await client.call(request, idempotency_key="discord-1")
            second = await client.call(request, idempotency_key="discord-2")  # meets the closing connection
        finally:
            await client.aclose()
        assert first.ok and second.ok
        assert [n for n, _ in server.requests] == [1, 1, 2]  # sent again, once, on a new connection


async def test_a_post_without_idempotency_key_is_not_sent_twice() -> None:
    async with closing_server() as (server, url):
        client = BackendClient(url, "k", "DISCORD-BFF", routes=ROUTES)
        request = HttpRequest("setupClan", "POST", "/clans", body={"name": "Wolves"})
        try:
            await client.call(request)
            with pytest.raises(BackendUnavailable):
                await client.call(request)  # it may have been done: only the caller can tell
        finally:
            await client.aclose()
        assert len(server.requests) == 2


def test_idle_connections_expire_before_the_server_closes_them() -> None:
    server_keepalive = uvicorn.Config(app=None).timeout_keep_alive  # what `gmbot serve` runs with
    assert server_keepalive > backend_module.KEEPALIVE_EXPIRY
