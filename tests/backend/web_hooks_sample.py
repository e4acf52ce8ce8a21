"""An application's hooks module with `web_routes` only (tests/backend/test_web_routes_hook.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


async def hello(request: Request) -> Response:
    return PlainTextResponse(f"hello {request.path_params['name']}")


def web_routes() -> list[Route]:
    return [Route("/hello/{name}", hello, methods=["GET"], name="hello")]
