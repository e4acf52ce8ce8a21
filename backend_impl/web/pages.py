"""The public pages: server-rendered HTML (Jinja2, no JavaScript), read-only, no key.

Each page asks the API's own read function (ranked.py, charts.py) for its data, so a page
shows exactly what the API answers; the platform of a clan is in the page's path (the API
takes it from the caller's key). Every page has an ETag, a digest of its data, the
templates and the stylesheet, the same on every replica, and answers 304 to an
If-None-Match naming it without rendering anything.

All user text (clan and season names) goes through Jinja's autoescape; the Content-Security-
Policy allows no script at all, so even a mistake in a template could not run one.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
import uuid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from backend_impl import catalogue, charts, conditional, ranked
from backend_impl.web import links
from gmbot.server.types import Problem, RequestContext

log = logging.getLogger("gmbot.web")
TEMPLATES = Path(__file__).with_name("templates")
_ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.globals.update(links=links)
STYLE = (TEMPLATES / "style.css").read_bytes()
ICON = (TEMPLATES / "favicon.svg").read_bytes()
# every template and the stylesheet: a change to any of them changes every page's ETag
VERSION = hashlib.sha256(
    b"".join(p.read_bytes() for p in sorted(TEMPLATES.iterdir()) if p.is_file())
).hexdigest()[:16]
SECURITY = {
    # no script, no frame, nothing from elsewhere: the pages are text, one picture and CSS
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; "
                               "form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}
# pages change with every war: a browser keeps them but asks again (with the ETag) each time
REVALIDATE = "public, no-cache"
_PLATFORM = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
_SERVER_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class BadRequest(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _context(platform: str) -> RequestContext:
    # the reads are the API's; the pages call them as a keyless client of the clan's platform
    return RequestContext(client="WEB", platform=platform, request_id=uuid.uuid4().hex)


def _integer(request: Request, name: str, low: int, high: int, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not low <= int(raw) <= high:
        raise BadRequest(f"`{name}` must be a whole number from {low} to {high}.")
    return int(raw)


def _held(request: Request, tag: str) -> bool:
    held = request.headers.get("if-none-match")
    return held is not None and conditional.matches(held, tag)


def _page(request: Request, template: str, data: dict[str, Any], status: int = 200) -> Response:
    tag = conditional.etag({"v": VERSION, "t": template, "d": data, "s": status})
    headers = {"ETag": tag, "Cache-Control": REVALIDATE, **SECURITY}
    if status == 200 and _held(request, tag):
        return Response(status_code=304, headers=headers)
    html = _ENV.get_template(template).render(**data)
    return HTMLResponse(html, status_code=status, headers=headers)


def _problem(request: Request, status: int, title: str, detail: str | None) -> Response:
    return _page(request, "problem.html", {"status": status, "title": title, "detail": detail or ""}, status)


async def _answer(request: Request, work: Any) -> Response:
    """`work()` with the API's refusals (unknown clan, game or season; bad input) as pages,
    timed like an API operation (routing.py): a `Server-Timing` header and an INFO line."""
    started = time.perf_counter()
    try:
        response: Response = await work()
    except BadRequest as exc:
        response = _problem(request, 400, "Bad request", exc.detail)
    except Problem as exc:
        response = _problem(request, exc.status, exc.title, exc.detail)
    elapsed = (time.perf_counter() - started) * 1000
    response.headers["Server-Timing"] = f"app;dur={elapsed:.2f}"
    if log.isEnabledFor(logging.INFO):
        route = request.scope.get("route")
        log.info("%s -> %s in %.1f ms", getattr(route, "name", "web"), response.status_code, elapsed)
    return response


async def index(request: Request) -> Response:
    async def work() -> Response:
        cat = await catalogue.load()
        games = [cat.games[g].to_dict() for g in sorted(cat.games)]
        return _page(request, "index.html", {"games": games})

    return await _answer(request, work)


async def leaderboard(request: Request) -> Response:
    async def work() -> Response:
        game = request.path_params["game"]
        if not 1 <= game <= 2147483647:
            raise BadRequest("There is no such game id.")
        season = _integer(request, "season", 1, 1_000_000)
        page = _integer(request, "page", 1, 10_000, 1)
        reply = await ranked.get_rating_leaderboard(
            _context("web"), game_id=game, season=season, limit=links.PAGE_SIZE, page=page
        )
        board = reply.body
        pages = max(1, -(-board["total"] // links.PAGE_SIZE))
        return _page(request, "leaderboard.html", {"board": board, "page": page, "pages": pages})

    return await _answer(request, work)


def _clan(request: Request) -> tuple[str, str]:
    platform, server_id = request.path_params["platform"], request.path_params["server_id"]
    if not _PLATFORM.match(platform) or not _SERVER_ID.match(server_id):
        raise Problem(404, "Not Found", "There is no such clan.")
    return platform, server_id


async def profile(request: Request) -> Response:
    async def work() -> Response:
        platform, server_id = _clan(request)
        game = _integer(request, "game", 1, 2147483647)
        season = _integer(request, "season", 1, 1_000_000)
        reply = await ranked.get_clan_profile(_context(platform), server_id=server_id, game=game, season=season,
                                              recent=10)  # fmt: skip
        clan = reply.body
        chart = links.chart_path(platform, server_id, clan["game"]["id"], clan["season"]["number"])
        return _page(request, "profile.html", {"clan": clan, "chart": chart})

    return await _answer(request, work)


async def chart(request: Request) -> Response:
    async def work() -> Response:
        platform, server_id = _clan(request)
        game = _integer(request, "game", 1, 2147483647)
        season = _integer(request, "season", 1, 1_000_000)
        data = await charts.chart_data(platform, server_id, game, season)
        picture = await charts.picture(data, request.headers.get("if-none-match"), REVALIDATE)
        headers = {**picture.headers, "X-Content-Type-Options": "nosniff"}
        return Response(picture.body or None, status_code=picture.status, headers=headers)

    return await _answer(request, work)


def _static(request: Request, body: bytes, media_type: str) -> Response:
    tag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"}
    if _held(request, tag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


async def style(request: Request) -> Response:
    return _static(request, STYLE, "text/css; charset=utf-8")


async def icon(request: Request) -> Response:
    return _static(request, ICON, "image/svg+xml")
