"""Where the bot sends Discord's REST calls: DISCORD_API_BASE_URL (default Discord's own).

Large bots put a REST proxy in front of Discord to share rate limits across
processes; the tests point it at a loopback fake. The gateway URL is not set
here: it comes from `GET /gateway/bot` at that base, as in production.
"""

from __future__ import annotations

import os

from gmbot.discord.pycord_internals import set_api_base_url

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
ENV = "DISCORD_API_BASE_URL"


def api_base_url() -> str:
    return (os.environ.get(ENV) or DEFAULT_API_BASE_URL).rstrip("/")


def use_api_base_url(url: str) -> None:
    """Send py-cord's REST calls (the bot's, interaction callbacks and webhooks) to `url`:
    for the whole process, as py-cord has no per-client setting (pycord_internals.py)."""
    set_api_base_url(url)
