"""Ranked play (tag `ranked`): leaderboards by rating per game and season, seasons, clan
profiles, history and head-to-head. The ratings themselves are kept by standings.py (each
result) and seasons.py (rollover); docs/backend.md, "Ranked play", explains the rules.

Every read answers with an ETag and honours If-None-Match (conditional.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

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
from backend_impl.ranked_reads import (
    ProfileRows,
    clan_scope,
    known_game,
    read_with_rollover,
    season_to_read,
    shown_rating,
)
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


# --- shared ---------------------------------------------------------------------------------


def _offset(limit: int, offset: int, page: int | None) -> int:
    if page is None:
        return offset
    if offset:
        raise errors.unprocessable("Give `page` or `offset`, not both.", page=page, offset=offset)
    return (page - 1) * limit


def _standing(row: Any, season: SeasonInfo, rank: int | None, rank_change: int | None) -> dict[str, Any]:
    return {
        "rank": rank,
        "serverId": row.server_id,
        "platform": row.platform,
        "name": row.name,
        "rating": shown_rating(row.mu, row.sigma),
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
    game = await known_game(game_id)
    start = _offset(limit, offset, page)

    async def read(session: AsyncSession, now: datetime) -> tuple[SeasonInfo, list[Any], dict[int, int]]:
        chosen = await season_to_read(session, game_id, season, now)
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
    chosen, rows, above = direct if direct is not None else await read_with_rollover(read)
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
    await known_game(game_id)

    async def read(session: AsyncSession, now: datetime) -> tuple[list[SeasonInfo], int]:
        await season_to_read(session, game_id, None, now)  # the current one is up to date
        return await seasons.list_for_game(session, game_id, limit, offset)

    found, total = await read_with_rollover(read)
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
    await known_game(game_id)

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
    before = shown_rating(row.mu_before, row.sigma_before) if rated else None
    after = shown_rating(row.mu_after, row.sigma_after) if rated else None
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
        await known_game(game)
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


async def _profile_rows(
    session: AsyncSession, now: datetime, platform: str, server_id: str, game: int | None, season: int | None,
    recent: int,
) -> ProfileRows:  # fmt: skip
    """The portable read of a profile (SQLite, and PostgreSQL when ranked_pg.profile cannot
    answer): the clan, its game and season, its standing there, its places, its results."""
    clan = await find_clan(session, platform, server_id)
    info, chosen = await clan_scope(session, clan, game, season, now)
    connection = await session.connection()
    row = (await connection.execute(_STANDING, {"season": chosen.id, "clan": clan.id})).first()
    start = above = above_before = None
    if row is None:  # not played this season: where it would start
        start = (await standings.clan_starts(connection, chosen, [clan.id]))[clan.id].start
    elif row.ranked:
        places: list[tuple[float, int | None]] = [(row.ordinal, row.clan_id)]
        if row.last_ranked_before and row.last_ordinal_before is not None:
            places.append((row.last_ordinal_before, None))
        counts = await ranks.above(connection, chosen.id, places)
        above, above_before = counts[0], (counts[1] if len(counts) > 1 else None)
    rows = await session.execute(
        _HISTORY.where(RESULTS.clan_id == clan.id, RESULTS.season_id == chosen.id).limit(recent)
    )
    rating = dict(row._mapping) if row is not None else None
    return ProfileRows(clan, info, chosen, rating, start, above, above_before, list(rows))


def _profile(read: ProfileRows, games: dict[int, GameInfo]) -> dict[str, Any]:
    """The reply of getClanProfile, from either path's rows."""
    clan, chosen = read.clan, read.season
    rank = rank_change = None
    if read.rating is None:
        assert read.start is not None
        values = standings.rating_row(chosen, clan.id, standings.Standing(*read.start), read.start, None)
    else:
        values = dict(read.rating)
        if values["ranked"] and read.above is not None:
            rank = read.above + 1
            rank_change = _rank_change(_Row(values), rank, read.above_before)
    standing = _standing(
        _Row({**values, "server_id": clan.server_id, "platform": clan.platform, "name": clan.name}),
        chosen, rank, rank_change,
    )  # fmt: skip
    game_id = read.game.id
    return {
        "serverId": standing["serverId"], "platform": standing["platform"], "name": standing["name"],
        "game": read.game.to_dict(), "season": chosen.to_dict(),
        **{k: standing[k] for k in ("rating", "mu", "sigma", "rank", "rankChange", "finalRank", "provisional",
                                     "warsToRank", "played", "won", "lost", "drawn", "glory", "streak")},
        "recent": [history_item(r, games) for r in read.recent],
        "pageUrl": links.absolute(links.profile_path(clan.platform, clan.server_id, game_id, chosen.number)),
        "chartUrl": links.absolute(links.chart_path(clan.platform, clan.server_id, game_id, chosen.number)),
    }  # fmt: skip


async def get_clan_profile(
    ctx: RequestContext, *, server_id: str, game: int | None = None, season: int | None = None, recent: int = 5
) -> Reply:
    games = (await catalogue.load()).games
    database = db.get()
    read = None
    if database.direct is not None:  # PostgreSQL: the same reads as one statement (ranked_pg.py)
        read = await ranked_pg.profile(database.direct, ctx.platform, server_id, game, season, recent, games, utcnow())
    if read is None:  # or any refusal (404, 422), and a season due to roll over: the portable path

        async def portable(session: AsyncSession, now: datetime) -> ProfileRows:
            return await _profile_rows(session, now, ctx.platform, server_id, game, season, recent)

        read = await read_with_rollover(portable)
    return conditional.reply(ctx, _profile(read, games))


class _Row(dict[str, Any]):
    """A mapping read like a row (`row.mu`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None
