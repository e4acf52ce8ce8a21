"""Every use of py-cord beyond its documented API, in one place (py-cord 2.8).

Each function says what it relies on; tests/service/test_library_internals.py pins that
behaviour, so a py-cord upgrade that changes it fails there, by name, rather than as a bot
that silently stops reconnecting or talks to the wrong host.
"""

from __future__ import annotations

from typing import Any


def set_api_base_url(url: str) -> None:
    """Send py-cord's REST calls (the bot's, interaction callbacks and webhooks) to `url`.

    py-cord has no per-client base URL: every `Route` builds its URL from the class
    attribute `Route.API_BASE_URL` (a format string with `{API_VERSION}`), in http.py and
    in its webhook adapter alike, so this one setting moves all of them, for the whole
    process.
    """
    from discord.http import Route

    Route.API_BASE_URL = url.replace("{", "{{").replace("}", "}}")  # a plain URL formats to itself


def drop_close_signal(bot: Any) -> None:
    """Empty the private event queue of an `AutoShardedClient` after `close()`.

    `AutoShardedClient.close()` leaves a `clean_close` item on its name-mangled queue
    (`_AutoShardedClient__queue`), and the next `connect()` of the same client returns at
    once when it reads it. A client reopened with `clear()` after a failed start must not
    find it there.
    """
    queue = getattr(bot, "_AutoShardedClient__queue", None)
    while queue is not None and not queue.empty():
        queue.get_nowait()
