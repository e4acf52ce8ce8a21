"""`RequestLimits`: an ASGI middleware that refuses oversized, slow or untyped request bodies
before anything reads them whole.

Connexion reads and parses a body in its validator and again for the handler, with no
bound: four 50 MB bodies once took a backend to 1.15 GB. Here a body is refused with
413 from its Content-Length alone, or as soon as a chunked body passes the limit, and a
body that is not complete within `timeout` seconds gets 408. The body read (at most the
limit) is then replayed to the app. A body without a Content-Type is 415 (Connexion
would guess JSON for its check, and the handler would then not parse it). A client that
goes away mid-body gets no answer and no log line above DEBUG: that is not an error.

After a refusal the connection stays open while the rest of a declared body (up to
DISCARD_MAX bytes) arrives: uvicorn drops it unbuffered, and the client, which is
still sending, gets to read the answer (closing at once resets the connection under
it, and it sees a broken pipe instead of the 413). Larger declared bodies, chunked
ones and slow ones are answered and closed.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("gmbot.server.limits")
DISCARD_MAX = 64 * 1024 * 1024

_TITLES = {
    400: "Bad Request",
    408: "Request Timeout",
    413: "Content Too Large",
    415: "Unsupported Media Type",
}


class ClientGone(Exception):
    """The client disconnected before its request body was complete."""


class RequestLimits:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length_header: bytes | None = None
        chunked = False
        typed = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                length_header = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"content-type":
                typed = bool(value.strip())
        length = 0
        if length_header is not None:
            if not length_header.isdigit():
                await self._refuse(send, 400, "The Content-Length header is not a number.", True)
                return
            length = int(length_header)
        # the unread rest of a body is dropped by uvicorn, or the connection closed
        close = chunked or length > DISCARD_MAX
        if length > self.max_body_bytes:
            await self._refuse(send, 413, self._too_large(), close, maxBodyBytes=self.max_body_bytes,
                               contentLength=length)  # fmt: skip
            return
        if not (length or chunked):
            await self.app(scope, receive, send)
            return
        if not typed:
            await self._refuse(send, 415, "A request body needs a Content-Type (application/json).", close)
            return
        try:
            async with asyncio.timeout(self.timeout):
                messages = await self._read_body(receive)
        except ClientGone:
            log.debug("client disconnected mid-body: %s %s", scope["method"], scope["path"])
            return
        except TimeoutError:
            await self._refuse(send, 408, f"The request body did not arrive within {self.timeout:g} s.", True)
            return
        if messages is None:
            await self._refuse(send, 413, self._too_large(), close, maxBodyBytes=self.max_body_bytes)
            return
        await self.app(scope, _replay(messages, receive), send)

    def _too_large(self) -> str:
        return f"The request body is larger than the limit of {self.max_body_bytes} bytes."

    async def _read_body(self, receive: Receive) -> list[Message] | None:
        """The body's messages, or None once it passes the limit (the rest is not read)."""
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            size += len(message.get("body", b""))
            if size > self.max_body_bytes:
                return None
            messages.append(message)
            if not message.get("more_body", False):
                return messages

    @staticmethod
    async def _refuse(send: Send, status: int, detail: str, close: bool, **extra: Any) -> None:
        body = json.dumps(
            {"type": "about:blank", "title": _TITLES[status], "status": status, "detail": detail, **extra}
        ).encode()
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = iter(messages)

    async def replayed() -> MutableMapping[str, Any]:
        message = next(pending, None)
        return message if message is not None else await receive()

    return replayed
