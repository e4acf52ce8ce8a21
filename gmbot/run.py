"""`gmbot run`: the main job. Serve the backend; run each chat front end beside it whose
credentials are set (environment or `.env`): each registered platform (gmbot/platforms.py)
names the variables it needs (the Discord bot DISCORD_TOKEN, say).

Each bot needs an API key for its `client`: unless the bot's key variable is given, one
is minted once and kept in `.gmbot/<client>-api-key` (ignored by git), and minted
again if the database no longer knows it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gmbot.application import Admin, Application, ApplicationError, load_application
from gmbot.cli_support import load_dotenv
from gmbot.platforms import Platform, platforms
from gmbot.service.children import Child, Watcher, with_front_ends

KEY_DIR = Path(".gmbot")


def front_ends(application: Application) -> list[Platform]:
    """The registered platforms the application has a generated front end for."""
    return [p for p in platforms() if application.serves(p.name)]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gmbot run", description=__doc__.splitlines()[0])
    p.add_argument("--host", default=os.environ.get("GMBOT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GMBOT_PORT", "8080")))
    p.add_argument("--database-url", default=None, help="default: $DATABASE_URL, else ./gmbot.sqlite3")
    p.add_argument("--app", default=None, help="the application (module:attribute); default: $GMBOT_APP")
    return p


async def _bot_key(admin: Admin, database_url: str, client: str, platform: str) -> str:
    """A key the backend accepts for `client`: the saved one, or a new one."""
    key_file = KEY_DIR / f"{client.lower()}-api-key"
    if key_file.exists():
        saved = key_file.read_text().strip()
        found = await admin.verify_key(database_url, saved)
        if found is not None and found.client == client and found.platform == platform:
            return saved
    _, key = await admin.create_key(database_url, client, platform)
    key_file.parent.mkdir(exist_ok=True)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def _start(end: Platform, application: Application, args: argparse.Namespace,
           admin: Admin, database_url: str) -> Child:
    settings = application.spec().bot
    env = dict(os.environ)
    env["GMBOT_HEALTH_PORT"] = str(health_port := _free_port())  # its own; /health here aggregates
    env.setdefault(settings.backend_url_env, f"http://{args.host}:{args.port}")
    if not env.get(end.key_env):
        env[end.key_env] = asyncio.run(_bot_key(admin, database_url, end.client, end.name))
    print(f"gmbot: starting the {end.title} bot (client {end.client})", flush=True)
    extra = ["--app", args.app] if args.app else []
    process = subprocess.Popen([sys.executable, "-m", "gmbot.cli", end.command.name, *extra], env=env)
    return Child(end.name, process, health_port)


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv or []))
    load_dotenv()
    from gmbot import serve

    try:
        application = load_application(args.app)
        admin = application.admin_hooks()
    except ApplicationError as error:
        print(f"gmbot run: {error}", file=sys.stderr)
        return 1
    database_url = admin.database_url(args.database_url)
    bots: list[Child] = []
    ends = front_ends(application)
    for end in ends:
        if all(os.environ.get(name) for name in end.credentials):
            bots.append(_start(end, application, args, admin, database_url))
    if not bots:
        wanted = ", or ".join(" and ".join(end.credentials) for end in ends)
        print(f"gmbot: no bot credentials set ({wanted}): serving the backend only (try `gmbot chat`)", flush=True)
    serve_args = ["--host", args.host, "--port", str(args.port), "--database-url", database_url]
    servers: list[Any] = []

    def stop_server() -> None:  # from the watcher thread: uvicorn polls the flag
        for server in servers:
            server.should_exit = True

    # a bot that dies stops everything (exit with its code); SIGTERM/Ctrl-C of `gmbot run`
    # reaches the bots at once, so they finish their commands while the backend still answers
    watcher = Watcher(bots, stop_server, stopping=lambda: any(s.should_exit for s in servers))
    watcher.start()
    # uvicorn handles SIGTERM/SIGINT while it serves, then raises the signal again once it
    # has stopped, which by default would end this process with -15 before the bots are
    # waited for: a stop asked for is a clean exit
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _exit_cleanly)
    try:
        code = serve.main(serve_args + (["--app", args.app] if args.app else []),
                          wrap=lambda app: with_front_ends(app, bots), on_server=servers.append)
    finally:
        watcher.stop()
    return watcher.exit_code or code
