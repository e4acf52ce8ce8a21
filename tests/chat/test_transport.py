"""The backend client on both wire transports against loopback servers: replies, hangs, refusals."""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest

from gmbot.chat.backend import BackendClient, BackendUnavailable
from gmbot.chat.request import HttpRequest
from gmbot.chat.transport import AiohttpTransport
from tests.chat.fakes import ROUTES

TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "aiohttp": AiohttpTransport, "httpx": lambda: httpx.AsyncHTTPTransport()}


async def _serve(handler: object) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)  # type: ignore[arg-type]
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()


@pytest.fixture
async def gzip_server() -> AsyncIterator[str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next((line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), b"0"))
        body = await reader.readexactly(length) if length else b""
        echo = {"head": head.decode(), "body": body.decode()}
        payload = gzip.compress(json.dumps(echo).encode())
        writer.write(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
                     + f"Content-Length: {len(payload)}\r\n\r\n".encode() + payload)
        await writer.drain()
        writer.close()

    async for url in _serve(handle):
        yield url


@pytest.fixture
async def hanging_server() -> AsyncIterator[str]:
    writers: list[asyncio.StreamWriter] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        await asyncio.sleep(30)

    async for url in _serve(handle):
        yield url
    for writer in writers:
        writer.close()


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_headers_body_and_decoding(kind: str, gzip_server: str) -> None:
    client = BackendClient(gzip_server, "key-9", "DISCORD-BFF", routes=ROUTES, transport=TRANSPORTS[kind]())
    reply = await client.call(HttpRequest("createWar", "POST", "/wars", body={"game": 4}),
                              idempotency_key="discord-1", request_id="rid-1")
    await client.aclose()
    assert reply.status == 201 and reply.ok
    head = reply.body["head"].lower()
    assert "x-api-key: key-9" in head and "client: discord-bff" in head
    assert "idempotency-key: discord-1" in head and "x-request-id: rid-1" in head
    assert json.loads(reply.body["body"]) == {"game": 4}


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_a_hanging_backend_times_out(kind: str, hanging_server: str) -> None:
    client = BackendClient(hanging_server, "k", "DISCORD-BFF", routes=ROUTES, transport=TRANSPORTS[kind](), timeout=0.5)
    started = time.perf_counter()
    with pytest.raises(BackendUnavailable) as caught:
        await client.call(HttpRequest("listGames", "GET", "/games"))
    await client.aclose()
    assert caught.value.reason == "timeout" and time.perf_counter() - started < 1.5


@pytest.mark.parametrize("kind", TRANSPORTS)
async def test_a_refused_connection_is_unavailable(kind: str) -> None:
    client = BackendClient("http://127.0.0.1:9", "k", "DISCORD-BFF", routes=ROUTES, transport=TRANSPORTS[kind]())
    with pytest.raises(BackendUnavailable) as caught:
        await client.call(HttpRequest("listGames", "GET", "/games"))
    await client.aclose()
    assert caught.value.reason == "ConnectError"
