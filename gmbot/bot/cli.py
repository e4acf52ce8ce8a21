"""`gmbot bot`, `gmbot chat` and `gmbot sync-commands`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gmbot.bot.specfile import load_spec
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.bot")


def _dotenv() -> None:
    try:
        from dotenv import load_dotenv
    except ImportError:  # pragma: no cover
        return
    load_dotenv(Path.cwd() / ".env")


def _logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.replace(",", " ").split()]


# -- gmbot bot ---------------------------------------------------------------------------------
def bot_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="gmbot bot", description="Run the generated Discord bot.")
    parser.add_argument("--spec", type=Path, help="spec.json (default generated/bot/spec.json)")
    parser.add_argument("--shard-count", type=int, help="total shards across all processes (default: Discord's advice)")
    parser.add_argument("--shard-ids", type=_ids, help="the shards this process runs, e.g. 0,1 (needs --shard-count)")
    parser.add_argument("--cursor-file", type=Path, help="where the events cursor lives (default .gmbot/events-<shards>.cursor)")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(list(argv))
    _dotenv()
    _logging(args.log_level)
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("gmbot bot: DISCORD_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    if args.shard_ids and not args.shard_count:
        print("gmbot bot: --shard-ids needs --shard-count", file=sys.stderr)
        return 2
    try:
        spec = load_spec(args.spec)
    except (OSError, ValueError) as error:
        print(f"gmbot bot: cannot load the spec: {error}", file=sys.stderr)
        return 1
    asyncio.run(_run_bot(spec, token, args))
    return 0


def intents_for(spec: BotSpec) -> Any:
    import discord

    intents = discord.Intents.none()
    intents.guilds = True  # guild and channel objects for context and event delivery
    if spec.bot.prefix_commands:
        intents.guild_messages = True
        intents.message_content = True  # privileged: only when prefix commands are on
    return intents


def make_bot(spec: BotSpec, shard_count: int | None = None, shard_ids: list[int] | None = None) -> Any:
    """The py-cord bot (create it inside the running event loop)."""
    from discord.ext import commands

    prefix = spec.bot.prefix

    def prefixes(bot: Any, message: Any) -> list[str]:
        return commands.when_mentioned_or(f"{prefix} ", f"{prefix.capitalize()} ", f"{prefix.upper()} ")(bot, message)

    return commands.AutoShardedBot(
        command_prefix=prefixes, help_command=None, case_insensitive=True, intents=intents_for(spec),
        shard_count=shard_count, shard_ids=shard_ids,
    )


async def _run_bot(spec: BotSpec, token: str, args: argparse.Namespace) -> None:
    from generated.bot.commands import register
    from generated.bot.routes import ROUTES
    from gmbot.bot.backend import BackendClient
    from gmbot.bot.discord_runtime import DiscordRuntime, message_kwargs
    from gmbot.bot.events import CursorStore, EventConsumer, ShardFilter

    backend = BackendClient.from_env(spec.bot.backend_url_env, spec.bot.api_key_env, spec.bot.client, routes=ROUTES)
    bot = make_bot(spec, args.shard_count, args.shard_ids)
    runtime = DiscordRuntime(spec, backend)
    runtime.install(bot)

    register(bot, runtime)
    shards = "all" if not args.shard_ids else "-".join(map(str, args.shard_ids))
    cursor = CursorStore(args.cursor_file or Path(".gmbot") / f"events-{shards}.cursor")

    async def deliver(event: Any, card: Any) -> None:
        channel_id = event.get("channelId")
        if not channel_id:
            log.warning("event %s for server %s has no channel", event.get("id"), event.get("serverId"))
            return
        channel = bot.get_channel(int(channel_id)) or await bot.fetch_channel(int(channel_id))
        await channel.send(**message_kwargs(card))

    consumer: list[asyncio.Task[None]] = []

    @bot.listen("on_ready")
    async def start_events() -> None:
        if consumer or not spec.events:  # a bot without event cards has no feed route to poll
            return
        count = args.shard_count or bot.shard_count or 1
        ids = args.shard_ids if args.shard_ids else None
        log.info("ready as %s: shards %s of %s", bot.user, ids or "all", count)
        feed = EventConsumer(runtime.core, backend, cursor, deliver, shards=ShardFilter(count, ids))
        consumer.append(asyncio.create_task(feed.run(), name="gmbot-events"))

    try:
        async with bot:
            await bot.start(token)
    finally:
        for task in consumer:
            task.cancel()
        await backend.aclose()


# -- gmbot chat ------------------------------------------------------------------------------
def chat_main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="gmbot chat",
        description="Offline playground: reads lines from stdin ('as <user> in <server>' switches; "
        "'gmbot ...' runs a command; 'click <label>', 'wait <seconds>'), prints the cards.",
    )
    parser.add_argument("--url", help="use the backend at this URL (API key from --api-key or the environment)")
    parser.add_argument("--env", action="store_true", help="use the backend configured in the environment / .env")
    parser.add_argument("--api-key", help="API key for --url")
    parser.add_argument("--spec", type=Path, help="spec.json or commands.yaml (default: generated, else specs/)")
    parser.add_argument("--database-url", help="database of the in-process backend (default: a temporary SQLite)")
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(list(argv))
    _dotenv()
    _logging(args.log_level)
    try:
        spec = load_spec(args.spec)
    except (OSError, ValueError) as error:
        print(f"gmbot chat: cannot load the spec: {error}", file=sys.stderr)
        return 1
    from gmbot.bot.backend import BackendUnavailable

    try:
        return asyncio.run(_run_chat(spec, args))
    except BackendUnavailable as error:
        print(f"gmbot chat: the backend is not answering ({error.reason}); is it running?", file=sys.stderr)
        return 1
    except ImportError as error:
        print(f"gmbot chat: cannot start the backend in-process ({error}); run `gmbot generate`?", file=sys.stderr)
        return 1


async def _run_chat(spec: BotSpec, args: argparse.Namespace) -> int:
    import warnings

    warnings.filterwarnings("ignore", message=".*httpx2.*")  # connexion's import-time noise
    from generated.bot.routes import ROUTES  # the routes of the generated bot, even with --spec
    from gmbot.bot.backend import DEFAULT_URL, BackendClient
    from gmbot.bot.core import Core
    from gmbot.bot.local_backend import local_backend
    from gmbot.bot.playground import Playground

    if sys.stdin.isatty():
        print("gmbot chat: type lines, end with Ctrl-D. Start with: as alice in Wolves", file=sys.stderr)

    async def play(url: str, key: str) -> None:
        backend = BackendClient(url, key, spec.bot.client, routes=ROUTES)
        try:
            await Playground(Core(spec, backend), sys.stdout).run_stream(sys.stdin)
        finally:
            await backend.aclose()

    if args.url or args.env:
        url = args.url or os.environ.get(spec.bot.backend_url_env, DEFAULT_URL)
        key = args.api_key or os.environ.get(spec.bot.api_key_env, "")
        await play(url, key)
        return 0
    async with local_backend(spec.bot.client, args.database_url) as local:
        await play(local.url, local.api_key)
    return 0


# -- gmbot sync-commands ---------------------------------------------------------------------
def sync_main(argv: Sequence[str]) -> int:
    from gmbot.bot.sync import COMMANDS_JSON, SyncError, load_commands, sync_commands

    parser = argparse.ArgumentParser(prog="gmbot sync-commands",
                                     description="Register generated/discord_commands.json with one bulk overwrite.")
    parser.add_argument("--guild", help="register in this guild only (instant) instead of globally")
    parser.add_argument("--dry-run", action="store_true", help="print what would change; register nothing")
    parser.add_argument("--file", type=Path, default=COMMANDS_JSON)
    parser.add_argument("--application-id", default=None, help="default: DISCORD_APPLICATION_ID, else asked from Discord")
    args = parser.parse_args(list(argv))
    _dotenv()
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("gmbot sync-commands: DISCORD_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    try:
        commands = load_commands(args.file)
        report = asyncio.run(sync_commands(
            token, commands=commands, guild=args.guild, dry_run=args.dry_run,
            application_id=args.application_id or os.environ.get("DISCORD_APPLICATION_ID"),
        ))
    except (OSError, ValueError, SyncError) as error:
        print(f"gmbot sync-commands: {error}", file=sys.stderr)
        return 1
    print("\n".join(report))
    return 0


__all__ = ["bot_main", "chat_main", "sync_main"]
