"""`gmbot slack`: run the Slack front end.

HTTP mode (default) serves Bolt at `/slack/events` on --host/--port: slash commands,
interactivity and events on one URL. `--socket-mode` connects out to Slack instead
(SLACK_APP_TOKEN), for development without a public URL. Beside it, the events
consumer posts the `slack` platform's event cards with `chat.postMessage`.

Environment (or `.env`):
  SLACK_SIGNING_SECRET   verifies every request (Bolt: 401 on a bad or stale signature)
  SLACK_BOT_TOKEN        one workspace; or SLACK_CLIENT_ID + SLACK_CLIENT_SECRET for many,
                         installed through OAuth (/slack/install), tokens kept in the
                         project's database (DATABASE_URL; SLACK_INSTALL_DATABASE_URL overrides)
  SLACK_APP_TOKEN        --socket-mode only (xapp-...)
  SLACK_API_URL          the Web API base URL (default Slack's own): a proxy, or a fake in tests
  GMBOT_BACKEND_URL      the backend (default http://127.0.0.1:8080)
  GMBOT_SLACK_API_KEY    the backend key of client SLACK-BFF, platform slack; when unset,
                         GMBOT_API_KEY (so one .env can hold the Discord bot's key and this one)
  GMBOT_SLACK_PORT       the HTTP port (--port; default 3000)
  GMBOT_HEALTH_PORT      serve /health and /metrics there (--health-port)
  GMBOT_RETRY_INITIAL, GMBOT_RETRY_MAX, GMBOT_SHUTDOWN_GRACE   see gmbot/service

It runs as a service (gmbot/slack/lifecycle.py): Slack unreachable is retried with
backoff, a token Slack refuses is one line and exit 78, SIGTERM / Ctrl-C finishes the
commands in flight and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gmbot.application import Application
from gmbot.cli_support import (
    Unusable,
    add_app_arguments,
    application_and_spec,
)
from gmbot.service.cli import (
    add_events_flags,
    add_service_flags,
    cannot_start,
    env_int,
    service_arguments,
)
from gmbot.slack import KEY_ENV
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.slack")

PROG = "gmbot slack"


@dataclass(frozen=True)
class Credentials:
    signing_secret: str
    bot_token: str | None  # one workspace
    client_id: str | None  # many workspaces (OAuth)
    client_secret: str | None
    app_token: str | None  # socket mode


def credentials(socket_mode: bool) -> Credentials:
    """The Slack credentials from the environment; `Unusable` names what is missing."""
    env = os.environ
    secret = env.get("SLACK_SIGNING_SECRET", "")
    token = env.get("SLACK_BOT_TOKEN") or None
    client_id, client_secret = env.get("SLACK_CLIENT_ID") or None, env.get("SLACK_CLIENT_SECRET") or None
    if not token and not (client_id and client_secret):
        raise Unusable("SLACK_BOT_TOKEN is not set (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs)")
    if not secret:
        raise Unusable("SLACK_SIGNING_SECRET is not set (environment or .env)")
    app_token = env.get("SLACK_APP_TOKEN") or None
    if socket_mode and not app_token:
        raise Unusable("--socket-mode needs SLACK_APP_TOKEN (an app-level token, xapp-...)")
    return Credentials(secret, token, None if token else client_id, None if token else client_secret, app_token)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Run the Slack front end (Bolt).")
    add_app_arguments(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=env_int("GMBOT_SLACK_PORT") or 3000,
                   help="default: $GMBOT_SLACK_PORT, else 3000 (how `gmbot run` is told)")
    p.add_argument("--socket-mode", action="store_true", help="connect out to Slack (SLACK_APP_TOKEN): no public URL")
    add_events_flags(p, Path(".gmbot") / "slack-events.cursor")
    p.add_argument("--seen-file", type=Path, default=None,
                   help="one workspace: the SQLite file of the Slack events already answered (default: "
                        "slack-seen.sqlite3 beside the cursor file); with OAuth they are kept in the installation "
                        "store's database")
    add_service_flags(p)
    return p


def slack_main(argv: Sequence[str]) -> int:
    args = service_arguments(parser, argv)  # .env first: --port's default may come from it
    try:
        creds = credentials(args.socket_mode)
    except Unusable as error:
        return cannot_start(PROG, error, 2)
    try:
        application, spec = application_and_spec(args)
        return asyncio.run(_run(application, spec, creds, args))
    except (OSError, Unusable) as error:  # the port is taken, the database unreachable: one line
        return cannot_start(PROG, error, 1)


async def _run(application: Application, spec: BotSpec, creds: Credentials, args: argparse.Namespace) -> int:
    """Until SIGTERM / Ctrl-C (0) or a token Slack refuses (78); see gmbot/slack/lifecycle.py."""
    from aiohttp import web

    from gmbot.chat.backend import DEFAULT_URL, BackendClient
    from gmbot.chat.events import CursorStore
    from gmbot.service.cli import first_connection, start_events
    from gmbot.slack.app import TokenFor, build_app, web_app, web_client
    from gmbot.slack.delivery import event_poster
    from gmbot.slack.installs import Installs, oauth_settings, open_installs
    from gmbot.slack.lifecycle import SlackService
    from gmbot.slack.manifest import bot_scopes
    from gmbot.slack.runtime import CLIENT, SlackRuntime
    from gmbot.slack.seen import SeenEvents, open_seen

    api_url = os.environ.get("SLACK_API_URL") or None
    key = os.environ.get(KEY_ENV) or os.environ.get(spec.bot.api_key_env, "")
    backend = BackendClient(os.environ.get(spec.bot.backend_url_env, DEFAULT_URL), key, CLIENT,
                            routes=application.route_table())
    service = SlackService()  # retries, a refused token, health, metrics, graceful shutdown
    runtime = SlackRuntime(spec, backend)
    runtime.core.localize(application.locales())
    service.attach(runtime, backend)  # before build_app: Bolt takes the guarded listeners
    installs: Installs | None = None
    seen: SeenEvents | None = None
    check = None  # the client `auth.test` checks the bot token with (one workspace only)
    if creds.bot_token:
        seen_file = args.seen_file or args.cursor_file.with_name("slack-seen.sqlite3")
        try:
            seen = runtime.seen = await open_seen(seen_file)
        except Exception as error:  # a folder that cannot be written: one line, not a traceback
            await backend.aclose()
            raise Unusable(f"cannot open the file of Slack events seen at {seen_file}: {error}") from None
        app = build_app(runtime, signing_secret=creds.signing_secret, token=creds.bot_token, api_url=api_url)
        check = web_client(creds.bot_token, api_url, retry_rate_limits=False, retry_connection_errors=False)
        single = creds.bot_token

        async def one_token(team: str) -> str | None:
            return single

        token_for: TokenFor = one_token
    else:
        assert creds.client_id and creds.client_secret
        database_url = os.environ.get("SLACK_INSTALL_DATABASE_URL") or application.admin_hooks().database_url(None)
        try:
            installs = await open_installs(database_url, creds.client_id)
        except Exception as error:  # a bad URL or an unreachable database: one line, not a traceback
            await backend.aclose()
            raise Unusable(f"cannot open the Slack installation store at {database_url}: {error}") from None
        runtime.seen = installs.seen
        app = build_app(runtime, signing_secret=creds.signing_secret, api_url=api_url,
                        oauth=oauth_settings(installs, creds.client_id, creds.client_secret,
                                             os.environ.get("SLACK_REDIRECT_URI") or None, bot_scopes(spec)))
        token_for = installs.bot_token

    # the consumer retries 429s itself, per channel: the client must not wait them out inside
    poster = event_poster(token_for, web_client(None, api_url, retry_rate_limits=False))
    where = "socket mode" if args.socket_mode else f"http://{args.host}:{args.port}/slack/events"

    connected = first_connection(PROG, where, lambda: start_events(
        service, runtime.core, backend, CursorStore(args.cursor_file), poster, wait=args.events_wait))

    runner: web.AppRunner | None = None
    socket = None
    try:
        if args.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            app_token = creds.app_token

            def socket() -> AsyncSocketModeHandler:
                # slack-sdk checks the socket (and reconnects a dropped one) every ping
                # interval, 10 s by default; never less often than our retries are capped at
                return AsyncSocketModeHandler(app, app_token, ping_interval=min(10.0, service.backoff.cap))
        else:
            # listening first: a taken port is one line and exit 1 at once, not a retry
            runner = web.AppRunner(web_app(app), access_log=None)
            await runner.setup()
            await web.TCPSite(runner, args.host, args.port).start()
            log.info("serving Slack at %s", where)
        return await service.run(check=check, socket=socket, on_connected=connected,
                                 health_host=args.health_host, health_port=args.health_port)
    finally:
        if runner is not None:
            await runner.cleanup()
        await runtime.aclose()
        await backend.aclose()
        if installs is not None:
            await installs.aclose()
        if seen is not None:
            await seen.engine.dispose()


__all__ = ["slack_main"]
