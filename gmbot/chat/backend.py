"""The backend HTTP client: one pooled `httpx.AsyncClient` per bot process.

Every call carries `client`, `x-api-key`, an `X-Request-ID` (logged here and by
the backend) and, when the caller has one, an `Idempotency-Key`. Connection
failures and time-outs become `BackendUnavailable`; anything the backend
answers, even garbage, becomes a `BackendReply`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from gmbot.chat.request import HttpRequest, MisconfiguredSpec
from gmbot.chat.routes import BackendRoute

if TYPE_CHECKING:
    from gmbot.platforms import Platform
    from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.chat.backend")

DEFAULT_TIMEOUT = 2.5  # seconds: below Discord's 3 s so "unavailable" still arrives in time
DEFAULT_URL = "http://127.0.0.1:8080"  # where `gmbot serve` listens
# An idle pooled connection is dropped here before the server closes it: uvicorn closes
# idle keep-alive connections after 5 s, and a request sent on a connection it is closing
# fails. GMBOT_BACKEND_KEEPALIVE for a server (or proxy) that waits longer or less.
KEEPALIVE_EXPIRY = 4.0
# The connection broke after the request may have left: sent again on a fresh connection,
# once, when that is safe (a GET, or a POST with its Idempotency-Key).
STALE_CONNECTION = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class BackendUnavailable(Exception):
    def __init__(self, reason: str, *, request_id: str, operation_id: str) -> None:
        super().__init__(f"{operation_id}: backend unavailable ({reason}) request_id={request_id}")
        self.reason = reason
        self.request_id = request_id
        self.operation_id = operation_id


@dataclass(frozen=True)
class BackendReply:
    status: int
    body: Any  # parsed JSON, or None when the body was empty or not JSON
    content_type: str
    request_id: str
    elapsed_ms: float
    malformed: bool = False  # a body was sent but it is not JSON

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


def default_transport(keepalive_expiry: float = KEEPALIVE_EXPIRY) -> httpx.AsyncBaseTransport | None:
    """aiohttp's pool under httpx's API (faster on loopback); GMBOT_HTTP_TRANSPORT=httpx for httpcore."""
    if os.environ.get("GMBOT_HTTP_TRANSPORT", "aiohttp").lower() == "httpx":
        return None
    from gmbot.chat.transport import AiohttpTransport

    return AiohttpTransport(keepalive_expiry=keepalive_expiry)


# Told of every call: (operationId, status or "unavailable", seconds). Metrics hang here.
CallObserver = Callable[[str, str, float], None]


class BackendClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        client: str,
        *,
        routes: Mapping[str, BackendRoute],
        timeout: float = DEFAULT_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client = client
        self.timeout = timeout
        # operationId -> method and path: generated/chat/routes.py, so no openapi.yaml is needed
        self.routes = dict(routes)
        self.observers: list[CallObserver] = []
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers={"client": client, "x-api-key": api_key, "accept": "application/json"},
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=keepalive_expiry),
            transport=transport if transport is not None else default_transport(keepalive_expiry),
        )

    @classmethod
    def from_env(cls, url_env: str, key_env: str, client: str, *, routes: Mapping[str, BackendRoute],
                 **kwargs: Any) -> BackendClient:
        url = os.environ.get(url_env, DEFAULT_URL)
        key = os.environ.get(key_env, "")
        kwargs.setdefault("timeout", float(os.environ.get("GMBOT_BACKEND_TIMEOUT", DEFAULT_TIMEOUT)))
        kwargs.setdefault("keepalive_expiry", float(os.environ.get("GMBOT_BACKEND_KEEPALIVE", KEEPALIVE_EXPIRY)))
        return cls(url, key, client, routes=routes, **kwargs)

    @property
    def http(self) -> httpx.AsyncClient:
        """The pooled client with this bot's `client` and `x-api-key` headers (for a call that
        is not JSON: a card's picture, gmbot/chat/images.py)."""
        return self._http

    def route(self, operation_id: str) -> BackendRoute:
        try:
            return self.routes[operation_id]
        except KeyError:
            raise MisconfiguredSpec(f"operation {operation_id!r} has no route: run `gmbot generate`") from None

    async def call(
        self,
        request: HttpRequest,
        *,
        idempotency_key: str | None = None,
        request_id: str | None = None,
        read_timeout: float | None = None,
    ) -> BackendReply:
        """The backend's reply to `request`; BackendUnavailable when it cannot be had."""
        started = time.perf_counter()
        status = "unavailable"
        try:
            reply = await self._call(request, idempotency_key, request_id, read_timeout)
            status = str(reply.status)
            return reply
        finally:
            for observe in self.observers:
                observe(request.operation_id, status, time.perf_counter() - started)

    async def _call(
        self,
        request: HttpRequest,
        idempotency_key: str | None,
        request_id: str | None,
        read_timeout: float | None,
    ) -> BackendReply:
        request_id = request_id or uuid.uuid4().hex
        headers = {"X-Request-ID": request_id, **request.headers}
        if idempotency_key and request.method != "GET":
            headers["Idempotency-Key"] = idempotency_key
        started = time.perf_counter()
        resendable = request.method in ("GET", "HEAD") or "Idempotency-Key" in headers

        async def send() -> httpx.Response:
            return await self._http.request(
                request.method,
                request.path,
                params=request.query or None,
                json=request.body,
                headers=headers,
                timeout=httpx.Timeout(read_timeout) if read_timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )

        try:
            async with asyncio.timeout(read_timeout if read_timeout is not None else self.timeout):
                try:
                    response = await send()
                except STALE_CONNECTION as error:
                    if not resendable:
                        raise
                    log.info("%s %s: %s; sent again on a new connection request_id=%s",
                             request.method, request.path, error, request_id)
                    response = await send()
        except (httpx.TimeoutException, TimeoutError):
            log.warning("%s %s timed out request_id=%s", request.method, request.path, request_id)
            raise BackendUnavailable("timeout", request_id=request_id, operation_id=request.operation_id) from None
        except httpx.HTTPError as error:
            log.warning("%s %s failed (%s) request_id=%s", request.method, request.path, error, request_id)
            raise BackendUnavailable(type(error).__name__, request_id=request_id, operation_id=request.operation_id) from None
        elapsed = (time.perf_counter() - started) * 1000
        content_type = response.headers.get("content-type", "")
        body: Any = None
        malformed = False
        if response.content:
            try:
                body = response.json()
            except ValueError:
                malformed = True
        log.info(
            "%s %s -> %s in %.1f ms request_id=%s",
            request.method, request.path, response.status_code, elapsed, request_id,
        )
        return BackendReply(response.status_code, body, content_type, request_id, elapsed, malformed)

    async def aclose(self) -> None:
        await self._http.aclose()


def backend_for(spec: BotSpec, platform: Platform, *, routes: Mapping[str, BackendRoute], **kwargs: Any) -> BackendClient:
    """The backend client of `platform`'s front end: its own client name and key variable
    (the spec's `bot.api_key_env`, GMBOT_API_KEY, when that is unset)."""
    key_env = platform.key_env if os.environ.get(platform.key_env) else spec.bot.api_key_env
    return BackendClient.from_env(spec.bot.backend_url_env, key_env, platform.client, routes=routes, **kwargs)
