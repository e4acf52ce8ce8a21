"""`RequestLimits`: an ASGI middleware that refuses oversized, slow or untyped request bodies
before anything reads them whole, and reads the Content-Type the way HTTP means it.

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

The Content-Type is handed on as Connexion can read it: media types are case-insensitive
(`APPLICATION/JSON` was not recognised, and its body reached the handler unparsed), and
Connexion only sees a `charset=` written without a space or quotes, then decodes with
whatever codec Python has by that name (an unknown one raised LookupError, a 500). So
the media type is lower-cased and the charset, wherever written, must be one JSON is
written in (`JSON_CHARSETS`: RFC 8259 asks for UTF-8, RFC 4627 allowed UTF-16 and 32):
anything else is 400 before the body is read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import MutableMapping
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gmbot.server.problems import problem_body

log = logging.getLogger("gmbot.server.limits")
DISCARD_MAX = 64 * 1024 * 1024
JSON = b"application/json"
# charset spellings (IANA's, case-insensitive; "utf8" too) -> Python's codec
JSON_CHARSETS = {
    "utf-8": "utf-8", "utf8": "utf-8",
    "utf-16": "utf-16", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "utf-32": "utf-32", "utf-32le": "utf-32-le", "utf-32be": "utf-32-be",
}  # fmt: skip


class BadContentType(ValueError):
    """A Content-Type whose charset no JSON body is written in."""


def content_type(value: bytes) -> bytes:
    """`value` as Connexion reads it: the media type lower-cased, then `;charset=<codec>` if
    a charset was given (other parameters mean nothing to JSON and are dropped). Raises
    BadContentType for a JSON media type with a charset other than JSON_CHARSETS."""
    media, _, parameters = value.decode("latin-1").partition(";")
    media = media.strip().lower()
    charset = None
    for parameter in parameters.split(";"):
        name, _, given = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = given.strip().strip('"').strip()
    if charset is None:
        return media.encode("latin-1")
    codec = JSON_CHARSETS.get(charset.lower())
    if codec is None:
        if media.endswith(("/json", "+json")):
            raise BadContentType(charset)
        return media.encode("latin-1")  # not JSON: Connexion answers 415 for the media type
    return f"{media};charset={codec}".encode("latin-1")


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
        typed: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                length_header = value
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"content-type":
                typed = value
        length = 0
        if length_header is not None:
            if not length_header.isdigit():
                await self._refuse(send, 400, "The Content-Length header is not a number.", True)
                return
            length = int(length_header)
        # the unread rest of a body is dropped by uvicorn, or the connection closed
        close = chunked or length > DISCARD_MAX
        if typed is not None and typed != JSON:  # JSON: what every bot sends, nothing to do
            try:
                scope = _with_content_type(scope, content_type(typed))
            except BadContentType as error:
                charset = str(error)[:64]  # the header is bounded, but a detail need not be long
                detail = f"JSON is written in UTF-8 (or UTF-16, UTF-32), not charset {charset!r}."
                await self._refuse(send, 400, detail, close, charset=charset)
                return
        if length > self.max_body_bytes:
            await self._refuse(send, 413, self._too_large(), close, maxBodyBytes=self.max_body_bytes,
                               contentLength=length)  # fmt: skip
            return
        if not (length or chunked):
            await self.app(scope, receive, send)
            return
        if not (typed and typed.strip()):
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
        body = problem_body(status, detail, **extra)
        headers = [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _with_content_type(scope: Scope, value: bytes) -> Scope:
    """A copy of `scope` whose Content-Type header is `value`."""
    headers = [(name, value if name == b"content-type" else v) for name, v in scope["headers"]]
    return {**scope, "headers": headers}


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = iter(messages)

    async def replayed() -> MutableMapping[str, Any]:
        message = next(pending, None)
        return message if message is not None else await receive()

    return replayed
