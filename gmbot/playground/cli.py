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
        description="Offline playground: reads lines from stdin ('as <user> in <server> [on <platform>]' switches; "
        "'gmbot ...' runs a command; 'click <label>', 'wait <seconds>'), prints the cards.",
    )
    parser.add_argument("--url", help="use the backend at this URL (API key from --api-key or the environment)")
    parser.add_argument("--env", action="store_true", help="use the backend configured in the environment / .env")
    parser.add_argument("--api-key", help="API key for --url, of the first platform's client (the others' keys "
                        "come from their own variables, e.g. GMBOT_<PLATFORM>_API_KEY)")
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
    from gmbot.platforms import PlatformError

    try:
        return asyncio.run(_run_chat(application, spec, args))
    except BackendUnavailable as error:
        print(f"gmbot chat: the backend is not answering ({error.reason}); is it running?", file=sys.stderr)
        return 1
    except PlatformError as error:  # a registered platform whose parts do not load
        print(f"gmbot chat: {error}", file=sys.stderr)
        return 1


async def _run_chat(application: Application, spec: BotSpec, args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx2.*")  # connexion's import-time noise
    from gmbot.chat.backend import DEFAULT_URL, BackendClient
    from gmbot.chat.core import Core
    from gmbot.platforms import platforms
    from gmbot.playground.playground import Playground
    from gmbot.server.local import local_backend

    routes = application.route_table()  # the routes of the generated bot, even with --spec
    if sys.stdin.isatty():
        print("gmbot chat: type lines, end with Ctrl-D. Start with: as alice in Wolves", file=sys.stderr)

    async def play(url: str, keys: dict[str, str]) -> None:
        """`keys`: platform name -> its bot's API key; each platform plays as its own client."""
        sides = [p for p in platforms() if p.name in keys]
        backends = {p.name: BackendClient(url, keys[p.name], p.client, routes=routes) for p in sides}
        try:
            locales = application.locales()
            cores = {name: Core(spec, backend, name, locales) for name, backend in backends.items()}
            await Playground(cores, sys.stdout).run_stream(sys.stdin)
        finally:
            for backend in backends.values():
                await backend.aclose()

    if args.url or args.env:
        url = args.url or os.environ.get(spec.bot.backend_url_env, DEFAULT_URL)
        first, *others = platforms()
        # the first platform plays with the key given (as its front end would read it);
        # another only when its own key is set: a key is issued to one client
        keys = {first.name: args.api_key or os.environ.get(first.key_env)
                or os.environ.get(spec.bot.api_key_env, "")}
        keys.update({p.name: os.environ[p.key_env] for p in others if os.environ.get(p.key_env)})
        await play(url, keys)
        return 0
    clients: dict[str, str | None] = {p.client: p.name for p in platforms()}
    async with local_backend(application, database_url=args.database_url, clients=clients) as local:
        await play(local.url, {p.name: local.keys[p.client] for p in platforms()})
    return 0
