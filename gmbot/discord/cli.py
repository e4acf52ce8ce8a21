"""`gmbot bot` and `gmbot sync-commands`: the Discord front end's commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gmbot.application import Application
from gmbot.cli_support import (
    Unusable,
    add_app_arguments,
    application_and_spec,
    configure_logging,
    load_dotenv,
)
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.discord")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.replace(",", " ").split()]


# -- gmbot bot ---------------------------------------------------------------------------------
def bot_main(argv: Sequence[str]) -> int:
    return asyncio.run(run_bot(argv))


async def run_bot(argv: Sequence[str]) -> int:
    """`gmbot bot ARGS` inside a running event loop (what `bot_main` runs; the wire tests too)."""
    parser = argparse.ArgumentParser(prog="gmbot bot", description="Run the generated Discord bot.")
    add_app_arguments(parser)
    parser.add_argument("--shard-count", type=int, help="total shards across all processes (default: Discord's advice)")
    parser.add_argument("--shard-ids", type=_ids, help="the shards this process runs, e.g. 0,1 (needs --shard-count)")
    parser.add_argument("--cursor-file", type=Path, help="where the events cursor lives (default .gmbot/events-<shards>.cursor)")
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--health-port", type=int, default=_env_int("GMBOT_HEALTH_PORT"),
                        help="serve /health and /metrics on this port (default: $GMBOT_HEALTH_PORT; none when unset)")
    parser.add_argument("--health-host", default=os.environ.get("GMBOT_HEALTH_HOST", "127.0.0.1"))
    args = parser.parse_args(list(argv))
    load_dotenv()
    configure_logging(args.log_level)
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("gmbot bot: DISCORD_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    if args.shard_ids and not args.shard_count:
        print("gmbot bot: --shard-ids needs --shard-count", file=sys.stderr)
        return 2
    try:
        application, spec = application_and_spec(args)
    except Unusable as error:
        print(f"gmbot bot: {error}", file=sys.stderr)
        return 1
    return await _run_bot(application, spec, token, args)


def _env_int(name: str) -> int | None:
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else None


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

    from gmbot.discord.runtime import NO_MENTIONS, GmbotBot

    prefix = spec.bot.prefix

    def prefixes(bot: Any, message: Any) -> list[str]:
        return commands.when_mentioned_or(f"{prefix} ", f"{prefix.capitalize()} ", f"{prefix.upper()} ")(bot, message)

    return GmbotBot(
        command_prefix=prefixes, help_command=None, case_insensitive=True, intents=intents_for(spec),
        shard_count=shard_count, shard_ids=shard_ids,
        # `gmbot sync-commands` is the only writer of the registered commands: py-cord's own
        # sync runs on every shard's connect and re-identify, and deletes guild commands
        auto_sync_commands=False,
        # what users and the backend wrote is never a ping: the default of every post (each
        # card sets it as well)
        allowed_mentions=NO_MENTIONS,
    )


async def _run_bot(application: Application, spec: BotSpec, token: str, args: argparse.Namespace) -> int:
    from gmbot.chat.backend import backend_for
    from gmbot.chat.events import CursorStore, EventConsumer
    from gmbot.discord.api import api_base_url, use_api_base_url
    from gmbot.discord.delivery import post_event
    from gmbot.discord.lifecycle import DiscordService
    from gmbot.discord.platform import PLATFORM
    from gmbot.discord.runtime import DiscordRuntime, deferred_timeout_from_env
    from gmbot.discord.shards import ShardFilter

    use_api_base_url(api_base_url())
    service = DiscordService()  # retries, fatal errors, health, metrics, graceful shutdown
    routes = application.route_table()
    backend = backend_for(spec, PLATFORM, routes=routes)
    bot = make_bot(spec, args.shard_count, args.shard_ids)
    runtime = DiscordRuntime(spec, backend, deferred_timeout=deferred_timeout_from_env())
    runtime.install(bot)

    application.platform_object("discord", "commands:register")(bot, runtime)
    service.attach(bot, runtime, backend)
    shards = "all" if not args.shard_ids else "-".join(map(str, args.shard_ids))
    cursor = CursorStore(args.cursor_file or Path(".gmbot") / f"events-{shards}.cursor")

    async def deliver(event: Any, card: Any) -> None:
        await post_event(bot, event, card)

    consumer: list[asyncio.Task[None]] = []

    # Posting needs only REST (a channel not cached yet is addressed by id), so the feed
    # starts at the first shard's READY, not after py-cord's wait for every guild (on_ready)
    @bot.listen("on_connect")
    async def start_events() -> None:
        if consumer or not spec.events:  # a bot without event cards has no feed route to poll
            return
        count = args.shard_count or bot.shard_count or 1
        ids = args.shard_ids if args.shard_ids else None
        log.info("connected as %s: shards %s of %s; posting events", bot.user, ids or "all", count)
        feed = EventConsumer(runtime.core, backend, cursor, service.deliver(deliver), accepts=ShardFilter(count, ids).accepts)
        consumer.append(service.track(asyncio.create_task(feed.run(), name="gmbot-events")))

    try:
        return await service.run(token, health_host=args.health_host, health_port=args.health_port)
    finally:
        for task in consumer:
            task.cancel()
        await backend.aclose()


# -- gmbot sync-commands ---------------------------------------------------------------------
def sync_main(argv: Sequence[str]) -> int:
    from gmbot.application import ApplicationError, load_application
    from gmbot.discord.api import api_base_url
    from gmbot.discord.sync import SyncError, load_commands, sync_commands

    parser = argparse.ArgumentParser(prog="gmbot sync-commands",
                                     description="Register the application's Discord commands with one bulk overwrite.")
    parser.add_argument("--guild", help="register in this guild only (instant) instead of globally")
    parser.add_argument("--dry-run", action="store_true", help="print what would change; register nothing")
    parser.add_argument("--file", type=Path, help="the commands JSON (default: the application's)")
    parser.add_argument("--app", help="the application (module:attribute); default: $GMBOT_APP")
    parser.add_argument("--application-id", default=None, help="default: DISCORD_APPLICATION_ID, else asked from Discord")
    args = parser.parse_args(list(argv))
    load_dotenv()
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        print("gmbot sync-commands: DISCORD_TOKEN is not set (environment or .env)", file=sys.stderr)
        return 2
    try:
        path = args.file or load_application(args.app).platform_file("discord", "commands.json")
        if path is None:
            raise SyncError("the application has no Discord commands (run `gmbot generate`)")
        commands = load_commands(path)
        report = asyncio.run(sync_commands(
            token, commands=commands, guild=args.guild, dry_run=args.dry_run,
            application_id=args.application_id or os.environ.get("DISCORD_APPLICATION_ID"),
            base_url=api_base_url(),
        ))
    except (OSError, ValueError, SyncError, ApplicationError) as error:
        print(f"gmbot sync-commands: {error}", file=sys.stderr)
        return 1
    print("\n".join(report))
    return 0


__all__ = ["bot_main", "run_bot", "sync_main"]
