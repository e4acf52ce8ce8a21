"""Season standings: each settled war recorded with the ratings it moved (`record`, in the
transaction of the result); replay.py replays a season from any war onward.

A result is written as two `war_results` rows (one per clan: outcome, glory, the
anti-farming repeat and factor, and the clan's standing just before it), the clans'
`clan_ratings` and the players' `player_ratings` of the season, and each player's rating
around the war on its `war_players` row. What a replay needs is thus stored: the order
(`seq`), the clans' and players' standings before any war, and the wars' results
(`wars.status`, `wars.result`, the glory awarded), so a replay can start at any war with
the standings just before it and apply the rest in order, with the very `rating.Ledger` the
live updates used.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend_impl import dialect, ranks, seasons
from backend_impl.rating import (
    Applied,
    Ledger,
    PlayerKey,
    PlayerStanding,
    Rating,
    Standing,
    WarInput,
    ordinal,
    soft_reset,
)
from backend_impl.seasons import SeasonInfo
from backend_impl.tables import Clan, ClanRating, PlayerRating, Season, War, WarPlayer, WarResult

RATINGS = ClanRating.__table__.c
PLAYERS = PlayerRating.__table__.c
RESULTS = WarResult.__table__.c
ROSTERS = WarPlayer.__table__.c
RATED = ("won", "lost", "drawn")


# --- reading standings -------------------------------------------------------------------


@dataclass(frozen=True)
class ClanStart:
    standing: Standing  # before the next war
    start: Rating  # where the season started the clan
    listed: bool = True  # has a row in the season's standings already


def _standing(row: Any) -> Standing:
    return Standing(row.mu, row.sigma, row.played, row.won, row.lost, row.drawn, row.glory, row.streak)


CHUNK = 5000  # keys per IN (...): a statement takes at most 32,767 parameters


def chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    return (items[i : i + CHUNK] for i in range(0, len(items), CHUNK))


async def previous_ratings(
    connection: AsyncConnection, table: Any, keys: Sequence[Any], key_columns: Sequence[Any], season: SeasonInfo
) -> dict[Any, Rating]:
    """Each key's rating at the end of its latest earlier season of the game, soft-reset."""
    key = key_columns[0] if len(key_columns) == 1 else tuple_(*key_columns)
    seasons_table = Season.__table__.c
    found: dict[Any, Rating] = {}
    for part in chunks(keys):
        rows = await connection.execute(
            select(*key_columns, table.c.mu, table.c.sigma)
            .join_from(table, Season.__table__, seasons_table.id == table.c.season_id)
            .where(seasons_table.game_id == season.game_id, seasons_table.number < season.number, key.in_(part))
            .order_by(seasons_table.number.desc())
        )
        for row in rows:
            k = row[0] if len(key_columns) == 1 else tuple(row[: len(key_columns)])
            found.setdefault(k, soft_reset(row.mu, row.sigma))
    return found


async def clan_starts(connection: AsyncConnection, season: SeasonInfo, clan_ids: Sequence[int]) -> dict[int, ClanStart]:
    """The clans' standings in the season now (a clan new to it: its soft-reset start)."""
    rows = await connection.execute(
        select(ClanRating.__table__).where(RATINGS.season_id == season.id, RATINGS.clan_id.in_(clan_ids))
    )
    found = {r.clan_id: ClanStart(_standing(r), (r.start_mu, r.start_sigma)) for r in rows}
    missing = [c for c in clan_ids if c not in found]
    if missing:
        previous = await previous_ratings(connection, ClanRating.__table__, missing, [RATINGS.clan_id], season)
        for clan_id in missing:
            start = previous.get(clan_id, (Standing().mu, Standing().sigma))
            found[clan_id] = ClanStart(Standing(*start), start, listed=False)
    return found


async def _lock_players(connection: AsyncConnection, season: SeasonInfo, keys: Sequence[PlayerKey]) -> dict[PlayerKey, Any]:
    found: dict[PlayerKey, Any] = {}
    for part in chunks(keys):
        rows = await connection.execute(
            select(PlayerRating.__table__)
            .where(PLAYERS.season_id == season.id, tuple_(PLAYERS.platform, PLAYERS.user_id).in_(part))
            .order_by(PLAYERS.platform, PLAYERS.user_id)
            .with_for_update()
        )
        found.update({(r.platform, r.user_id): r for r in rows})
    return found


async def player_standings(
    connection: AsyncConnection, season: SeasonInfo, roster: dict[PlayerKey, str]
) -> dict[PlayerKey, PlayerStanding]:
    """The players' standings in the season, their rows locked (PostgreSQL) until commit: a
    player may be in two wars of different clans settled at once. New players' rows are
    inserted first (their soft-reset start), so a concurrent first war waits for this one."""
    keys = sorted(roster)
    rows = await _lock_players(connection, season, keys)
    missing = [k for k in keys if k not in rows]
    if missing:
        previous = await previous_ratings(connection, PlayerRating.__table__, missing, [PLAYERS.platform, PLAYERS.user_id], season)
        values = []
        for key in missing:
            mu, sigma = previous.get(key, (PlayerStanding().mu, PlayerStanding().sigma))
            values.append({
                "season_id": season.id, "platform": key[0], "user_id": key[1], "name": roster[key],
                "mu": mu, "sigma": sigma, "ordinal": ordinal(mu, sigma), "start_mu": mu, "start_sigma": sigma,
                "played": 0,
            })  # fmt: skip
        insert = dialect.insert_for(connection.dialect.name, PlayerRating).on_conflict_do_nothing()
        await connection.execute(insert, values)
        rows.update(await _lock_players(connection, season, missing))
    return {k: PlayerStanding(r.mu, r.sigma, r.played) for k, r in rows.items()}


# --- writing ------------------------------------------------------------------------------

# war_results columns a replay rewrites (replay.py)
REPLAYED = ("outcome", "glory", "repeat", "factor", "mu_before", "sigma_before", "mu_after", "sigma_after",
            "played_before", "won_before", "lost_before", "drawn_before", "glory_before", "streak_before")


def result_rows(applied: Applied, seq: int, season: SeasonInfo) -> list[dict[str, Any]]:
    rows = []
    for side in (applied.host, applied.opponent):
        before, after = side.before, side.after
        rows.append({
            "war_id": applied.war.war_id, "clan_id": side.clan_id, "seq": seq, "season_id": season.id,
            "game_id": season.game_id, "opponent_clan_id": side.opponent_id, "outcome": side.outcome,
            "settled_at": applied.war.settled_at, "glory": side.glory, "repeat": applied.repeat,
            "factor": applied.factor, "mu_before": before.mu, "sigma_before": before.sigma,
            "mu_after": after.mu, "sigma_after": after.sigma, "played_before": before.played,
            "won_before": before.won, "lost_before": before.lost, "drawn_before": before.drawn,
            "glory_before": before.glory, "streak_before": before.streak,
        })  # fmt: skip
    return rows


def rating_row(
    season: SeasonInfo, clan_id: int, standing: Standing, start: Rating, last_before: Standing | None
) -> dict[str, Any]:
    """A clan's `clan_ratings` row; `last_before`: its standing before its latest rated war."""
    return {
        "season_id": season.id, "clan_id": clan_id, "mu": standing.mu, "sigma": standing.sigma,
        "ordinal": standing.ordinal, "start_mu": start[0], "start_sigma": start[1],
        "played": standing.played, "won": standing.won, "lost": standing.lost, "drawn": standing.drawn,
        "glory": standing.glory, "streak": standing.streak,
        "ranked": standing.played >= season.provisional_wars,
        "last_ordinal_before": last_before.ordinal if last_before else None,
        "last_ranked_before": bool(last_before and last_before.played >= season.provisional_wars),
        "final_rank": None,
    }  # fmt: skip


def player_row(
    season: SeasonInfo, key: PlayerKey, name: str, standing: PlayerStanding, start: PlayerStanding
) -> dict[str, Any]:
    """A `player_ratings` row; `start` is used when the row is new."""
    return {
        "season_id": season.id, "platform": key[0], "user_id": key[1], "name": name,
        "mu": standing.mu, "sigma": standing.sigma, "ordinal": ordinal(standing.mu, standing.sigma),
        "start_mu": start.mu, "start_sigma": start.sigma, "played": standing.played,
    }  # fmt: skip


RATING_UPDATED = ("mu", "sigma", "ordinal", "played", "won", "lost", "drawn", "glory", "streak",
                   "ranked", "last_ordinal_before", "last_ranked_before", "final_rank")  # fmt: skip
PLAYER_UPDATED = ("name", "mu", "sigma", "ordinal", "played")


@functools.cache
def _upsert(dialect_name: str, table: Any, keys: tuple[str, ...], updated: tuple[str, ...]) -> Any:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET updated (built once: building costs more than running)."""
    statement = dialect.insert_for(dialect_name, table)
    return statement.on_conflict_do_update(
        index_elements=list(keys), set_={c: getattr(statement.excluded, c) for c in updated}
    )


_ROSTER_UPDATE = (
    update(WarPlayer)
    .where(
        ROSTERS.war_id == bindparam("w"), ROSTERS.clan_id == bindparam("c"), ROSTERS.user_id == bindparam("u")
    )
    .values(
        mu_before=bindparam("mb"), sigma_before=bindparam("sb"), played_before=bindparam("pb"),
        mu_after=bindparam("ma"), sigma_after=bindparam("sa"),
    )
    .execution_options(synchronize_session=False)
)


def roster_rows(applied: Applied, clans_of: dict[PlayerKey, int]) -> list[dict[str, Any]]:
    """The players' ratings around the war; none for a war not rated (it changed nothing)."""
    rated = applied.war.rated
    return [
        {"w": applied.war.war_id, "c": clans_of[key], "u": key[1],
         "mb": before.mu if rated else None, "sb": before.sigma if rated else None,
         "pb": before.played if rated else None, "ma": after.mu if rated else None,
         "sa": after.sigma if rated else None}
        for key, (before, after) in applied.players.items()
    ]  # fmt: skip


async def next_seq(connection: AsyncConnection) -> int:
    if connection.dialect.name == "postgresql":
        return int(await connection.scalar(text("SELECT nextval('war_result_seq')")) or 0)
    return int(await connection.scalar(select(func.coalesce(func.max(RESULTS.seq), 0) + 1)) or 1)


# --- the live update ------------------------------------------------------------------------


async def _roster(connection: AsyncConnection, war_id: str) -> list[Any]:
    clans = Clan.__table__.c
    return list(
        await connection.execute(
            select(ROSTERS.clan_id, ROSTERS.user_id, ROSTERS.name, clans.platform)
            .join_from(WarPlayer.__table__, Clan.__table__, clans.id == ROSTERS.clan_id)
            .where(ROSTERS.war_id == war_id)
            .order_by(ROSTERS.clan_id, ROSTERS.position)
        )
    )


async def recent_wins(
    connection: AsyncConnection, season: SeasonInfo, winner: int, loser: int, at: datetime
) -> list[datetime]:
    """When the winner's wins over the loser within the window before `at` were settled."""
    rows = await connection.scalars(
        select(RESULTS.settled_at).where(
            RESULTS.clan_id == winner, RESULTS.opponent_clan_id == loser, RESULTS.season_id == season.id,
            RESULTS.outcome == "won", RESULTS.settled_at >= at - season.window,
        )
    )
    return sorted(rows)


async def record(session: AsyncSession, war: War, season: SeasonInfo, now: datetime) -> dict[str, Any] | None:
    """Record war's result (status and glory already set) in `season`, in this transaction;
    the clans' rating changes as a war shows them (`ranked`), None when nothing was rated."""
    assert war.opponent_clan_id is not None
    connection = await session.connection()
    host, opponent = war.host_clan_id, war.opponent_clan_id
    rated = war.status == "confirmed" and war.result is not None
    clans = await clan_starts(connection, season, [host, opponent])
    roster = await _roster(connection, war.id)
    names = {(r.platform, r.user_id): r.name for r in roster}
    clans_of = {(r.platform, r.user_id): r.clan_id for r in roster}
    players = await player_standings(connection, season, names) if rated and roster else {}
    ledger = Ledger(season.window, clans={c: s.standing for c, s in clans.items()}, players=players)
    if rated and war.result != "draw":
        winner, loser = (host, opponent) if war.result == "host" else (opponent, host)
        ledger.wins[(winner, loser)] = await recent_wins(connection, season, winner, loser, now)
    sides = {clan_id: tuple(k for k in names if clans_of[k] == clan_id) for clan_id in (host, opponent)}
    seq = await next_seq(connection)
    applied = ledger.apply(
        WarInput(war.id, now, rated, war.result, host, opponent, war.host_glory, war.opponent_glory,
                 sides[host], sides[opponent], war.status == "void")
    )  # fmt: skip
    await connection.execute(insert(WarResult), result_rows(applied, seq, season))
    if not rated:
        return None
    await connection.execute(
        _upsert(connection.dialect.name, ClanRating, ("season_id", "clan_id"), RATING_UPDATED),
        [rating_row(season, s.clan_id, s.after, clans[s.clan_id].start, s.before)
         for s in (applied.host, applied.opponent)],
    )  # fmt: skip
    both = (applied.host, applied.opponent)
    joined = sum(not clans[s.clan_id].listed for s in both)
    newly_ranked = sum(s.before.played < season.provisional_wars <= s.after.played for s in both)
    await ranks.apply(connection, season.id, bucket_changes(season, both, {s.clan_id for s in both
                                                                          if clans[s.clan_id].listed}))
    if joined or newly_ranked:
        await connection.execute(
            update(Season).where(Season.id == season.id).values(
                clans=Season.clans + joined, ranked_clans=Season.ranked_clans + newly_ranked
            )
        )
    if applied.players:
        await connection.execute(
            _upsert(connection.dialect.name, PlayerRating, ("season_id", "platform", "user_id"), PLAYER_UPDATED),
            [player_row(season, k, names[k], after, before) for k, (before, after) in applied.players.items()],
        )
        await connection.execute(_ROSTER_UPDATE, roster_rows(applied, clans_of))
    return ranked_result(
        season, applied.repeat, applied.factor,
        (applied.host.before, applied.host.after), (applied.opponent.before, applied.opponent.after),
    )  # fmt: skip


def bucket_changes(season: SeasonInfo, sides: Iterable[Any], listed: set[int]) -> list[tuple[bool, int, int]]:
    """The rating buckets' changes of a rated war's two clans (`listed`: those that had a row)."""
    n = season.provisional_wars
    return ranks.deltas(
        ((s.before.played >= n, s.before.ordinal) if s.clan_id in listed else None, (s.after.played >= n, s.after.ordinal))
        for s in sides
    )


def _side(season: SeasonInfo, before: Standing, after: Standing) -> dict[str, Any]:
    old, new = round(before.ordinal, 2), round(after.ordinal, 2)
    return {
        "before": old,
        "after": new,
        "change": round(new - old, 2),
        "provisional": after.played < season.provisional_wars,
        "warsToRank": max(0, season.provisional_wars - after.played),
    }


def ranked_result(
    season: SeasonInfo, repeat: int, factor: float,
    host: tuple[Standing, Standing], opponent: tuple[Standing, Standing],
) -> dict[str, Any]:  # fmt: skip
    """A confirmed war's rating changes, as the War's `ranked` shows them."""
    return {
        "season": season.ref(),
        "repeat": repeat,
        "factor": round(factor, 4),
        "windowHours": season.farming_window_hours,
        "host": _side(season, *host),
        "opponent": _side(season, *opponent),
    }


def _row_standings(row: Any) -> tuple[Standing, Standing]:
    before = Standing(row.mu_before, row.sigma_before, row.played_before)
    after = Standing(row.mu_after, row.sigma_after, row.played_before + (row.outcome in RATED))
    return before, after


async def ranked_of(session: AsyncSession, war: War) -> dict[str, Any] | None:
    """A confirmed war's `ranked`, from its stored results (None for a war not rated)."""
    if war.status != "confirmed":
        return None
    connection = await session.connection()
    rows = {r.clan_id: r for r in await connection.execute(select(WarResult.__table__).where(RESULTS.war_id == war.id))}
    host, opponent = rows.get(war.host_clan_id), rows.get(war.opponent_clan_id or 0)
    if host is None or opponent is None or host.outcome not in RATED:
        return None
    season = await seasons.by_id(session, host.season_id)
    return ranked_result(season, host.repeat, host.factor, _row_standings(host), _row_standings(opponent))
