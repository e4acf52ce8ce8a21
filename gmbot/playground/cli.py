"""`gmbot chat`: the offline playground's command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from gmbot.application import Application
from gmbot.cli_support import (
    Unusable,
    add_app_arguments,
    application_and_spec,
    configure_logging,
    load_dotenv,
)
from gmbot.spec.model import BotSpec


def chat_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gmbot chat",
        description="Offline playground: reads lines from stdin ('as <user> in <server> [on slack]' switches; "
        "'gmbot ...' runs a command; 'click <label>', 'wait <seconds>'), prints the cards.",
    )
    parser.add_argument("--url", help="use the backend at this URL (API key from --api-key or the environment)")
    parser.add_argument("--env", action="store_true", help="use the backend configured in the environment / .env")
    parser.add_argument("--api-key", help="API key for --url")
    add_app_arguments(parser)
    parser.add_argument("--database-url", help="database of the in-process backend (default: a temporary SQLite)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(list(argv))
    load_dotenv()
    configure_logging(args.log_level)
    try:
        application, spec = application_and_spec(args)
    except Unusable as error:
        print(f"gmbot chat: {error}", file=sys.stderr)
        return 1
    from gmbot.chat.backend import BackendUnavailable

    try:
        return asyncio.run(_run_chat(application, spec, args))
    except BackendUnavailable as error:
        print(f"gmbot chat: the backend is not answering ({error.reason}); is it running?", file=sys.stderr)
        return 1


async def _run_chat(application: Application, spec: BotSpec, args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx2.*")  # connexion's import-time noise
    from gmbot.chat.backend import DEFAULT_URL, BackendClient
    from gmbot.chat.core import Core
    from gmbot.playground.playground import Playground
    from gmbot.server.local import local_backend
    from gmbot.slack import CLIENT as SLACK_CLIENT
    from gmbot.slack import KEY_ENV as SLACK_KEY_ENV
    from gmbot.slack import PLATFORM as SLACK_PLATFORM

    routes = application.route_table()  # the routes of the generated bot, even with --spec
    if sys.stdin.isatty():
        print("gmbot chat: type lines, end with Ctrl-D. Start with: as alice in Wolves", file=sys.stderr)

    async def play(url: str, key: str, slack_key: str | None) -> None:
        backend = BackendClient(url, key, spec.bot.client, routes=routes)
        # `on slack` talks as the Slack bot: its own client and key, so its own platform
        slack = BackendClient(url, slack_key, SLACK_CLIENT, routes=routes) if slack_key else None
        try:
            playground = Playground(Core(spec, backend, "discord"), sys.stdout, slack=Core(spec, slack, SLACK_PLATFORM) if slack else None)
            await playground.run_stream(sys.stdin)
        finally:
            await backend.aclose()
            if slack is not None:
                await slack.aclose()

    if args.url or args.env:
        url = args.url or os.environ.get(spec.bot.backend_url_env, DEFAULT_URL)
        key = args.api_key or os.environ.get(spec.bot.api_key_env, "")
        await play(url, key, os.environ.get(SLACK_KEY_ENV))
        return 0
    clients: dict[str, str | None] = {spec.bot.client: "discord", SLACK_CLIENT: SLACK_PLATFORM}
    async with local_backend(application, spec.bot.client, args.database_url, clients=clients) as local:
        await play(local.url, local.api_key, local.keys[SLACK_CLIENT])
    return 0
