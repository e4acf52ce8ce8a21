"""Where the bot sends Discord's REST calls: DISCORD_API_BASE_URL (default Discord's own).

Large bots put a REST proxy in front of Discord to share rate limits across
processes; the tests point it at a loopback fake. The gateway URL is not set
here: it comes from `GET /gateway/bot` at that base, as in production.
"""

from __future__ import annotations

import os

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
ENV = "DISCORD_API_BASE_URL"


def api_base_url() -> str:
    return (os.environ.get(ENV) or DEFAULT_API_BASE_URL).rstrip("/")


def use_api_base_url(url: str) -> None:
    """Send py-cord's REST calls (the bot's, interaction callbacks and webhooks) to `url`.

    py-cord builds every URL from the class attribute `Route.API_BASE_URL` (a format
    string with `{API_VERSION}`; a plain URL formats to itself), in http.py and in its
    webhook adapter alike, so this one setting moves all of them.
    """
    from discord.http import Route

    Route.API_BASE_URL = url.replace("{", "{{").replace("}", "}}")
