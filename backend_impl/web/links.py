"""Where the public pages live: their paths, and the backend's public address for links
from elsewhere (the chat cards, through `pageUrl`/`chartUrl` in the API's replies).

GMBOT_PUBLIC_URL is the address the pages are reached at from outside (behind a reverse
proxy: `https://gmbot.example.org`); without it the replies carry no links (null) and the
cards no title link. The pages themselves link with paths only, so they work under any host.
"""

from __future__ import annotations

import os
import re
from urllib.parse import quote, urlencode

PREFIX = "/web"
PAGE_SIZE = 25  # clans per leaderboard page
_HTTP = re.compile(r"^https?://[^\s/?#]+(/[^\s?#]*)?$")


def public_url() -> str | None:
    """GMBOT_PUBLIC_URL without its trailing slash, or None (unset, or not an http(s) URL)."""
    value = os.environ.get("GMBOT_PUBLIC_URL", "").strip().rstrip("/")
    return value if _HTTP.match(value) else None


def _query(**values: object) -> str:
    present = {k: v for k, v in values.items() if v is not None}
    return "?" + urlencode(present) if present else ""


def leaderboard_path(game: int, season: int | None = None, page: int | None = None) -> str:
    return f"{PREFIX}/games/{game}/leaderboard" + _query(season=season, page=page if page and page > 1 else None)


def profile_path(platform: str, server_id: str, game: int | None = None, season: int | None = None) -> str:
    return f"{PREFIX}/clans/{quote(platform, safe='')}/{quote(server_id, safe='')}" + _query(game=game, season=season)


def chart_path(platform: str, server_id: str, game: int | None = None, season: int | None = None) -> str:
    clan = f"{PREFIX}/clans/{quote(platform, safe='')}/{quote(server_id, safe='')}"
    return f"{clan}/chart.png" + _query(game=game, season=season)


def absolute(path: str) -> str | None:
    base = public_url()
    return base + path if base else None
