"""The Slack bot as a service: the start-up check retried with backoff, a refused token as
one line and exit 78, health and metrics, graceful shutdown (gmbot/service).

What "connected" means depends on the mode:

* **HTTP, one workspace** (`SLACK_BOT_TOKEN`): `auth.test` accepted the token and the
  server is listening. Slack then calls us; there is no connection to keep, so the
  state stays `connected` (failed posts show in `events` and `/metrics`).
* **Socket Mode**: the same `auth.test`, then `apps.connections.open` with
  `SLACK_APP_TOKEN` and the WebSocket up; once connected, slack-sdk reconnects a dropped
  socket itself, and `/health` says `connecting` until it is back.
* **OAuth, many workspaces**: there is no single token to check at start (each
  workspace's is in the installation store, and one revoked install must not stop the
  others), so the front end is `connected` once listening (or, in Socket Mode, once the
  socket is up); a refused workspace token shows as that workspace's events skipped.

A refused token (`invalid_auth`, `not_authed`, `token_revoked`, `account_inactive`, ...:
any `ok: false` answer to these checks) is fatal: one line naming the variable and where
in Slack's app settings to find the right value, exit 78. No answer, a 429 or a 5xx is
transient: one line, then a retry with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.service.backoff import Backoff
from gmbot.service.delivery import Deliver, observe_delivery
from gmbot.service.health import FrontEndHealth, HealthServer
from gmbot.service.logs import one_line
from gmbot.service.metrics import BotMetrics, count_outcomes, instrument_backend
from gmbot.service.shutdown import Shutdown, finish
from gmbot.service.supervise import Failure, keep_connected
from gmbot.slack import PLATFORM
from gmbot.slack.delivery import TRANSIENT_ERRORS, api_error

log = logging.getLogger("gmbot.slack")

PORTAL = "https://api.slack.com/apps"
CONNECT_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))


@dataclass(frozen=True)
class Phase:
    doing: str  # for the log line: "... while checking SLACK_BOT_TOKEN (auth.test)"
    method: str = ""  # the Web API method that answers in this phase
    variable: str | None = None  # the setting a refusal in this phase is about
    where: str = ""  # where to find its right value


STARTING = Phase("starting")
AUTH_TEST = Phase("checking SLACK_BOT_TOKEN (auth.test)", "auth.test", "SLACK_BOT_TOKEN",
                  f"the Bot User OAuth Token (xoxb-...) under OAuth & Permissions of your app at {PORTAL}; "
                  "reinstall the app to the workspace if the token was revoked")
SOCKET = Phase("opening Socket Mode (apps.connections.open)", "apps.connections.open", "SLACK_APP_TOKEN",
               f"an app-level token (xapp-...) with the connections:write scope under Basic Information > "
               f"App-Level Tokens of your app at {PORTAL}, with Socket Mode turned on")


def classify(error: BaseException, phase: Phase = STARTING) -> Failure:
    """Fatal (a setting to fix) or transient (retry), with the one line to print."""
    if isinstance(error, SlackApiError):
        status = int(getattr(error.response, "status_code", 0) or 0)
        code = api_error(error)
        if status == 429 or status >= 500 or code in TRANSIENT_ERRORS or not code:
            return Failure(False, f"Slack answered HTTP {status}{f' ({code})' if code else ''} while {phase.doing}")
        # Slack answered, and said no: the same request will be refused again
        if phase.variable is None:
            return Failure(True, f"Slack refused a request while {phase.doing}: {code}")
        return Failure(True, f"Slack refused {phase.variable} ({phase.method}: {code}): set {phase.variable} "
                             f"(environment or .env) to {phase.where}")
    if isinstance(error, aiohttp.ClientConnectorError):
        return Failure(False, f"cannot reach Slack while {phase.doing}: {error}")
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return Failure(False, f"Slack did not answer in time while {phase.doing}")
    if isinstance(error, aiohttp.ClientError | OSError | ConnectionError):
        return Failure(False, f"cannot reach Slack while {phase.doing}: {type(error).__name__}: {error}".rstrip(": "))
    # not a network or configuration problem: a bug, so keep the traceback for the report
    log.error("unexpected error while %s", phase.doing, exc_info=error)
    return Failure(False, f"unexpected error while {phase.doing}: {type(error).__name__}: {error}")


SocketHandler = Any  # slack_bolt's AsyncSocketModeHandler (imported only in Socket Mode)


class SlackService:
    """One per `gmbot slack` process: `attach` the runtime (before Bolt installs its
    listeners), wrap `deliver`, `track` the events consumer, then `run` until shutdown (0)
    or a refused token (78)."""

    def __init__(self, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        self.shutdown = shutdown or Shutdown()
        self.backoff = backoff or Backoff.from_env()
        self.metrics = BotMetrics()
        self.health = FrontEndHealth(PLATFORM)
        self.tasks: list[asyncio.Task[Any]] = []
        self.phase = STARTING

    # -- wiring ------------------------------------------------------------------------------
    def attach(self, runtime: Any, backend: Any) -> None:
        instrument_backend(backend, self.metrics)
        count_outcomes(runtime.core, PLATFORM, self.metrics)
        runtime.gate = self.shutdown

    def deliver(self, deliver: Deliver) -> Deliver:
        """Event delivery as work in flight, counted (gmbot/service/delivery.py)."""
        return observe_delivery(deliver, PLATFORM, self.shutdown, self.health, self.metrics)

    def track(self, task: asyncio.Task[Any]) -> asyncio.Task[Any]:
        """A background task (the events consumer) to cancel once commands have drained."""
        self.tasks.append(task)
        return task

    # -- running -----------------------------------------------------------------------------
    async def run(
        self,
        *,
        check: AsyncWebClient | None,
        socket: Callable[[], SocketHandler] | None = None,
        on_connected: Callable[[str], None] = lambda who: None,
        health_host: str = "127.0.0.1",
        health_port: int | None = None,
    ) -> int:
        """`check`: a client holding the bot token for `auth.test` (None with OAuth: no
        single token). `socket`: makes a Socket Mode handler (None in HTTP mode, where the
        caller is already listening). `on_connected(who)` runs on each connection."""
        one_line("gmbot.slack.bolt", "slack_bolt", "slack_sdk")  # the SDK's reconnects: no tracebacks
        self.shutdown.install()
        server = HealthServer([self.health], self.metrics.text)
        if health_port is not None:
            await server.start(health_host, health_port)
        handler: SocketHandler | None = None

        async def attempt() -> None:
            nonlocal handler
            who = "for many workspaces (OAuth installs)"
            if check is not None:
                self.phase = AUTH_TEST
                # aiohttp's own limit is minutes: a black-holed network would be silent that long
                identity = await asyncio.wait_for(check.auth_test(), CONNECT_TIMEOUT)
                who = f"as {identity.get('user')} in {identity.get('team')} ({identity.get('team_id')})"
            if socket is not None:
                self.phase = SOCKET
                handler = socket()
                client = handler.client
                # asked here rather than inside connect(), which retries a refused app token
                # forever with a traceback each time (and logs its own error line)
                opened = await asyncio.wait_for(client.web_client.apps_connections_open(app_token=client.app_token),
                                                CONNECT_TIMEOUT)
                client.wss_uri = str(opened["url"])
                await asyncio.wait_for(client.connect(), CONNECT_TIMEOUT)
                self.health.link = lambda: _socket_up(client)
            self.phase = Phase("connected")
            self.health.connected()
            self.backoff.reset()
            self.metrics.connected.labels(PLATFORM).set(1)
            self.metrics.connects.labels(PLATFORM, "connected").inc()
            log.info("connected to Slack %s", who)
            on_connected(who)
            await self.shutdown.stopping.wait()  # Slack calls us (or slack-sdk keeps the socket)

        async def reset() -> None:
            nonlocal handler
            self.phase = STARTING
            self.health.link = None
            if handler is not None:
                with contextlib.suppress(Exception):
                    await handler.close_async()
                handler = None

        async def stop() -> None:
            drained = await finish(self.shutdown, self.tasks)
            await reset()
            self.metrics.connected.labels(PLATFORM).set(0)
            log.info("stopped%s", "" if drained else " (some commands were cut short)")

        try:
            return await keep_connected(
                platform=PLATFORM, attempt=attempt, classify=lambda e: classify(e, self.phase),
                reset=reset, stop=stop, health=self.health, shutdown=self.shutdown,
                backoff=self.backoff, metrics=self.metrics,
            )
        finally:
            await server.stop()


def _socket_up(client: Any) -> bool:
    session = getattr(client, "current_session", None)
    return not getattr(client, "closed", False) and session is not None and not session.closed
