"""`gmbot keys`: create, list and revoke API keys (stored hashed; a key is printed once).

gmbot keys create --client DISCORD-BFF [--platform discord] [--share-platform] [--second-platform]
gmbot keys list [--client DISCORD-BFF]
gmbot keys revoke KEY_ID
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from gmbot.application import ApplicationError, load_application


def parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url", default=argparse.SUPPRESS, help="default: $DATABASE_URL, else ./gmbot.sqlite3"
    )
    p = argparse.ArgumentParser(prog="gmbot keys", description="Manage API keys.", parents=[database])
    p.add_argument("--app", default=None, help="the application (module:attribute); default: $GMBOT_APP")
    sub = p.add_subparsers(dest="action", required=True)
    create = sub.add_parser("create", help="issue a new key (printed once)", parents=[database])
    create.add_argument("--client", required=True, help="the client header value, e.g. DISCORD-BFF")
    create.add_argument(
        "--platform", default=None, help="id namespace (default: from the client, e.g. discord)"
    )
    create.add_argument(
        "--share-platform", action="store_true",
        help="allow a second client on a platform that already has one (both act for its users)",
    )  # fmt: skip
    create.add_argument(
        "--second-platform", action="store_true",
        help="allow a client that has keys for another platform to take this one too (it acts for both)",
    )  # fmt: skip
    listing = sub.add_parser("list", help="list keys (ids, never secrets)", parents=[database])
    listing.add_argument("--client", default=None)
    revoke = sub.add_parser("revoke", help="revoke a key by its id", parents=[database])
    revoke.add_argument("key_id")
    return p


async def _run(args: argparse.Namespace) -> int:
    admin = load_application(args.app).admin_hooks()
    url = admin.database_url(getattr(args, "database_url", None))
    if args.action == "create":
        try:
            info, key = await admin.create_key(
                url, args.client, args.platform, shared_platform=args.share_platform,
                second_platform=args.second_platform,
            )
        except ValueError as refused:  # the platform has another client, or the client another platform
            print(f"gmbot keys: {refused}", file=sys.stderr)
            return 1
        print(key)
        print(
            f"key id {info.id} for client {info.client} (platform {info.platform}); "
            "store it now, it is not shown again",
            file=sys.stderr,
        )
        return 0
    if args.action == "list":
        for k in await admin.list_keys(url, args.client):
            state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
            last = getattr(k, "last_used_at", None)
            used = f"last used {last:%Y-%m-%d %H:%M}" if last else "never used"
            print(f"{k.id}\t{k.client}\t{k.platform}\t{k.created_at:%Y-%m-%d %H:%M}\t{state}\t{used}")
        return 0
    if await admin.revoke_key(url, args.key_id):
        print(f"revoked {args.key_id}")
        return 0
    print(f"gmbot keys: no active key {args.key_id}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return asyncio.run(_run(parser().parse_args(list(argv or []))))
    except ApplicationError as error:
        print(f"gmbot keys: {error}", file=sys.stderr)
        return 1
