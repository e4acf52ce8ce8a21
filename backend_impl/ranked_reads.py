"""What ranked play's reads share (ranked.py's operations, charts.py, the public pages): the
game a read names, the season it reads (the current one rolled over first when its end has
passed), the read transaction that does that rollover, a clan's game and season as its
profile and chart choose them, and a rating as it is shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, errors, seasons
from backend_impl.catalogue import GameInfo
from backend_impl.clock import utcnow
from backend_impl.rating import Rating, ordinal
from backend_impl.seasons import SeasonInfo
from backend_impl.shapes import ClanLike
from backend_impl.tables import WarResult

T = TypeVar("T")
_LATEST_GAME = (
    select(WarResult.game_id).where(WarResult.clan_id == bindparam("clan")).order_by(WarResult.seq.desc()).limit(1)
)


def shown_rating(mu: float, sigma: float) -> float:
    """A rating as every reply shows it: the ordinal (mu - 3 sigma), to two decimals."""
    return round(ordinal(mu, sigma), 2)


async def known_game(game_id: int) -> GameInfo:
    """The catalogue's game; 404 naming the known ones otherwise."""
    cat = await catalogue.load()
    game = cat.games.get(game_id)
    if game is None:
        raise errors.not_found("Game", f"There is no game {game_id}. See listGames.",
                               gameId=game_id, knownGames=sorted(cat.games))  # fmt: skip
    return game


class SeasonDue(Exception):
    """The current season of a game has ended and must be rolled over before it is read."""

    def __init__(self, game_id: int) -> None:
        super().__init__(game_id)
        self.game_id = game_id


async def season_to_read(session: AsyncSession, game_id: int, number: int | None, now: datetime) -> SeasonInfo:
    """The season a read asks for: `number` (404 when unknown), else the current one;
    SeasonDue when that one's end has passed (`read_with_rollover` rolls it over)."""
    if number is not None:
        return await seasons.resolve(session, game_id, number, now)
    known = await seasons.active(session, game_id)
    if known is None or known.ends_at <= now:
        raise SeasonDue(game_id)
    return known


async def read_with_rollover(work: Callable[[AsyncSession, datetime], Awaitable[T]]) -> T:
    """`work` in one read transaction; when the season it reads is due, roll it over (a write
    transaction, once per game for every process, seasons.current) and read again."""
    database = db.get()
    while True:
        now = utcnow()
        try:
            async with database.read() as session:
                return await work(session, now)
        except SeasonDue as due:

            async def roll(game_id: int = due.game_id, moment: datetime = now) -> SeasonInfo:
                async with database.transaction() as session:
                    return await seasons.current(session, game_id, moment)

            await db.retrying(roll)


async def clan_scope(
    session: AsyncSession, clan: ClanLike, game: int | None, season: int | None, now: datetime
) -> tuple[GameInfo, SeasonInfo]:
    """The game and season of a clan's profile and chart: the game asked for, else the one of
    its latest war (422 when it has none); the season asked for, else the current one."""
    game_id = game if game is not None else await session.scalar(_LATEST_GAME, {"clan": clan.id})
    if game_id is None:
        raise errors.unprocessable(
            f"{clan.name} has no war result yet: name the game (see listGames).", serverId=clan.server_id
        )
    info = await known_game(game_id)
    return info, await season_to_read(session, game_id, season, now)


@dataclass(frozen=True)
class ProfileRows:
    """What a clan's profile is made of, as read by the portable path (ranked.py) or by
    PostgreSQL's one statement (ranked_pg.py); ranked.py renders either the same way."""

    clan: ClanLike
    game: GameInfo
    season: SeasonInfo
    rating: Mapping[str, Any] | None  # its clan_ratings row of the season; None: no war in it yet
    start: Rating | None  # without a row: where the season starts it (soft reset, or the default)
    above: int | None  # ranked: the ranked clans before it on the leaderboard
    above_before: int | None  # ...and those rated above its rating before its last war (rank change)
    recent: Sequence[Any]  # its latest results of the season, newest first (ranked.history_item)
