"""`gmbot run`'s view of its bot subprocesses: a watcher that stops the whole process when a
bot dies (a wrong token must not leave a half-alive backend that no supervisor notices), and
`/health` answered with the backend's report plus each front end's own (`front_ends`).

Each bot serves its health on a loopback port of its own (GMBOT_HEALTH_PORT, chosen here);
the backend stays unaware of the bots: the aggregation is an ASGI wrapper in this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import signal
import subprocess
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx

log = logging.getLogger("gmbot.run")
logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per /health aggregation

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Child:
    name: str  # "discord", "slack"
    process: subprocess.Popen[bytes]
    health_port: int


class Watcher:
    """A thread that polls the bots. When one exits while `gmbot run` is not stopping, the
    others get SIGTERM and `on_failure` stops the server; `exit_code` is then the bot's
    (78 for a configuration error), or 1 if it exited 0 on its own. When `stopping()` turns
    true (the server got SIGTERM or Ctrl-C), the bots get SIGTERM so they finish their
    commands while the backend is still up."""

    def __init__(self, children: list[Child], on_failure: Callable[[], None],
                 stopping: Callable[[], bool] = lambda: False, interval: float = 0.2) -> None:
        self.children = children
        self.on_failure = on_failure
        self.stopping = stopping
        self.interval = interval
        self.exit_code = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="gmbot-run-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.wait(self.interval):
            if self.stopping():
                self.terminate()
                return
            for child in self.children:
                code = child.process.poll()
                if code is None:
                    continue
                self.exit_code = code or 1
                print(f"gmbot run: the {child.name} bot exited (code {code}): stopping", flush=True)
                self.terminate()
                self.on_failure()
                return

    def terminate(self) -> None:
        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching; end the bots (SIGTERM, then SIGKILL after `timeout`)."""
        self._done.set()
        self.terminate()
        for child in self.children:
            try:
                child.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.process.kill()


async def front_end_report(child: Child) -> dict[str, Any]:
    code = child.process.poll()
    if code is not None:
        return {"state": "exited", "exit_code": code}
    try:
        async with httpx.AsyncClient(timeout=1.0) as client:
            reply = await client.get(f"http://127.0.0.1:{child.health_port}/health")
        report: dict[str, Any] = reply.json()["front_ends"][child.name]
        return report
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return {"state": "starting"}  # not listening yet: still importing py-cord


def with_front_ends(app: ASGIApp, children: list[Child]) -> ASGIApp:
    """`GET /health` answers the backend's report plus `front_ends`; 503 unless the backend
    and every front end are healthy. Every other request goes straight to `app`."""
    if not children:
        return app

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("method") == "GET" and str(scope.get("path", "")).endswith("/events"):
            await release_on_disconnect(app, scope, receive, send)
            return
        if scope["type"] != "http" or scope.get("path") != "/health" or scope.get("method") != "GET":
            await app(scope, receive, send)
            return
        captured: dict[str, Any] = {"status": 500, "body": b""}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")

        await app(scope, receive, capture)
        try:
            body = json.loads(captured["body"] or b"{}")
        except ValueError:
            body = {"backend": captured["body"].decode(errors="replace")}
        if not isinstance(body, dict):
            body = {"backend": body}
        fronts = {child.name: await front_end_report(child) for child in children}
        body["front_ends"] = fronts
        healthy = captured["status"] == 200 and all(f.get("state") == "connected" for f in fronts.values())
        if not healthy and body.get("status") == "ok":
            body["status"] = "degraded"
        payload = json.dumps(body).encode()
        await send({"type": "http.response.start", "status": 200 if healthy else 503,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})

    return wrapped


async def release_on_disconnect(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run a long-poll (`GET /events`, up to 30 s) but end it when its client goes away: a bot
    that stops closes its connection, and the server, stopping too, must not wait out the poll
    (nor log its cancellation as an error)."""
    messages: asyncio.Queue[Message] = asyncio.Queue()
    gone = asyncio.Event()

    async def pump() -> None:
        while True:
            message = await receive()
            await messages.put(message)
            if message["type"] == "http.disconnect":
                gone.set()
                return

    pumping = asyncio.ensure_future(pump())
    serving = asyncio.ensure_future(app(scope, messages.get, send))
    waiting = asyncio.ensure_future(gone.wait())
    try:
        await asyncio.wait({serving, waiting}, return_when=asyncio.FIRST_COMPLETED)
        if not serving.done():
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await serving
        else:
            serving.result()
    finally:
        for task in (pumping, waiting, serving):
            task.cancel()
