"""`build_app` serves the routes an application's hooks module gives in `web_routes()` beside
the API (no key, the API's own paths still routed to their operations), and nothing more
when the module has none. The real Connexion app, called through ASGI in process."""

from __future__ import annotations

from typing import Any

import httpx

from gmbot.server.app import build_app

SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "paths": {"/ping": {"get": {"operationId": "ping", "security": [],
                                "responses": {"200": {"description": "pong"}}}}},
}


async def _get(hooks: str, path: str) -> httpx.Response:
    app = build_app(SPEC, {}, hooks_module=hooks, import_name=__name__, metrics=False)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return await client.get(path)


async def test_web_routes_are_served_beside_the_api() -> None:
    reply = await _get("tests.backend.web_hooks_sample", "/hello/world")
    assert reply.status_code == 200 and reply.text == "hello world"
    api = await _get("tests.backend.web_hooks_sample", "/ping")
    assert api.status_code == 501  # still the API's operation (not written here), not shadowed


async def test_without_web_routes_there_is_nothing_more() -> None:
    reply = await _get("tests.backend.no_such_hooks_module", "/hello/world")
    assert reply.status_code == 404
