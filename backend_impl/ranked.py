"""Ranked play (tag `ranked`): leaderboards by rating per game and season, seasons, clan
profiles, history and head-to-head. The ratings themselves are kept by standings.py (each
result) and seasons.py (rollover); docs/backend.md, "Ranked play", explains the rules.

Every read answers with an ETag and honours If-None-Match (conditional.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import (
    catalogue,
    conditional,
    db,
    errors,
    idempotency,
    ranked_pg,
    ranks,
    seasons,
    settings,
    standings,
    views,
)
from backend_impl.catalogue import GameInfo
from backend_impl.clock import utcnow
from backend_impl.identity import find_clan
from backend_impl.rating import ordinal
from backend_impl.seasons import SeasonInfo
from backend_impl.tables import Clan, ClanRating, Season, WarResult
from backend_impl.web import links
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

RATINGS = ClanRating.__table__.c
RESULTS = WarResult.__table__.c
CLANS = Clan.__table__.c
SEASONS = Season.__table__.c
RATED = standings.RATED
T = TypeVar("T")


# --- shared ---------------------------------------------------------------------------------


def _offset(limit: int, offset: int, page: int | None) -> int:
    if page is None:
        return offset
    if offset:
        raise errors.unprocessable("Give `page` or `offset`, not both.", page=page, offset=offset)
    return (page - 1) * limit


async def _game(game_id: int) -> GameInfo:
    cat = await catalogue.load()
    game = cat.games.get(game_id)
    if game is None:
        raise errors.not_found("Game", f"There is no game {game_id}. See listGames.",
                               gameId=game_id, knownGames=sorted(cat.games))  # fmt: skip
    return game


class _Due(Exception):
    """The current season of a game has ended and must be rolled over before it is read."""

    def __init__(self, game_id: int) -> None:
        super().__init__(game_id)
        self.game_id = game_id


async def _season_in(session: AsyncSession, game_id: int, number: int | None, now: datetime) -> SeasonInfo:
    """The season a read asks for (404 for an unknown number); _Due when it is the current
    one and its end has passed."""
    if number is not None:
        return await seasons.resolve(session, game_id, number, now)
    known = await seasons.active(session, game_id)
    if known is None or known.ends_at <= now:
        raise _Due(game_id)
    return known


async def _reading(work: Callable[[AsyncSession, datetime], Awaitable[T]]) -> T:
    """`work` in one read transaction; when the season it reads is due, roll it over (a write
    transaction, once per game for every process, seasons.current) and read again."""
    database = db.get()
    while True:
        now = utcnow()
        try:
            async with database.read() as session:
                return await work(session, now)
        except _Due as due:

            async def roll(game_id: int = due.game_id, moment: datetime = now) -> SeasonInfo:
                async with database.transaction() as session:
                    return await seasons.current(session, game_id, moment)

            await db.retrying(roll)


def _rating(mu: float, sigma: float) -> float:
    return round(ordinal(mu, sigma), 2)


def _standing(row: Any, season: SeasonInfo, rank: int | None, rank_change: int | None) -> dict[str, Any]:
    return {
        "rank": rank,
        "serverId": row.server_id,
        "platform": row.platform,
        "name": row.name,
        "rating": _rating(row.mu, row.sigma),
        "mu": round(row.mu, 3),
        "sigma": round(row.sigma, 3),
        "provisional": not row.ranked,
        "warsToRank": max(0, season.provisional_wars - row.played),
        "played": row.played,
        "won": row.won,
        "lost": row.lost,
        "drawn": row.drawn,
        "glory": row.glory,
        "streak": row.streak,
        "rankChange": rank_change,
        "finalRank": row.final_rank,
    }


def _rank_change(row: Any, rank: int | None, above_before: int | None) -> int | None:
    """Places gained since the clan's last war: the rank its rating before that war would
    have now (among the others), minus its rank now."""
    if rank is None or above_before is None or not row.last_ranked_before:
        return None
    self_above = 1 if row.ordinal > row.last_ordinal_before else 0  # it counted itself
    return (above_before - self_above + 1) - rank


# --- leaderboard and seasons ------------------------------------------------------------------

_BOARD = (  # a page from where ranks.page_start says it starts
    select(*ClanRating.__table__.c, CLANS.server_id, CLANS.platform, CLANS.name)
    .join_from(ClanRating.__table__, Clan.__table__, CLANS.id == RATINGS.clan_id)
    .where(
        RATINGS.season_id == bindparam("season"),
        tuple_(RATINGS.ranked, RATINGS.ordinal) < tuple_(bindparam("ranked"), bindparam("upper")),
    )
    .order_by(RATINGS.ranked.desc(), RATINGS.ordinal.desc(), RATINGS.clan_id.desc())
    .limit(bindparam("limit"))
    .offset(bindparam("skip"))
)


async def get_rating_leaderboard(
    ctx: RequestContext, *, game_id: int, season: int | None = None, limit: int = 25, offset: int = 0,
    page: int | None = None,
) -> Reply:  # fmt: skip
    game = await _game(game_id)
    start = _offset(limit, offset, page)

    async def read(session: AsyncSession, now: datetime) -> tuple[SeasonInfo, list[Any], dict[int, int]]:
        chosen = await _season_in(session, game_id, season, now)
        connection = await session.connection()
        begin = await ranks.page_start(connection, chosen.id, start)
        rows = [] if begin is None else list(await connection.execute(_BOARD, {
            "season": chosen.id, "ranked": begin[0], "upper": begin[1], "skip": begin[2], "limit": limit}))  # fmt: skip
        asked = [r for r in rows if r.ranked and r.last_ranked_before and r.last_ordinal_before is not None]
        counts = await ranks.above(connection, chosen.id, [(r.last_ordinal_before, None) for r in asked])
        return chosen, rows, dict(zip((r.clan_id for r in asked), counts, strict=True))

    database = db.get()
    direct = None
    if database.direct is not None:  # PostgreSQL: the same reads as one statement (ranked_pg.py)
        direct = await ranked_pg.board(database.direct, game_id, season, start, limit, utcnow())
    chosen, rows, above = direct if direct is not None else await _reading(read)
    items = []
    for index, row in enumerate(rows):
        rank = start + index + 1 if row.ranked else None
        items.append(_standing(row, chosen, rank, _rank_change(row, rank, above.get(row.clan_id))))
    body = {
        "game": game.to_dict(),
        "season": chosen.to_dict(),
        "items": items,
        "ranked": chosen.ranked_clans,
        "total": chosen.clans,
        "limit": limit,
        "offset": start,
        # the public page showing this part of the board (web/), when the backend has an address
        "pageUrl": links.absolute(links.leaderboard_path(game_id, chosen.number, start // links.PAGE_SIZE + 1)),
    }
    return conditional.reply(ctx, body)


async def list_seasons(ctx: RequestContext, *, game_id: int, limit: int = 25, offset: int = 0) -> Reply:
    await _game(game_id)

    async def read(session: AsyncSession, now: datetime) -> tuple[list[SeasonInfo], int]:
        await _season_in(session, game_id, None, now)  # the current one is up to date
        return await seasons.list_for_game(session, game_id, limit, offset)

    found, total = await _reading(read)
    body = {"items": [s.to_dict() for s in found], "total": total, "limit": limit, "offset": offset}
    return conditional.reply(ctx, body)


def _require_operator(ctx: RequestContext, operation: str) -> None:
    allowed = settings.operator_clients()
    if ctx.client not in allowed:
        raise errors.operator_only(operation, ctx.client, allowed)


def _naive(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


async def plan_season(ctx: RequestContext, *, game_id: int, body: m.PlanSeasonRequest) -> dict[str, Any] | Reply:
    _require_operator(ctx, "planSeason")
    await _game(game_id)

    async def work(session: AsyncSession) -> dict[str, Any]:
        try:
            starts, ends = _naive(body.startsAt), _naive(body.endsAt)
        except (OverflowError, ValueError) as exc:
            raise errors.unprocessable(f"A season's dates must be ordinary UTC moments ({exc}).") from exc
        try:
            planned = await seasons.plan(session, game_id, utcnow(), starts, ends, body.name)
        except OverflowError as exc:  # a start in December 9999: no month after it
            raise errors.unprocessable("A season must end before the year 10000.",
                                       startsAt=views.iso(starts), endsAt=views.iso(ends)) from exc  # fmt: skip
        return planned.to_dict()

    reply = await idempotency.run(ctx, "planSeason", 201, body, work, gameId=str(game_id))
    db.get().cache.pop("seasons", None)  # this process's settles look the season up again
    return reply


# --- a clan's profile, history, head-to-head ------------------------------------------------------


_OPPONENTS = Clan.__table__.alias("opponent")
_HISTORY = (
    select(RESULTS.war_id, RESULTS.game_id, RESULTS.outcome, RESULTS.settled_at, RESULTS.glory, RESULTS.repeat,
           RESULTS.factor, RESULTS.mu_before, RESULTS.sigma_before, RESULTS.mu_after, RESULTS.sigma_after,
           SEASONS.number.label("season_number"), SEASONS.name.label("season_name"),
           _OPPONENTS.c.server_id.label("opponent_server"), _OPPONENTS.c.platform.label("opponent_platform"),
           _OPPONENTS.c.name.label("opponent_name"))
    .join_from(WarResult.__table__, Season.__table__, SEASONS.id == RESULTS.season_id)
    .join(_OPPONENTS, _OPPONENTS.c.id == RESULTS.opponent_clan_id)
    .order_by(RESULTS.seq.desc())
)  # fmt: skip


def history_item(row: Any, games: dict[int, GameInfo]) -> dict[str, Any]:
    rated = row.outcome in RATED
    before = _rating(row.mu_before, row.sigma_before) if rated else None
    after = _rating(row.mu_after, row.sigma_after) if rated else None
    game = games.get(row.game_id)
    return {
        "warId": row.war_id,
        "game": {"id": row.game_id, "name": game.name if game else str(row.game_id)},
        "season": {"number": row.season_number, "name": row.season_name},
        "opponent": {"serverId": row.opponent_server, "platform": row.opponent_platform, "name": row.opponent_name},
        "outcome": row.outcome,
        "settledAt": views.iso(row.settled_at),
        "glory": row.glory,
        "ratingBefore": before,
        "ratingAfter": after,
        "ratingChange": round(after - before, 2) if before is not None and after is not None else None,
        "repeat": row.repeat,
        "factor": round(row.factor, 4),
    }


async def _filters(
    session: AsyncSession, clan_id: int, game: int | None, season: int | None, opponent: int | None,
) -> list[Any]:  # fmt: skip
    where: list[Any] = [RESULTS.clan_id == clan_id]
    if season is not None and game is None:
        raise errors.unprocessable("A season number needs its game: season numbers are per game.", season=season)
    if game is not None:
        await _game(game)
        where.append(RESULTS.game_id == game)
        if season is not None:
            chosen = await seasons.resolve(session, game, season, utcnow())
            where.append(RESULTS.season_id == chosen.id)
    if opponent is not None:
        where.append(RESULTS.opponent_clan_id == opponent)
    return where


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return _naive(datetime.fromisoformat(value))
    except (ValueError, OverflowError) as exc:
        raise errors.bad_request(f"{name}: not an ISO 8601 date-time ({value!r}).", parameter=name) from exc


async def get_clan_history(
    ctx: RequestContext, *, server_id: str, game: int | None = None, season: int | None = None,
    opponent: str | None = None, opponent_platform: str | None = None, since: str | None = None,
    until: str | None = None, limit: int = 25, offset: int = 0, page: int | None = None,
) -> Reply:  # fmt: skip
    start = _offset(limit, offset, page)
    after, before = _moment(since, "since"), _moment(until, "until")
    games = (await catalogue.load()).games
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        rival = None
        if opponent is not None:
            rival = (await find_clan(session, opponent_platform or ctx.platform, opponent)).id
        where = await _filters(session, clan.id, game, season, rival)
        if after is not None:
            where.append(RESULTS.settled_at >= after)
        if before is not None:
            where.append(RESULTS.settled_at < before)
        total = await session.scalar(select(func.count()).select_from(WarResult.__table__).where(*where))
        rows = await session.execute(_HISTORY.where(*where).limit(limit).offset(start))
        items = [history_item(r, games) for r in rows]
    body = {"serverId": clan.server_id, "items": items, "total": int(total or 0), "limit": limit, "offset": start}
    return conditional.reply(ctx, body)


async def get_head_to_head(
    ctx: RequestContext, *, server_id: str, opponent_id: str, opponent_platform: str | None = None,
    game: int | None = None, season: int | None = None, last: int = 5,
) -> Reply:  # fmt: skip
    games = (await catalogue.load()).games
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        rival = await find_clan(session, opponent_platform or ctx.platform, opponent_id)
        where = await _filters(session, clan.id, game, season, rival.id)
        counts: dict[str, int] = dict(
            (await session.execute(
                select(RESULTS.outcome, func.count()).where(*where).group_by(RESULTS.outcome)
            )).tuples().all()
        )  # fmt: skip
        rows = await session.execute(_HISTORY.where(*where).limit(last))
        recent = [history_item(r, games) for r in rows]
    body = {
        "clan": {"serverId": clan.server_id, "platform": clan.platform, "name": clan.name},
        "opponent": {"serverId": rival.server_id, "platform": rival.platform, "name": rival.name},
        "played": sum(counts.values()),
        "wins": counts.get("won", 0),
        "losses": counts.get("lost", 0),
        "draws": counts.get("drawn", 0),
        "disputed": counts.get("disputed", 0),
        "last": recent,
    }
    return conditional.reply(ctx, body)


_STANDING = select(ClanRating.__table__).where(
    RATINGS.season_id == bindparam("season"), RATINGS.clan_id == bindparam("clan")
)
_LATEST_GAME = (
    select(RESULTS.game_id).where(RESULTS.clan_id == bindparam("clan")).order_by(RESULTS.seq.desc()).limit(1)
)


async def get_clan_profile(
    ctx: RequestContext, *, server_id: str, game: int | None = None, season: int | None = None, recent: int = 5
) -> Reply:
    games = (await catalogue.load()).games

    async def read(session: AsyncSession, now: datetime) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id)
        game_id = game if game is not None else await session.scalar(_LATEST_GAME, {"clan": clan.id})
        if game_id is None:
            raise errors.unprocessable(
                f"{clan.name} has no war result yet: name the game (see listGames).", serverId=server_id
            )
        info = await _game(game_id)
        chosen = await _season_in(session, game_id, season, now)
        connection = await session.connection()
        row = (await connection.execute(_STANDING, {"season": chosen.id, "clan": clan.id})).first()
        rank = rank_change = None
        if row is None:  # not played this season: where it would start
            start = (await standings.clan_starts(connection, chosen, [clan.id]))[clan.id].start
            values = standings.rating_row(chosen, clan.id, standings.Standing(*start), start, None)
        else:
            values = dict(row._mapping)
            if row.ranked:
                places: list[tuple[float, int | None]] = [(row.ordinal, row.clan_id)]
                if row.last_ranked_before and row.last_ordinal_before is not None:
                    places.append((row.last_ordinal_before, None))
                counts = await ranks.above(connection, chosen.id, places)
                rank = counts[0] + 1
                rank_change = _rank_change(row, rank, counts[1] if len(counts) > 1 else None)
        rows = await session.execute(
            _HISTORY.where(RESULTS.clan_id == clan.id, RESULTS.season_id == chosen.id).limit(recent)
        )
        standing = _standing(
            _Row({**values, "server_id": clan.server_id, "platform": clan.platform, "name": clan.name}),
            chosen, rank, rank_change,
        )  # fmt: skip
        return {
            "serverId": standing["serverId"], "platform": standing["platform"], "name": standing["name"],
            "game": info.to_dict(), "season": chosen.to_dict(),
            **{k: standing[k] for k in ("rating", "mu", "sigma", "rank", "rankChange", "finalRank", "provisional",
                                         "warsToRank", "played", "won", "lost", "drawn", "glory", "streak")},
            "recent": [history_item(r, games) for r in rows],
            "pageUrl": links.absolute(links.profile_path(clan.platform, clan.server_id, game_id, chosen.number)),
            "chartUrl": links.absolute(links.chart_path(clan.platform, clan.server_id, game_id, chosen.number)),
        }  # fmt: skip

    return conditional.reply(ctx, await _reading(read))


class _Row(dict[str, Any]):
    """A mapping read like a row (`row.mu`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
