"""The webhook: Telegram POSTs each update to one URL, with the secret token set by
`setWebhook` in `X-Telegram-Bot-Api-Secret-Token`.

No secret: 401; a wrong one: 403; nothing is parsed or handled before the check. A body
that is not an update: 400. Otherwise the update is handled in the background and Telegram
gets its 200 at once (it would re-send an update not answered in time). Once shutdown has
begun the answer is 503: Telegram keeps the update and sends it again, to the next start.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError

from gmbot.telegram.cli import HEADER, PATH
from gmbot.telegram.runtime import TelegramRuntime

log = logging.getLogger("gmbot.telegram")


def webhook_app(runtime: TelegramRuntime, secret: str, *, path: str = PATH,
                stopping: Callable[[], bool] = lambda: False) -> web.Application:
    expected = secret.encode()

    async def handle(request: web.Request) -> web.Response:
        given = request.headers.get(HEADER)
        if given is None:
            return web.json_response({"error": f"missing {HEADER}"}, status=401)
        if not secrets.compare_digest(given.encode(), expected):
            return web.json_response({"error": f"wrong {HEADER}"}, status=403)
        if stopping():
            return web.json_response({"error": "restarting"}, status=503, headers={"Retry-After": "5"})
        try:
            update = Update.model_validate(await request.json(), context={"bot": runtime.bot})
        except (ValueError, ValidationError) as error:
            return web.json_response({"error": f"not a Telegram update: {str(error).splitlines()[0]}"}, status=400)
        runtime.feed_soon(update)
        return web.json_response({})

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, handle)
    return app
