"""Prometheus metrics of the server runtime: `/metrics`, and per operation the requests by
status and a latency histogram (`HttpMetrics`, an ASGI middleware).

The application adds its own metrics to `prometheus_client.REGISTRY` (the backend's
database pool, scheduler lag, events written); `/metrics` serves them all. With
several worker processes (`PROMETHEUS_MULTIPROC_DIR` set, as `gmbot serve --workers N`
does) each process writes its values to that directory and `/metrics`, answered by any
one worker, sums them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
import time
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Connexion's routing middleware records the operation here, in a dict shared with the
# outer scope (the scope it passes on is a shallow copy of ours).
_ROUTING = "connexion_routing"
UNROUTED = "(none)"  # paths outside the API: /health, /ui, unknown ones (no per-path labels)

REQUESTS = Counter(
    "gmbot_http_requests",
    "HTTP requests answered, by operationId and status",
    ["operation", "status"],
)
LATENCY = Histogram(
    "gmbot_http_request_duration_seconds",
    "Time to answer a request, by operationId (long-polls included: they wait on purpose)",
    ["operation"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def exposition() -> bytes:
    """All metrics in Prometheus' text format, summed over the worker processes if several."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return generate_latest(REGISTRY)
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return generate_latest(registry)


class HttpMetrics:
    def __init__(self, app: ASGIApp, *, path: str = "/metrics") -> None:
        self.app = app
        self.path = path
        self._latency: dict[str, Any] = {}  # operation -> its histogram child (labels() per request costs)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == self.path and scope["method"] in ("GET", "HEAD"):
            await self._serve(send)
            return
        extensions = scope.setdefault("extensions", {})
        started = time.perf_counter()
        status = 500  # when the app fails before answering

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            routing = extensions.get(_ROUTING) or {}
            operation = routing.get("operation_id") or UNROUTED
            REQUESTS.labels(operation, str(status)).inc()
            histogram = self._latency.get(operation)
            if histogram is None:
                histogram = self._latency[operation] = LATENCY.labels(operation)
            histogram.observe(time.perf_counter() - started)

    @staticmethod
    async def _serve(send: Send) -> None:
        body = exposition()
        headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
