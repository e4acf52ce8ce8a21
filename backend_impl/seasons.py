"""Seasons of ranked play, per game.

Each game has one `active` season at a time, numbered 1, 2, ... By default a season is a
calendar month (UTC); the operator may plan the next one with its own start and end
(`plan`), which ends the active one at that start. When the active season's end has passed
it is closed (its standings archived: each ranked clan's final rank) and the next one
becomes active: the planned one, else the next month. That rollover (`current`) is lazy and
idempotent: the scheduler runs it for every game each round, and a result settled or a
leaderboard asked for after the end runs it first. It locks the season's row (`FOR UPDATE`)
and changes it with a conditional UPDATE, so of several processes exactly one rolls over.

Results and rollovers of a season exclude each other through a PostgreSQL advisory lock on
the season (`lock`): a result takes it shared, a rollover or a recompute alone; so no result
lands in a season after its standings were archived, and a recompute sees no result half
written. SQLite has one writer: nothing to lock.

A season's rules (`provisional_wars`, `farming_window_hours`) come from the settings when it
is created and stay with it, so a replay of its results is what the live updates were.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, dialect, errors, settings, views
from backend_impl.clock import utcnow
from backend_impl.tables import ClanRating, Season

LOCK_CLASS = 4752  # pg_advisory_xact_lock(LOCK_CLASS, season id): ranked play's locks
_SEASONS = Season.__table__
_COLUMNS = tuple(_SEASONS.c)


@dataclass(frozen=True)
class SeasonInfo:
    id: int
    game_id: int
    number: int
    name: str
    status: str
    starts_at: datetime
    ends_at: datetime
    provisional_wars: int
    farming_window_hours: float
    created_at: datetime
    closed_at: datetime | None
    clans: int
    ranked_clans: int

    @classmethod
    def of(cls, row: Any) -> SeasonInfo:
        return cls(**{c.name: getattr(row, c.name) for c in _COLUMNS})

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.farming_window_hours)

    def ref(self) -> dict[str, Any]:
        """As results and standings name their season."""
        return {"number": self.number, "name": self.name}

    def to_dict(self) -> dict[str, Any]:
        return {
            "gameId": self.game_id,
            "number": self.number,
            "name": self.name,
            "status": self.status,
            "startsAt": views.iso(self.starts_at),
            "endsAt": views.iso(self.ends_at),
            "closedAt": views.iso(self.closed_at),
            "provisionalWars": self.provisional_wars,
            "farmingWindowHours": self.farming_window_hours,
        }


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(moment: datetime) -> datetime:
    """The first instant of the calendar month after `moment`'s."""
    start = month_start(moment)
    return (start + timedelta(days=32)).replace(day=1)


def _new(game_id: int, number: int, name: str, status: str, starts: datetime, ends: datetime,
         now: datetime) -> dict[str, Any]:  # fmt: skip
    return {
        "game_id": game_id,
        "number": number,
        "name": name,
        "status": status,
        "starts_at": starts,
        "ends_at": ends,
        "provisional_wars": settings.provisional_wars(),
        "farming_window_hours": settings.farming_window_hours(),
        "created_at": now,
        "closed_at": None,
        "clans": 0,
        "ranked_clans": 0,
    }


def _monthly(game_id: int, number: int, starts: datetime, now: datetime) -> dict[str, Any]:
    return _new(game_id, number, f"{starts:%Y-%m}", "active", starts, next_month(starts), now)


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def lock(session: AsyncSession, season_id: int, *, shared: bool) -> None:
    """This transaction's lock on the season (PostgreSQL; see the module's docstring)."""
    if _is_postgres(session):
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await session.execute(text(f"SELECT {function}({LOCK_CLASS}, :id)"), {"id": season_id})


async def _active(session: AsyncSession, game_id: int, *, for_update: bool) -> SeasonInfo | None:
    query = select(*_COLUMNS).where(_SEASONS.c.game_id == game_id, _SEASONS.c.status == "active")
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).first()
    return SeasonInfo.of(row) if row is not None else None


async def active(session: AsyncSession, game_id: int) -> SeasonInfo | None:
    """The game's active season as stored (its end may have passed: see `current`)."""
    return await _active(session, game_id, for_update=False)


async def by_number(session: AsyncSession, game_id: int, number: int) -> SeasonInfo | None:
    row = (
        await session.execute(
            select(*_COLUMNS).where(_SEASONS.c.game_id == game_id, _SEASONS.c.number == number)
        )
    ).first()
    return SeasonInfo.of(row) if row is not None else None


async def by_id(session: AsyncSession, season_id: int) -> SeasonInfo:
    row = (await session.execute(select(*_COLUMNS).where(_SEASONS.c.id == season_id))).one()
    return SeasonInfo.of(row)


async def _insert(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a season unless its number is taken (by a concurrent rollover: it wins)."""
    await session.execute(dialect.insert(session, Season).values(values).on_conflict_do_nothing())


async def archive(session: AsyncSession, season_id: int) -> None:
    """Record each ranked clan's final rank in the season (ordinal, then newer clan first)."""
    ratings = ClanRating.__table__.c
    ranks = (
        select(
            ratings.clan_id,
            func.row_number()
            .over(order_by=(ratings.ordinal.desc(), ratings.clan_id.desc()))
            .label("rank"),
        )
        .where(ratings.season_id == season_id, ratings.ranked.is_(True))
        .subquery()
    )
    await session.execute(
        update(ClanRating)
        .where(ClanRating.season_id == season_id, ClanRating.clan_id == ranks.c.clan_id)
        .values(final_rank=ranks.c.rank)
        .execution_options(synchronize_session=False)
    )


async def current(session: AsyncSession, game_id: int, now: datetime) -> SeasonInfo:
    """The game's active season at `now`: the first one is created when missing, a season
    past its end is closed and archived and the next one activated (the planned one, else
    the next month), as often as needed. Idempotent; safe with other processes at once."""
    while True:
        season = await _active(session, game_id, for_update=True)
        if season is None:
            first = await by_number(session, game_id, 1)
            if first is not None and first.status == "planned":  # the operator planned the first
                await session.execute(
                    update(Season).where(Season.id == first.id, Season.status == "planned")
                    .values(status="active")
                )  # fmt: skip
            else:
                await _insert(session, _monthly(game_id, 1, month_start(now), now))
            continue  # read again: ours, or the concurrent process's
        if season.ends_at > now:
            return season
        await lock(session, season.id, shared=False)  # results in flight finish first
        closed = await session.execute(
            update(Season)
            .where(Season.id == season.id, Season.status == "active")
            .values(status="closed", closed_at=now)
        )
        if closed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        await archive(session, season.id)
        planned = await by_number(session, game_id, season.number + 1)
        if planned is not None:
            await session.execute(
                update(Season).where(Season.id == planned.id).values(status="active")
            )
        else:
            await _insert(session, _monthly(game_id, season.number + 1, season.ends_at, now))


def cached(cache: dict[str, object], game_id: int, now: datetime) -> SeasonInfo | None:
    """The game's active season as this process last saw it, if its end is still ahead."""
    known: dict[int, SeasonInfo] = cache.setdefault("seasons", {})  # type: ignore[assignment]
    season = known.get(game_id)
    return season if season is not None and season.ends_at > now else None


def remember(cache: dict[str, object], season: SeasonInfo | None, game_id: int) -> None:
    known: dict[int, SeasonInfo] = cache.setdefault("seasons", {})  # type: ignore[assignment]
    if season is None:
        known.pop(game_id, None)
    else:
        known[game_id] = season


def lock_shared_column(season_id: int) -> Any:
    """The season's shared lock as a column of a statement the caller runs anyway (results.py
    takes it with the clans' row locks: no round trip of its own). PostgreSQL only."""
    return func.pg_advisory_xact_lock_shared(LOCK_CLASS, season_id)


async def for_result(session: AsyncSession, game_id: int, now: datetime, cache: dict[str, object]) -> SeasonInfo:
    """The season a result settled at `now` counts in: the active one this process knows
    (no query), else the current one (rolled over when due). Not locked: the caller takes
    the shared lock (`lock_shared_column`, or `lock`) and then checks, in a statement run
    after it, that the season is still current (`is_current`, or standings_pg's read)."""
    season = cached(cache, game_id, now)
    if season is None:
        season = await current(session, game_id, now)
        remember(cache, season, game_id)
    return season


async def is_current(session: AsyncSession, season: SeasonInfo, now: datetime) -> bool:
    """Whether the season is still the active one at `now` (read after its lock was taken)."""
    row = (await session.execute(select(Season.status, Season.ends_at).where(Season.id == season.id))).one()
    return bool(row.status == "active" and row.ends_at > now)


async def moved(session: AsyncSession, game_id: int, now: datetime, cache: dict[str, object]) -> SeasonInfo:
    """The season changed between the caller's look and its lock (a rollover or the
    operator): the current one now, locked shared."""
    remember(cache, None, game_id)
    while True:
        season = await current(session, game_id, now)
        await lock(session, season.id, shared=True)
        if await is_current(session, season, now):
            remember(cache, season, game_id)
            return season


async def resolve(session: AsyncSession, game_id: int, number: int | None, now: datetime) -> SeasonInfo:
    """The season a read asks for: `number`, or the current one. 404 for an unknown number."""
    if number is None:
        return await current(session, game_id, now)
    season = await by_number(session, game_id, number)
    if season is None or season.status == "planned":
        latest = await session.scalar(
            select(func.max(Season.number)).where(Season.game_id == game_id, Season.status != "planned")
        )
        raise errors.not_found(
            "Season",
            f"Game {game_id} has no season {number} yet"
            + (f"; its seasons are 1 to {latest}." if latest else "."),
            gameId=game_id,
            season=number,
            latestSeason=latest,
        )
    return season


async def plan(
    session: AsyncSession,
    game_id: int,
    now: datetime,
    starts_at: datetime | None,
    ends_at: datetime | None,
    name: str | None,
) -> SeasonInfo:
    """The operator's next season of a game: the active one ends at `starts_at` (now when
    not given) and the new one runs to `ends_at` (the end of the month it starts in when not
    given). A season already planned is replaced. Starting now rolls over at once."""
    active = await current(session, game_id, now)
    start = starts_at or now
    if start < now - timedelta(minutes=1):
        raise errors.unprocessable(
            "A season cannot start in the past.", startsAt=views.iso(start), now=views.iso(now)
        )
    start = max(start, now)
    end = ends_at or next_month(start)
    if end <= start:
        raise errors.unprocessable(
            "A season must end after it starts.", startsAt=views.iso(start), endsAt=views.iso(end)
        )
    number = active.number + 1
    values = _new(game_id, number, name or f"Season {number}", "planned", start, end, now)
    await session.execute(update(Season).where(Season.id == active.id).values(ends_at=start))
    planned = await by_number(session, game_id, number)
    if planned is None:
        await session.execute(insert(Season).values(values))
    else:
        await session.execute(update(Season).where(Season.id == planned.id).values(values))
    if start <= now:
        return await current(session, game_id, now)
    result = await by_number(session, game_id, number)
    assert result is not None
    return result


async def list_for_game(session: AsyncSession, game_id: int, limit: int, offset: int) -> tuple[list[SeasonInfo], int]:
    total = await session.scalar(select(func.count()).select_from(Season).where(Season.game_id == game_id))
    rows = await session.execute(
        select(*_COLUMNS).where(Season.game_id == game_id).order_by(Season.number.desc()).limit(limit).offset(offset)
    )
    return [SeasonInfo.of(r) for r in rows], int(total or 0)


async def roll_over(database: db.Database, now: datetime | None = None) -> list[SeasonInfo]:
    """Every game's season up to date at `now` (the scheduler's round): one read when no
    season is due, a transaction per game that needs a first season or a rollover."""
    moment = now or utcnow()
    games = list((await catalogue.load()).games)
    async with database.read() as session:
        active = dict(
            (await session.execute(
                select(Season.game_id, Season.ends_at).where(Season.status == "active")
            )).tuples().all()
        )  # fmt: skip
    changed = []
    for game_id in games:
        if game_id in active and active[game_id] > moment:
            continue

        async def once(game_id: int = game_id) -> SeasonInfo:
            async with database.transaction() as session:
                return await current(session, game_id, moment)

        changed.append(await db.retrying(once))
    return changed
