"""Ranked play (tag `ranked`): leaderboards by rating per game and season, seasons, clan
profiles, history and head-to-head. The ratings themselves are kept by standings.py (each
result) and seasons.py (rollover); docs/backend.md, "Ranked play", explains the rules.

Every read answers with an ETag and honours If-None-Match (conditional.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend_impl import (
    catalogue,
    conditional,
    db,
    errors,
    idempotency,
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
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

RATINGS = ClanRating.__table__.c
RESULTS = WarResult.__table__.c
CLANS = Clan.__table__.c
SEASONS = Season.__table__.c
RATED = standings.RATED


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


async def _season(database: db.Database, game_id: int, number: int | None) -> SeasonInfo:
    """The season a read asks for; the current one rolled over first when its end has passed."""
    now = utcnow()
    async with database.read() as session:
        if number is not None:
            return await seasons.resolve(session, game_id, number, now)
        known = await seasons.active(session, game_id)
    if known is not None and known.ends_at > now:
        return known

    async def roll() -> SeasonInfo:
        async with database.transaction() as session:
            return await seasons.current(session, game_id, now)

    return await db.retrying(roll)


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


async def _above(connection: AsyncConnection, season_id: int, ratings: list[float]) -> list[int]:
    """For each ordinal, how many ranked clans of the season are rated above it (one scan)."""
    if not ratings:
        return []
    counts = [func.count().filter(RATINGS.ordinal > value) for value in ratings]
    row = (
        await connection.execute(
            select(*counts).where(
                RATINGS.season_id == season_id, RATINGS.ranked.is_(True), RATINGS.ordinal > min(ratings)
            )
        )
    ).one()
    return [int(n) for n in row]


def _rank_change(row: Any, rank: int | None, above_before: int | None) -> int | None:
    """Places gained since the clan's last war: the rank its rating before that war would
    have now (among the others), minus its rank now."""
    if rank is None or above_before is None or not row.last_ranked_before:
        return None
    self_above = 1 if row.ordinal > row.last_ordinal_before else 0  # it counted itself
    return (above_before - self_above + 1) - rank


# --- leaderboard and seasons ------------------------------------------------------------------

_BOARD = (
    select(*ClanRating.__table__.c, CLANS.server_id, CLANS.platform, CLANS.name)
    .join_from(ClanRating.__table__, Clan.__table__, CLANS.id == RATINGS.clan_id)
    .order_by(RATINGS.ranked.desc(), RATINGS.ordinal.desc(), RATINGS.clan_id.desc())
)


async def get_rating_leaderboard(
    ctx: RequestContext, *, game_id: int, season: int | None = None, limit: int = 25, offset: int = 0,
    page: int | None = None,
) -> Reply:  # fmt: skip
    game = await _game(game_id)
    start = _offset(limit, offset, page)
    database = db.get()
    chosen = await _season(database, game_id, season)
    async with database.read() as session:
        connection = await session.connection()
        totals = (await connection.execute(
            select(SEASONS.clans, SEASONS.ranked_clans).where(SEASONS.id == chosen.id)
        )).one()  # fmt: skip
        rows = list(
            await connection.execute(_BOARD.where(RATINGS.season_id == chosen.id).limit(limit).offset(start))
        )
        asked = [r for r in rows if r.ranked and r.last_ranked_before and r.last_ordinal_before is not None]
        above = dict(zip((r.clan_id for r in asked),
                         await _above(connection, chosen.id, [r.last_ordinal_before for r in asked]), strict=True))  # fmt: skip
    items = []
    for index, row in enumerate(rows):
        rank = start + index + 1 if row.ranked else None
        items.append(_standing(row, chosen, rank, _rank_change(row, rank, above.get(row.clan_id))))
    body = {
        "game": game.to_dict(),
        "season": chosen.to_dict(),
        "items": items,
        "ranked": int(totals.ranked_clans),
        "total": int(totals.clans),
        "limit": limit,
        "offset": start,
    }
    return conditional.reply(ctx, body)


async def list_seasons(ctx: RequestContext, *, game_id: int, limit: int = 25, offset: int = 0) -> Reply:
    await _game(game_id)
    database = db.get()
    await _season(database, game_id, None)  # the current one exists and is up to date
    async with database.read() as session:
        found, total = await seasons.list_for_game(session, game_id, limit, offset)
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
        planned = await seasons.plan(session, game_id, utcnow(), starts, ends, body.name)
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


async def get_clan_profile(
    ctx: RequestContext, *, server_id: str, game: int | None = None, season: int | None = None, recent: int = 5
) -> Reply:
    database = db.get()
    games = (await catalogue.load()).games
    async with database.read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        if game is None:
            game = await session.scalar(
                select(RESULTS.game_id).where(RESULTS.clan_id == clan.id).order_by(RESULTS.seq.desc()).limit(1)
            )
            if game is None:
                raise errors.unprocessable(
                    f"{clan.name} has no war result yet: name the game (see listGames).", serverId=server_id
                )
    info = await _game(game)
    chosen = await _season(database, game, season)
    async with database.read() as session:
        connection = await session.connection()
        row = (await connection.execute(
            select(ClanRating.__table__).where(RATINGS.season_id == chosen.id, RATINGS.clan_id == clan.id)
        )).first()  # fmt: skip
        rank = rank_change = None
        if row is None:  # not played this season: where it would start
            start = (await standings.clan_starts(connection, chosen, [clan.id]))[clan.id].start
            values = standings.rating_row(chosen, clan.id, standings.Standing(*start), start, None)
        else:
            values = dict(row._mapping)
            if row.ranked:
                above = await connection.scalar(
                    select(func.count()).where(
                        RATINGS.season_id == chosen.id, RATINGS.ranked.is_(True),
                        or_(RATINGS.ordinal > row.ordinal,
                            and_(RATINGS.ordinal == row.ordinal, RATINGS.clan_id > row.clan_id)),
                    )
                )  # fmt: skip
                rank = int(above or 0) + 1
                if row.last_ranked_before and row.last_ordinal_before is not None:
                    [before] = await _above(connection, chosen.id, [row.last_ordinal_before])
                    rank_change = _rank_change(row, rank, before)
        rows = await session.execute(
            _HISTORY.where(RESULTS.clan_id == clan.id, RESULTS.season_id == chosen.id).limit(recent)
        )
        latest = [history_item(r, games) for r in rows]
    standing = _standing(
        _Row({**values, "server_id": clan.server_id, "platform": clan.platform, "name": clan.name}),
        chosen, rank, rank_change,
    )  # fmt: skip
    body = {
        "serverId": standing["serverId"], "platform": standing["platform"], "name": standing["name"],
        "game": info.to_dict(), "season": chosen.to_dict(),
        **{k: standing[k] for k in ("rating", "mu", "sigma", "rank", "rankChange", "finalRank", "provisional",
                                     "warsToRank", "played", "won", "lost", "drawn", "glory", "streak")},
        "recent": latest,
    }  # fmt: skip
    return conditional.reply(ctx, body)


class _Row(dict[str, Any]):
    """A mapping read like a row (`row.mu`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
