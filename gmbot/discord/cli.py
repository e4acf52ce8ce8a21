"""`gmbot bot` and `gmbot sync-commands`: the Discord front end's commands."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmbot.application import Application
from gmbot.cli_support import (
    Unusable,
    add_app_arguments,
    application_and_spec,
    load_dotenv,
)
from gmbot.service.cli import add_events_flags, add_service_flags, cannot_start, service_arguments
from gmbot.spec.model import BotSpec

if TYPE_CHECKING:
    from gmbot.discord.shards import ShardFilter

log = logging.getLogger("gmbot.discord")


def _ids(text: str) -> list[int]:
    return [int(part) for part in text.replace(",", " ").split()]


# -- gmbot bot ---------------------------------------------------------------------------------
PROG = "gmbot bot"


def bot_main(argv: Sequence[str]) -> int:
    return asyncio.run(run_bot(argv))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description="Run the generated Discord bot.")
    add_app_arguments(p)
    p.add_argument("--shard-count", type=int, help="total shards across all processes (default: Discord's advice)")
    p.add_argument("--shard-ids", type=_ids, help="the shards this process runs, e.g. 0,1 (needs --shard-count)")
    add_events_flags(p, None)  # the cursor file is named after the shards: .gmbot/events-<shards>.cursor
    add_service_flags(p)
    return p


async def run_bot(argv: Sequence[str]) -> int:
    """`gmbot bot ARGS` inside a running event loop (what `bot_main` runs; the wire tests too)."""
    args = service_arguments(parser, argv)
    token = os.environ.get("DISCORD_TOKEN")
    if not token:
        return cannot_start(PROG, "DISCORD_TOKEN is not set (environment or .env)", 2)
    if args.shard_ids and not args.shard_count:
        return cannot_start(PROG, "--shard-ids needs --shard-count", 2)
    if args.shard_ids and not set(args.shard_ids) <= set(range(args.shard_count)):
        return cannot_start(PROG, f"--shard-ids must be below --shard-count ({args.shard_count})", 2)
    try:  # the shard set names the feed's partition: a name the backend refuses is a setting to fix
        partition = _shard_set(args.shard_count or 1, args.shard_ids).partition
    except ValueError as error:
        return cannot_start(PROG, error, 2)
    log.debug("events partition %s", partition)
    try:
        application, spec = application_and_spec(args)
    except Unusable as error:
        return cannot_start(PROG, error, 1)
    return await _run_bot(application, spec, token, args)


def _shard_set(count: int, ids: list[int] | None) -> ShardFilter:
    from gmbot.discord.shards import ShardFilter

    return ShardFilter(count, ids or None)


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
    from gmbot.chat.events import CursorStore
    from gmbot.discord.api import api_base_url, use_api_base_url
    from gmbot.discord.delivery import post_event
    from gmbot.discord.lifecycle import DiscordService
    from gmbot.discord.platform import PLATFORM
    from gmbot.discord.runtime import DiscordRuntime, deferred_timeout_from_env
    from gmbot.service.cli import start_events

    use_api_base_url(api_base_url())
    routes = application.route_table()
    backend = backend_for(spec, PLATFORM, routes=routes)
    bot = make_bot(spec, args.shard_count, args.shard_ids)
    runtime = DiscordRuntime(spec, backend, deferred_timeout=deferred_timeout_from_env())
    runtime.install(bot)

    application.platform_object("discord", "commands:register")(bot, runtime)
    service = DiscordService(bot)  # retries, fatal errors, health, metrics, graceful shutdown
    service.attach(runtime, backend)
    shards = "all" if not args.shard_ids else "-".join(map(str, args.shard_ids))
    cursor = CursorStore(args.cursor_file or Path(".gmbot") / f"events-{shards}.cursor")

    async def deliver(event: Any, card: Any) -> None:
        await post_event(bot, event, card)

    # Posting needs only REST (a channel not cached yet is addressed by id), so the feed
    # starts at the first shard's READY, not after py-cord's wait for every guild (on_ready)
    # The shard set is the feed's partition: its lease and cursor are kept by the backend, and
    # after re-sharding a new shard set goes on from where the old ones left its guilds
    @bot.listen("on_connect")
    async def posting_events() -> None:
        shards = _shard_set(args.shard_count or bot.shard_count or 1, args.shard_ids)
        if start_events(service, runtime.core, backend, cursor, deliver, accepts=shards.accepts,
                        partition=shards.partition, lineage=shards.lineage, wait=args.events_wait):
            log.info("connected as %s: shards %s of %s; posting events (partition %s)", bot.user,
                     args.shard_ids or "all", shards.shard_count, shards.partition)

    try:
        return await service.run(token, health_host=args.health_host, health_port=args.health_port)
    finally:
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
