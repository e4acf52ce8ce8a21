"""What every front end's command line has: the service flags, numbers from the environment,
and the events consumer started beside the connection.

Light to import (the SDKs are loaded only once a command runs): `gmbot --help` reads it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gmbot.cli_support import configure_logging, load_dotenv

if TYPE_CHECKING:
    from gmbot.chat.events import CursorStore, Deliver, Lineage
    from gmbot.service.frontend import FrontEndService

PORT_ENV = "GMBOT_HEALTH_PORT"  # `gmbot run` picks a free one for each bot
HOST_ENV = "GMBOT_HEALTH_HOST"


def env_int(name: str) -> int | None:
    """A whole number from the environment; None when unset or not one."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isdigit() else None


def add_service_flags(parser: argparse.ArgumentParser) -> None:
    """--log-level, --health-port and --health-host (their defaults read the environment when
    the parser is built: see `service_arguments`)."""
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--health-port", type=int, default=env_int(PORT_ENV),
                        help=f"serve /health and /metrics on this port (default: ${PORT_ENV}; none when unset)")
    parser.add_argument("--health-host", default=os.environ.get(HOST_ENV, "127.0.0.1"))


def add_events_flags(parser: argparse.ArgumentParser, cursor_file: Path | None) -> None:
    """--cursor-file and --events-wait: the events consumer's (`start_events`)."""
    parser.add_argument("--cursor-file", type=Path, default=cursor_file,
                        help="a local copy of the events cursor; the cursor itself only when the backend keeps no "
                             f"delivery leases (default {cursor_file or 'named after the process'})")
    parser.add_argument("--events-wait", type=int, default=25, help="seconds one long poll of the event feed may wait")


def first_connection(prog: str, where: str, start: Callable[[], object]) -> Callable[[str], None]:
    """What a front end does when it is connected: the first time, say it is ready (on stdout:
    `gmbot run` and the tests wait for the line) and `start` the events consumer; a reconnection
    finds the consumer running."""
    started: list[str] = []

    def connected(who: str) -> None:
        if started:
            return
        started.append(who)
        print(f"{prog}: ready ({where})", flush=True)
        start()

    return connected


def cannot_start(prog: str, reason: object, code: int) -> int:
    """Say in one line on stderr why the front end cannot start; `code` is the exit status
    (2: a setting is missing or contradicts another, 1: the application or a resource it
    needs is unusable)."""
    print(f"{prog}: {reason}", file=sys.stderr)
    return code


def service_arguments(parser: Callable[[], argparse.ArgumentParser], argv: Sequence[str]) -> argparse.Namespace:
    """A front end's arguments: `.env` first (flag defaults such as --health-port come from
    the environment), then the parser is built and reads `argv`, then logging is set up."""
    load_dotenv()
    args = parser().parse_args(list(argv))
    configure_logging(args.log_level)
    return args


def start_events(service: FrontEndService, core: Any, backend: Any, cursor: CursorStore, deliver: Deliver,
                 *, partition: str | None = None, lineage: Lineage | None = None,
                 **options: Any) -> asyncio.Task[None] | None:
    """Start the events consumer (gmbot/chat/events.py) as the service's work: its posts are
    work in flight and counted, and it is cancelled once commands have drained. Once per
    process: a reconnection finds it running. None when the bot has no event cards (it has
    no feed route to poll) or it runs already.

    When the backend keeps delivery leases, the consumer delivers `partition` (default
    GMBOT_EVENTS_PARTITION or `all`) only while it holds its lease, so any number of replicas
    post each event once. A process that delivers only some servers (`accepts`) needs a
    partition of its own; without one it keeps the file `cursor` as before. A front end whose
    partitions can be drawn anew (Discord re-sharded) hands in their `lineage`: a new partition
    goes on from where the old ones that held its servers got to."""
    from gmbot.chat.events import EventConsumer, LeaseSettings, PartitionLease

    name = f"gmbot-{service.platform}-events"
    if not core.spec.events or any(task.get_name() == name for task in service.tasks):
        return None
    lease = None
    if PartitionLease.supported(backend) and (partition or "accepts" not in options):
        lease = PartitionLease(backend, LeaseSettings.from_env(partition=partition), lineage)
    feed = EventConsumer(core, backend, cursor, service.deliver(deliver), lease=lease, **options)
    return service.track(asyncio.create_task(feed.run(), name=name))
