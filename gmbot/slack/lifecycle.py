"""The Slack bot as a service (gmbot/service/frontend.py): Slack's hooks. The start-up check
is retried with backoff; a refused token is one line and exit 78.

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
import os
from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.chat.backoff import Backoff
from gmbot.service.frontend import FrontEndService, Phase
from gmbot.service.shutdown import Shutdown
from gmbot.service.supervise import Failure
from gmbot.slack import PLATFORM
from gmbot.slack.delivery import TRANSIENT_ERRORS, api_error
from gmbot.slack.sdk_internals import connect_socket, socket_up

PORTAL = "https://api.slack.com/apps"
CONNECT_TIMEOUT = float(os.environ.get("GMBOT_CONNECT_TIMEOUT", "60"))

AUTH_TEST = Phase("checking SLACK_BOT_TOKEN (auth.test)", "auth.test", "SLACK_BOT_TOKEN",
                  f"the Bot User OAuth Token (xoxb-...) under OAuth & Permissions of your app at {PORTAL}; "
                  "reinstall the app to the workspace if the token was revoked")
SOCKET = Phase("opening Socket Mode (apps.connections.open)", "apps.connections.open", "SLACK_APP_TOKEN",
               f"an app-level token (xapp-...) with the connections:write scope under Basic Information > "
               f"App-Level Tokens of your app at {PORTAL}, with Socket Mode turned on")

SocketHandler = Any  # slack_bolt's AsyncSocketModeHandler (imported only in Socket Mode)


class SlackService(FrontEndService):
    """`gmbot slack`: `attach` the runtime before Bolt installs its listeners; `run` with
    the client that checks the bot token (None with OAuth: no single token) and, in Socket
    Mode, what makes the socket handler."""

    platform = PLATFORM
    title = "Slack"
    sdk_loggers = ("gmbot.slack.bolt", "slack_bolt", "slack_sdk")

    def __init__(self, *, shutdown: Shutdown | None = None, backoff: Backoff | None = None) -> None:
        super().__init__(shutdown=shutdown, backoff=backoff)
        self.check: AsyncWebClient | None = None  # `run` sets these three
        self.socket: Callable[[], SocketHandler] | None = None
        self.on_connected: Callable[[str], None] = lambda who: None
        self.handler: SocketHandler | None = None  # the socket of the attempt under way

    @classmethod
    def refusal(cls, error: BaseException, phase: Phase) -> Failure | None:
        if not isinstance(error, SlackApiError):
            return None
        status = int(getattr(error.response, "status_code", 0) or 0)
        code = api_error(error)
        if status == 429 or status >= 500 or code in TRANSIENT_ERRORS or not code:
            return Failure(False, f"Slack answered HTTP {status}{f' ({code})' if code else ''} while {phase.doing}")
        # Slack answered, and said no: the same request will be refused again
        if phase.variable is None:
            return Failure(True, f"Slack refused a request while {phase.doing}: {code}")
        return Failure(True, f"Slack refused {phase.variable} ({phase.method}: {code}): set {phase.variable} "
                             f"(environment or .env) to {phase.where}")

    async def connect(self) -> None:
        who = "for many workspaces (OAuth installs)"
        if self.check is not None:
            self.phase = AUTH_TEST
            # aiohttp's own limit is minutes: a black-holed network would be silent that long
            identity = await asyncio.wait_for(self.check.auth_test(), CONNECT_TIMEOUT)
            who = f"as {identity.get('user')} in {identity.get('team')} ({identity.get('team_id')})"
        if self.socket is not None:
            self.phase = SOCKET
            self.handler = self.socket()
            client = self.handler.client
            # asked here rather than inside connect(), which retries a refused app token
            # forever with a traceback each time (and logs its own error line)
            opened = await asyncio.wait_for(client.web_client.apps_connections_open(app_token=client.app_token),
                                            CONNECT_TIMEOUT)
            await asyncio.wait_for(connect_socket(client, str(opened["url"])), CONNECT_TIMEOUT)
            self.health.link = lambda: socket_up(client)
        self.connected(who)
        self.on_connected(who)
        await self.shutdown.stopping.wait()  # Slack calls us (or slack-sdk keeps the socket)

    async def reset(self) -> None:
        self.health.link = None
        if self.handler is not None:
            with contextlib.suppress(Exception):
                await self.handler.close_async()
            self.handler = None

    async def run(self, *, check: AsyncWebClient | None, socket: Callable[[], SocketHandler] | None = None,
                  on_connected: Callable[[str], None] = lambda who: None, health_host: str = "127.0.0.1",
                  health_port: int | None = None) -> int:
        """`check`: a client holding the bot token for `auth.test` (None with OAuth: no
        single token). `socket`: makes a Socket Mode handler (None in HTTP mode, where the
        caller is already listening). `on_connected(who)` runs on each connection."""
        self.check, self.socket, self.on_connected = check, socket, on_connected
        return await self.serve(health_host=health_host, health_port=health_port)
