"""Referees: appointed and removed by the operator, through the API (`appointReferee`,
`removeReferee` in disputes.py, for operator keys) or on the machine that holds the database
(the admin command below, which needs no key, as `gmbot keys` needs none):

    python -m backend_impl.referees appoint --platform discord --user 187654321098765432 --name kim [--games 4,5]
    python -m backend_impl.referees remove --platform discord --user 187654321098765432
    python -m backend_impl.referees list
    [--database-url URL] (default $DATABASE_URL, else ./gmbot.sqlite3)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, errors, migrate, settings, views
from backend_impl.clock import utcnow
from backend_impl.tables import Referee
from gmbot.server.types import Problem


def as_dict(referee: Referee) -> dict[str, Any]:
    channel = None
    if referee.channel_id is not None:
        channel = {"serverId": referee.channel_server_id, "id": referee.channel_id, "name": referee.channel_name}
    return {
        "platform": referee.platform,
        "id": referee.user_id,
        "name": referee.name,
        "games": referee.games,
        "appointedAt": views.iso(referee.appointed_at),
        "channel": channel,
    }


async def check_games(games: list[int] | None, session: AsyncSession | None = None) -> list[int] | None:
    """The scope, sorted without repeats; 422 for unknown game ids or an empty list."""
    if games is None:
        return None
    known = (await catalogue.load(session)).games
    unknown = sorted({g for g in games if g not in known})
    if unknown or not games:
        raise errors.unprocessable(
            f"Unknown games {unknown}: see listGames." if unknown else "Name at least one game, or leave games out.",
            unknownGames=unknown, knownGames=sorted(known),
        )  # fmt: skip
    return sorted(set(games))


async def appoint(
    session: AsyncSession, platform: str, user_id: str, name: str, games: list[int] | None, by: str
) -> Referee:
    """Appoint (or appoint again, with a new scope; the channel stays) a referee."""
    referee = await session.get(Referee, (platform, user_id), with_for_update=True)
    if referee is None:
        referee = Referee(platform=platform, user_id=user_id, name=name, games=games, appointed_at=utcnow(),
                          appointed_by=by)  # fmt: skip
        session.add(referee)
    else:
        referee.name, referee.games = name, games
    await session.flush()
    return referee


async def remove(session: AsyncSession, platform: str, user_id: str) -> dict[str, Any]:
    referee = await session.get(Referee, (platform, user_id), with_for_update=True)
    if referee is None:
        raise errors.not_found("Referee", f"{user_id} on {platform} is not a referee.", platform=platform,
                               userId=user_id)  # fmt: skip
    gone = as_dict(referee)
    await session.delete(referee)
    return gone


async def _run(args: argparse.Namespace) -> int:
    url = settings.database_url(args.database_url)
    await migrate.upgrade(url)
    db.init(url)
    try:
        async with db.get().transaction() as session:
            if args.action == "appoint":
                wanted = [int(g) for g in args.games.split(",") if g.strip()] if args.games else None
                games = await check_games(wanted, session)
                done = as_dict(await appoint(session, args.platform, args.user, args.name, games, "admin command"))
                print(f"appointed {done['name']} ({done['platform']} {done['id']}) for "
                      f"{'every game' if games is None else 'games ' + ', '.join(map(str, games))}")  # fmt: skip
            elif args.action == "remove":
                done = await remove(session, args.platform, args.user)
                print(f"removed {done['name']} ({done['platform']} {done['id']})")
            else:
                for referee in await session.scalars(select(Referee).order_by(Referee.platform, Referee.user_id)):
                    scope = "every game" if referee.games is None else "games " + ", ".join(map(str, referee.games))
                    channel = f"#{referee.channel_name}" if referee.channel_id else "no channel yet"
                    print(f"{referee.platform} {referee.user_id} {referee.name}: {scope}; {channel}")
    except Problem as problem:  # said plainly, no traceback
        print(f"error: {problem.detail}", file=sys.stderr)
        return 1
    finally:
        await db.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m backend_impl.referees", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--database-url", default=None)
    actions = parser.add_subparsers(dest="action", required=True)
    appointing = actions.add_parser("appoint", help="appoint a referee (again: a new scope)")
    removing = actions.add_parser("remove", help="remove a referee")
    actions.add_parser("list", help="list the referees")
    for sub in (appointing, removing):
        sub.add_argument("--platform", required=True, help="discord, slack, telegram, ...")
        sub.add_argument("--user", required=True, help="the user's id on that platform")
    appointing.add_argument("--name", required=True, help="the referee's display name")
    appointing.add_argument("--games", default=None, help="comma-separated game ids (default: every game)")
    return asyncio.run(_run(parser.parse_args(argv)))


if __name__ == "__main__":
    raise SystemExit(main())
