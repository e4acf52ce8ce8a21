"""`gmbot telegram`: run the Telegram front end; `gmbot telegram-commands`: set its menus.

Webhook mode serves the webhook on --host/--port at --path (default /telegram/webhook):
Telegram POSTs each update there with TELEGRAM_WEBHOOK_SECRET in a header (webhook.py).
When TELEGRAM_WEBHOOK_URL is set the bot registers that URL with `setWebhook` at start;
otherwise register it once yourself. Long-polling mode (`--polling`) asks Telegram for
updates instead (`getUpdates`): no public URL, for development or behind a firewall. The
default is the webhook when TELEGRAM_WEBHOOK_SECRET is set, else long polling (so `gmbot
run` with only a token works anywhere). Beside it, the events consumer posts the
`telegram` platform's event cards with `sendMessage`.

Environment (or `.env`):
  TELEGRAM_BOT_TOKEN       the bot's token, from @BotFather
  TELEGRAM_WEBHOOK_SECRET  the webhook's secret token (1-256 of A-Z a-z 0-9 _ -)
  TELEGRAM_WEBHOOK_URL     the public https:// URL of the webhook (setWebhook at start)
  TELEGRAM_API_BASE_URL    the Bot API (default https://api.telegram.org): a local Bot API
                           server, or a fake in tests
  GMBOT_BACKEND_URL        the backend (default http://127.0.0.1:8080)
  GMBOT_TELEGRAM_API_KEY   the backend key of client TELEGRAM-BFF, platform telegram; when
                           unset, GMBOT_API_KEY
  GMBOT_TELEGRAM_PORT      the webhook's port (--port; default 3001)
  GMBOT_HEALTH_PORT        serve /health and /metrics there (--health-port)
  GMBOT_RETRY_INITIAL, GMBOT_RETRY_MAX, GMBOT_SHUTDOWN_GRACE   see gmbot/service

It runs as a service (lifecycle.py): Telegram unreachable is retried with backoff, a token
Telegram refuses is one line and exit 78, SIGTERM / Ctrl-C finishes the commands in
flight and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gmbot.application import Application
from gmbot.cli_support import Unusable, add_app_arguments, application_and_spec, load_dotenv
from gmbot.service.cli import (
    add_events_flags,
    add_service_flags,
    cannot_start,
    env_int,
    service_arguments,
)
from gmbot.service.supervise import EXIT_CONFIG
from gmbot.spec.model import BotSpec
from gmbot.telegram import PLATFORM

log = logging.getLogger("gmbot.telegram")

PROG, COMMANDS_PROG = "gmbot telegram", "gmbot telegram-commands"

TOKEN_ENV, SECRET_ENV, URL_ENV, API_ENV = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_WEBHOOK_URL", "TELEGRAM_API_BASE_URL")
PATH = "/telegram/webhook"  # where the webhook listens (webhook.py)
HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as a secret_token


def secret_problem(secret: str) -> str | None:
    if not secret:
        return f"{SECRET_ENV} is not set: a webhook without it takes anyone's updates (or use --polling)"
    if not SECRET.match(secret):
        return f"{SECRET_ENV} must be 1-256 characters of A-Z, a-z, 0-9, '_' and '-'"
    return None


@dataclass(frozen=True)
class Settings:
    token: str
    polling: bool
    secret: str
    webhook_url: str | None
    api_url: str | None


def settings(args: argparse.Namespace) -> Settings:
    """The Telegram settings from the environment; `Unusable` names what is missing."""
    env = os.environ
    token = env.get(TOKEN_ENV, "").strip()
    if not token:
        raise Unusable(f"{TOKEN_ENV} is not set (environment or .env): the token @BotFather gave the bot")
    secret = env.get(SECRET_ENV, "")
    polling = args.polling or (not args.webhook and not secret)
    if not polling and (problem := secret_problem(secret)):
        raise Unusable(problem)
    return Settings(token, polling, secret, env.get(URL_ENV) or None, env.get(API_ENV) or None)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Run the Telegram front end (aiogram).")
    add_app_arguments(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--polling", action="store_true", help="long polling (getUpdates): no public URL needed")
    mode.add_argument("--webhook", action="store_true", help=f"serve the webhook (needs {SECRET_ENV})")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=env_int("GMBOT_TELEGRAM_PORT") or 3001,
                   help="the webhook's port (default: $GMBOT_TELEGRAM_PORT, else 3001)")
    p.add_argument("--path", default=PATH, help=f"the webhook's path (default {PATH})")
    p.add_argument("--poll-timeout", type=int, default=25, help="seconds one getUpdates may wait (long polling)")
    add_events_flags(p, Path(".gmbot") / "telegram-events.cursor")
    add_service_flags(p)
    return p


def telegram_main(argv: Sequence[str]) -> int:
    args = service_arguments(parser, argv)  # .env first: --port's default may come from it
    try:
        given = settings(args)
    except Unusable as error:
        return cannot_start(PROG, error, 2)
    from aiogram.utils.token import TokenValidationError

    try:
        application, spec = application_and_spec(args)
        return asyncio.run(_run(application, spec, given, args))
    except TokenValidationError:  # not even shaped like a token: Telegram would refuse it
        return cannot_start(PROG, f"{TOKEN_ENV} is not a bot token (123456:ABC-...): set it to the token "
                                  "@BotFather gave the bot", EXIT_CONFIG)
    except (OSError, Unusable) as error:  # the application, or the port is taken: one line
        return cannot_start(PROG, error, 1)


async def _run(application: Application, spec: BotSpec, given: Settings, args: argparse.Namespace) -> int:
    """Until SIGTERM / Ctrl-C (0) or a setting Telegram refuses (78); see lifecycle.py."""
    from aiohttp import web

    from gmbot.chat.backend import backend_for
    from gmbot.chat.events import CursorStore
    from gmbot.service.cli import first_connection, start_events
    from gmbot.telegram.api import make_bot
    from gmbot.telegram.delivery import event_poster
    from gmbot.telegram.lifecycle import Poller, TelegramService
    from gmbot.telegram.platform import PLATFORM as TELEGRAM
    from gmbot.telegram.runtime import TelegramRuntime
    from gmbot.telegram.webhook import webhook_app

    bot = make_bot(given.token, given.api_url)
    backend = backend_for(spec, TELEGRAM, routes=application.route_table())  # TELEGRAM-BFF's key
    service = TelegramService()  # retries, a refused token, health, metrics, graceful shutdown
    runtime = TelegramRuntime(spec, backend, bot)
    service.attach(runtime, backend)
    poster = event_poster(bot)  # start_events makes its posts the service's work
    poller = Poller(bot, runtime.feed_soon, service.shutdown.stopping, timeout=args.poll_timeout) if given.polling else None
    where = "long polling" if given.polling else f"webhook http://{args.host}:{args.port}{args.path}"
    connected = first_connection(PROG, where, lambda: start_events(
        service, runtime.core, backend, CursorStore(args.cursor_file), poster, wait=args.events_wait))

    runner: web.AppRunner | None = None
    try:
        if not given.polling:  # listening first: a taken port is one line and exit 1 at once, not a retry
            app = webhook_app(runtime, given.secret, path=args.path, stopping=service.shutdown.stopping.is_set)
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, args.host, args.port).start()
            log.info("serving the Telegram webhook at %s", where)
        webhook = (given.webhook_url, given.secret) if given.webhook_url and not given.polling else None
        return await service.run(bot, webhook=webhook, poller=poller, on_connected=connected,
                                 health_host=args.health_host, health_port=args.health_port)
    finally:
        if runner is not None:
            await runner.cleanup()
        for task in list(runtime.tasks):
            task.cancel()
        await bot.session.close()
        await backend.aclose()


# -- gmbot telegram-commands -------------------------------------------------------------------
def commands_main(argv: Sequence[str]) -> int:
    from gmbot.application import ApplicationError, load_application

    p = argparse.ArgumentParser(prog=COMMANDS_PROG,
                                description="Set the bot's Telegram command menus (setMyCommands), where they changed.")
    p.add_argument("--dry-run", action="store_true", help="print what would change; set nothing")
    p.add_argument("--file", type=Path, help="the commands JSON (default: the application's)")
    p.add_argument("--app", help="the application (module:attribute); default: $GMBOT_APP")
    args = p.parse_args(list(argv))
    load_dotenv()
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        return cannot_start(COMMANDS_PROG, f"{TOKEN_ENV} is not set (environment or .env)", 2)
    from aiogram.exceptions import TelegramAPIError, TelegramNotFound, TelegramUnauthorizedError
    from aiogram.utils.token import TokenValidationError

    from gmbot.telegram.sync import SyncError, load

    try:
        path = args.file or load_application(args.app).platform_file(PLATFORM, "commands.json")
        scopes = load(path)
        report = asyncio.run(_sync(token, scopes, args.dry_run))
    except (TelegramUnauthorizedError, TelegramNotFound, TokenValidationError) as error:
        return cannot_start(COMMANDS_PROG, f"Telegram refused {TOKEN_ENV} ({error}): set it to the token "
                                           "@BotFather gave the bot", EXIT_CONFIG)
    except (TelegramAPIError, OSError, SyncError, ApplicationError) as error:
        return cannot_start(COMMANDS_PROG, error, 1)
    print("\n".join(report))
    return 0


async def _sync(token: str, scopes: list[dict[str, Any]], dry_run: bool) -> list[str]:
    from gmbot.telegram.api import make_bot
    from gmbot.telegram.sync import sync

    bot = make_bot(token, os.environ.get(API_ENV) or None)
    try:
        return await sync(bot, scopes, dry_run=dry_run)
    finally:
        await bot.session.close()


__all__ = ["commands_main", "telegram_main"]
