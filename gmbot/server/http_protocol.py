"""`BoundedHttpProtocol`: uvicorn's httptools protocol with a bound on request heads.

uvicorn's default (httptools) protocol accepts request lines and headers of any size
(eight 32 MB headers on /health were read and kept) and never closes a connection that
drips its head byte by byte: its keep-alive timer is reset by every byte. Here a head
larger than GMBOT_MAX_HEADER_BYTES is answered 431 and the connection closed, and a
connection that has not completed a head within GMBOT_HEADER_TIMEOUT seconds (from its
opening, or from its previous response) is closed. `gmbot serve` runs uvicorn with it.

While a head arrives, bytes are counted per network read (so a huge head is refused
before it is buffered whole; a client pipelining several requests in one read is
measured a little generously); a head that arrived in one read is measured exactly
once parsed.

At shutdown each open connection tells the app (`draining.begin`), so that requests waiting
on purpose answer now rather than hold the shutdown.

A request that is not valid HTTP/1.1 (a malformed header name, an obs-fold continuation
line, both Content-Length and Transfer-Encoding) is refused by httptools before any app
sees it; uvicorn answered that 400 in text/plain, here it is problem+json like every
other error.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from gmbot.server import draining, settings
from gmbot.server.problems import PROBLEM_JSON, problem_body

NOT_HTTP = (
    "The request is not valid HTTP/1.1: a malformed request line or header name, a folded "
    "header (obs-fold), or both Content-Length and Transfer-Encoding."
)


class BoundedHttpProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = settings.max_header_bytes()
        self.head_timeout = settings.header_timeout()
        self._in_head = False
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        if self._in_head and not self.transport.is_closing():
            self._head_bytes += len(data)
            if self._head_bytes > self.max_head_bytes:
                self._refuse_head()

    def shutdown(self) -> None:
        """uvicorn's graceful shutdown has begun: the app's long waits must end (draining.py)."""
        draining.begin()
        super().shutdown()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._cancel_head_timer()
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_head_bytes:
            self._refuse_head()
            return
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if not self._refused:
            super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.logger.debug("closing a connection that sent no complete request head in %s s", self.head_timeout)
            self.transport.close()

    def _refuse_head(self) -> None:
        self._refused = True
        self._in_head = False
        self._cancel_head_timer()
        self.logger.info("refused a request head over %d bytes", self.max_head_bytes)
        detail = f"The request line and headers are larger than {self.max_head_bytes} bytes."
        self._answer_and_close(431, problem_body(431, detail, maxHeaderBytes=self.max_head_bytes))

    def send_400_response(self, msg: str) -> None:
        """httptools could not parse the request (uvicorn's `msg` says only that)."""
        self._answer_and_close(400, problem_body(400, NOT_HTTP))

    def _answer_and_close(self, status: int, body: bytes) -> None:
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:  # server, date: as uvicorn's answers
            head += [name, b": ", value, b"\r\n"]
        head += [b"content-type: ", PROBLEM_JSON.encode(), b"\r\n",
                 b"content-length: ", str(len(body)).encode(), b"\r\n", b"connection: close\r\n\r\n"]  # fmt: skip
        self.transport.write(b"".join(head) + body)
        self.transport.close()
