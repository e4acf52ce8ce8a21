"""Each front end's state, as `/health` reports it, and the bot's own health HTTP server.

States: `connecting` (first login, or reconnecting after a drop), `connected` (every
shard up), `failing` (the last attempt failed: `error`, and when the next one is),
`stopping`, `stopped`, `fatal` (a configuration error: the process is exiting).
`/health` answers 200 only when every front end is connected, else 503, with the
JSON either way, so a container readiness probe and a person read the same thing.
`/metrics` is the Prometheus text of `gmbot.service.metrics`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger("gmbot.service")

CONNECTED = "connected"

Shards = Callable[[], tuple[int, int]]  # (up, total), read when asked so it is never stale


@dataclass
class FrontEndHealth:
    name: str  # "discord", "slack"
    state: str = "connecting"
    error: str | None = None  # the last failure, one line
    error_at: float | None = None
    next_attempt_at: float | None = None
    attempts: int = 0  # failed attempts since the last connection
    connected_since: float | None = None
    shards: Shards | None = None
    link: Callable[[], bool] | None = None  # a single connection (Slack's Socket Mode): up now?
    events: dict[str, Any] = field(default_factory=dict)  # the events consumer's lag and cursor

    def connecting(self) -> None:
        self.state, self.next_attempt_at = "connecting", None

    def connected(self) -> None:
        self.state, self.attempts, self.next_attempt_at = CONNECTED, 0, None
        self.connected_since = time.time()

    def failing(self, error: str, retry_in: float) -> None:
        self.state, self.error, self.error_at = "failing", error, time.time()
        self.attempts += 1
        self.next_attempt_at = time.time() + retry_in

    def fatal(self, error: str) -> None:
        self.state, self.error, self.error_at, self.next_attempt_at = "fatal", error, time.time(), None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"state": self.state}
        if self.shards is not None:
            up, total = self.shards()
            out["shards"] = {"up": up, "total": total}
            if self.state == CONNECTED and up < total:
                out["state"] = "connecting"  # a shard dropped: py-cord is reconnecting it
        if self.link is not None and self.state == CONNECTED and not self.link():
            out["state"] = "connecting"  # the SDK is reconnecting it
        if self.error is not None:
            out["last_error"] = {"error": self.error, "at": _iso(self.error_at)}
        if self.state == "failing":
            out["attempts"] = self.attempts
            out["next_attempt_at"] = _iso(self.next_attempt_at)
        if self.connected_since is not None and self.state == CONNECTED:
            out["connected_since"] = _iso(self.connected_since)
        if self.events:
            out["events"] = dict(self.events)
        return out

    @property
    def healthy(self) -> bool:
        return self.to_json()["state"] == CONNECTED


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


class HealthServer:
    """`GET /health` and `GET /metrics` on a port of the bot's own (aiohttp: already loaded by
    the platform SDKs, and it serves from the bot's event loop, so the state it reads is live)."""

    def __init__(self, fronts: list[FrontEndHealth], metrics_text: Callable[[], bytes] | None = None) -> None:
        self.fronts = fronts
        self.metrics_text = metrics_text
        self.port = 0
        self._runner: web.AppRunner | None = None

    def report(self) -> tuple[int, dict[str, Any]]:
        body = {"status": "ok" if all(f.healthy for f in self.fronts) else "unavailable",
                "front_ends": {f.name: f.to_json() for f in self.fronts}}
        return (200 if body["status"] == "ok" else 503), body

    async def _health(self, request: web.Request) -> web.Response:
        status, body = self.report()
        return web.json_response(body, status=status)

    async def _metrics(self, request: web.Request) -> web.Response:
        text = self.metrics_text() if self.metrics_text else b""
        return web.Response(body=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    async def start(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_get("/health", self._health)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        addresses = self._runner.addresses  # the port chosen when `port` is 0
        self.port = addresses[0][1] if addresses else port
        log.info("health on http://%s:%s/health (metrics: /metrics)", host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
