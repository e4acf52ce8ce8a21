"""A card's picture from an operation (gmbot/chat/images.py) against a real HTTP server on
loopback: the request as every call (`client`, `x-api-key`), the bytes within the platform's
upload limit, only an image, the ETag kept (a 304 reuses the bytes), and a failure that leaves
the card without the picture rather than failing it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from gmbot.chat.backend import BackendClient
from gmbot.chat.images import Pictures
from gmbot.chat.routes import BackendRoute
from gmbot.chat.vocabulary import RenderedCard
from gmbot.spec.model import Card, CardImage, Request

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
ROUTES = {"getChart": BackendRoute("GET", "/clans/{serverId}/chart", ("serverId",), ("game",))}
CARD = Card(title="Profile", image=CardImage(operation="getChart", request=Request(
    path={"serverId": "$server.id"}, query={"game": "$reply.game"})))


class Backend:
    """Answers the chart as told: `body`, `kind`, `status`; records the requests' headers."""

    def __init__(self) -> None:
        self.body, self.kind, self.status, self.etag = PNG, "image/png", 200, '"v1"'
        self.seen: list[dict[str, Any]] = []

    async def chart(self, request: web.Request) -> web.Response:
        self.seen.append({**request.headers, "path": request.path, "query": dict(request.query)})
        if request.headers.get("If-None-Match") == self.etag:
            return web.Response(status=304, headers={"ETag": self.etag})
        return web.Response(status=self.status, body=self.body, content_type=self.kind, headers={"ETag": self.etag})


@contextlib.asynccontextmanager
async def serving() -> AsyncIterator[tuple[Backend, BackendClient]]:
    backend = Backend()
    app = web.Application()
    app.router.add_get("/clans/{server}/chart", backend.chart)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    client = BackendClient(f"http://127.0.0.1:{runner.addresses[0][1]}", "key-1", "DISCORD-BFF", routes=ROUTES)
    try:
        yield backend, client
    finally:
        await client.aclose()
        await runner.cleanup()


async def shown(pictures: Pictures) -> RenderedCard:
    rendered = RenderedCard(title="Profile")
    pictures.want(rendered, CARD, {"server": {"id": "S1", "name": "Wolves"}, "reply": {"game": 4}}, "discord")
    await pictures.fetch(rendered)
    return rendered


async def test_the_picture_is_asked_as_every_call_and_named_after_its_operation() -> None:
    async with serving() as (backend, client):
        card = await shown(Pictures(client, most=1024))
    [picture] = card.pictures.values()
    assert (picture.data, picture.media_type, picture.name) == (PNG, "image/png", "getChart.png")
    [asked] = backend.seen
    assert asked["path"] == "/clans/S1/chart" and asked["query"] == {"game": "4"}
    assert asked["client"] == "DISCORD-BFF" and asked["x-api-key"] == "key-1" and asked["X-Request-ID"]
    assert card.wanted == {}


async def test_the_etag_is_kept_and_a_304_reuses_the_bytes() -> None:
    async with serving() as (backend, client):
        pictures = Pictures(client, most=1024)
        first, second = await shown(pictures), await shown(pictures)
    assert first.pictures == second.pictures
    assert [s.get("If-None-Match") for s in backend.seen] == [None, backend.etag]
    assert (pictures.fetched, pictures.reused) == (1, 1)


@pytest.mark.parametrize(("change", "why"), [
    ({"kind": "application/json", "body": b"{}"}, "not an image"),
    ({"status": 500, "body": b"oops", "kind": "text/plain"}, "HTTP 500"),
    ({"body": PNG * 20}, "more than the"),  # 2,180 bytes, the platform taking 1,024
])
async def test_a_picture_that_cannot_be_had_leaves_the_card_without_it(
    change: dict[str, Any], why: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with serving() as (backend, client):
        for key, value in change.items():
            setattr(backend, key, value)
        card = await shown(Pictures(client, most=1024))
    assert card.pictures == {} and card.title == "Profile"
    assert any(why in r.getMessage() and "getChart: no picture" in r.getMessage() for r in caplog.records)


async def test_a_backend_that_is_down_leaves_the_card_without_it() -> None:
    client = BackendClient("http://127.0.0.1:9", "key-1", "DISCORD-BFF", routes=ROUTES)
    card = await shown(Pictures(client, most=1024))
    await client.aclose()
    assert card.pictures == {}
