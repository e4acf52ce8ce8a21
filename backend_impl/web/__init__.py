"""Public, read-only web pages served by the backend beside the API (no key): a leaderboard
per game and season and a clan's profile with its rating chart. Handed to the server by
app_hooks.web_routes (gmbot/server/app.py serves what the hooks give it)."""

from __future__ import annotations

from starlette.routing import Route

from backend_impl.web import links, pages


def routes() -> list[Route]:
    p = links.PREFIX
    return [
        Route(f"{p}/", pages.index, methods=["GET"], name="web-index"),
        Route(f"{p}/style.css", pages.style, methods=["GET"], name="web-style"),
        Route(f"{p}/favicon.svg", pages.icon, methods=["GET"], name="web-icon"),
        Route(f"{p}/games/{{game:int}}/leaderboard", pages.leaderboard, methods=["GET"], name="web-leaderboard"),
        Route(f"{p}/clans/{{platform}}/{{server_id}}", pages.profile, methods=["GET"], name="web-profile"),
        Route(f"{p}/clans/{{platform}}/{{server_id}}/chart.png", pages.chart, methods=["GET"], name="web-chart"),
    ]
