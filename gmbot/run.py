"""`gmbot run`: the main job. Serve the backend; run the Discord bot beside it when
DISCORD_TOKEN is set (environment or `.env`).

The bot needs an API key for its `client`: unless GMBOT_API_KEY is given, one is
minted once and kept in `.gmbot/bot-api-key` (ignored by git), and minted again
if the database no longer knows it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

KEY_FILE = Path(".gmbot") / "bot-api-key"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="gmbot run", description=__doc__.splitlines()[0])
    p.add_argument("--host", default=os.environ.get("GMBOT_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("GMBOT_PORT", "8080")))
    p.add_argument("--database-url", default=None, help="default: $DATABASE_URL, else ./gmbot.sqlite3")
    return p


async def _bot_key(database_url: str, client: str) -> str:
    """A key the backend accepts for `client`: the saved one, or a new one."""
    from backend_impl import apikeys, db, migrate

    await migrate.upgrade(database_url)
    database = db.Database(database_url)
    try:
        if KEY_FILE.exists():
            saved = KEY_FILE.read_text().strip()
            found = await apikeys.verify(database, saved)
            if found is not None and found.client == client:
                return saved
        _, key = await apikeys.create(database, client)
    finally:
        await database.dispose()
    KEY_FILE.parent.mkdir(exist_ok=True)
    KEY_FILE.write_text(key + "\n")
    KEY_FILE.chmod(0o600)
    return key


def _start_bot(args: argparse.Namespace, database_url: str) -> subprocess.Popen[bytes]:
    from gmbot.bot.specfile import load_spec

    settings = load_spec(None).bot
    env = dict(os.environ)
    env.setdefault(settings.backend_url_env, f"http://{args.host}:{args.port}")
    if not env.get(settings.api_key_env):
        env[settings.api_key_env] = asyncio.run(_bot_key(database_url, settings.client))
    print(f"gmbot: starting the Discord bot (client {settings.client})", flush=True)
    return subprocess.Popen([sys.executable, "-m", "gmbot.cli", "bot"], env=env)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(list(argv or []))
    try:
        from dotenv import load_dotenv

        load_dotenv(Path.cwd() / ".env")
    except ImportError:  # pragma: no cover - python-dotenv is a dependency
        pass
    from backend_impl import settings
    from gmbot import serve

    database_url = settings.database_url(args.database_url)
    bot = _start_bot(args, database_url) if os.environ.get("DISCORD_TOKEN") else None
    if bot is None:
        print("gmbot: DISCORD_TOKEN not set: serving the backend only (try `gmbot chat`)", flush=True)
    try:
        return serve.main(["--host", args.host, "--port", str(args.port), "--database-url", database_url])
    finally:
        if bot is not None and bot.poll() is None:
            bot.send_signal(signal.SIGINT)
            try:
                bot.wait(timeout=10)
            except subprocess.TimeoutExpired:
                bot.kill()
