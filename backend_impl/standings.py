"""Season standings: each settled war recorded with the ratings it moved (`record`, in the
transaction of the result), and a season replayed from any war onward (`recompute`).

A result is written as two `war_results` rows (one per clan: outcome, glory, the
anti-farming repeat and factor, and the clan's standing just before it), the clans'
`clan_ratings` and the players' `player_ratings` of the season, and each player's rating
around the war on its `war_players` row. What a replay needs is thus stored: the order
(`seq`), the clans' and players' standings before any war, and the wars' results
(`wars.status`, `wars.result`, the glory awarded), so `recompute` can start at any war with
the standings just before it and apply the rest in order, with the very `rating.Ledger` the
live updates used.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend_impl import bulk, db, dialect, errors, seasons
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


async def _previous(
    connection: AsyncConnection, table: Any, keys: Sequence[Any], key_columns: Sequence[Any], season: SeasonInfo
) -> dict[Any, Rating]:
    """Each key's rating at the end of its latest earlier season of the game, soft-reset."""
    key = key_columns[0] if len(key_columns) == 1 else tuple_(*key_columns)
    seasons_table = Season.__table__.c
    rows = await connection.execute(
        select(*key_columns, table.c.mu, table.c.sigma)
        .join_from(table, Season.__table__, seasons_table.id == table.c.season_id)
        .where(seasons_table.game_id == season.game_id, seasons_table.number < season.number, key.in_(keys))
        .order_by(seasons_table.number.desc())
    )
    found: dict[Any, Rating] = {}
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
        previous = await _previous(connection, ClanRating.__table__, missing, [RATINGS.clan_id], season)
        for clan_id in missing:
            start = previous.get(clan_id, (Standing().mu, Standing().sigma))
            found[clan_id] = ClanStart(Standing(*start), start, listed=False)
    return found


async def _lock_players(connection: AsyncConnection, season: SeasonInfo, keys: Sequence[PlayerKey]) -> dict[PlayerKey, Any]:
    rows = await connection.execute(
        select(PlayerRating.__table__)
        .where(PLAYERS.season_id == season.id, tuple_(PLAYERS.platform, PLAYERS.user_id).in_(keys))
        .order_by(PLAYERS.platform, PLAYERS.user_id)
        .with_for_update()
    )
    return {(r.platform, r.user_id): r for r in rows}


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
        previous = await _previous(connection, PlayerRating.__table__, missing, [PLAYERS.platform, PLAYERS.user_id], season)
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


_RATING_UPDATED = ("mu", "sigma", "ordinal", "played", "won", "lost", "drawn", "glory", "streak",
                   "ranked", "last_ordinal_before", "last_ranked_before", "final_rank")  # fmt: skip
_PLAYER_UPDATED = ("name", "mu", "sigma", "ordinal", "played")


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
                 sides[host], sides[opponent])
    )  # fmt: skip
    await connection.execute(insert(WarResult), result_rows(applied, seq, season))
    if not rated:
        return None
    await connection.execute(
        _upsert(connection.dialect.name, ClanRating, ("season_id", "clan_id"), _RATING_UPDATED),
        [rating_row(season, s.clan_id, s.after, clans[s.clan_id].start, s.before)
         for s in (applied.host, applied.opponent)],
    )  # fmt: skip
    both = (applied.host, applied.opponent)
    joined = sum(not clans[s.clan_id].listed for s in both)
    newly_ranked = sum(s.before.played < season.provisional_wars <= s.after.played for s in both)
    if joined or newly_ranked:
        await connection.execute(
            update(Season).where(Season.id == season.id).values(
                clans=Season.clans + joined, ranked_clans=Season.ranked_clans + newly_ranked
            )
        )
    if applied.players:
        await connection.execute(
            _upsert(connection.dialect.name, PlayerRating, ("season_id", "platform", "user_id"), _PLAYER_UPDATED),
            [player_row(season, k, names[k], after, before) for k, (before, after) in applied.players.items()],
        )
        await connection.execute(_ROSTER_UPDATE, roster_rows(applied, clans_of))
    return ranked_result(
        season, applied.repeat, applied.factor,
        (applied.host.before, applied.host.after), (applied.opponent.before, applied.opponent.after),
    )  # fmt: skip


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


# --- recompute ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recomputed:
    season: SeasonInfo
    wars: int  # wars replayed
    clans: int  # clans whose standings were rewritten
    players: int


async def _replay_inputs(
    connection: AsyncConnection, season: SeasonInfo, first_seq: int
) -> tuple[list[tuple[int, WarInput]], dict[int, Standing], dict[PlayerKey, PlayerStanding], dict[PlayerKey, tuple[int, str]]]:
    """The season's wars from `first_seq` on, in order, and the standings just before them."""
    wars = War.__table__.c
    rows = await connection.execute(
        select(RESULTS.war_id, RESULTS.clan_id, RESULTS.seq, RESULTS.settled_at, RESULTS.mu_before,
               RESULTS.sigma_before, RESULTS.played_before, RESULTS.won_before, RESULTS.lost_before,
               RESULTS.drawn_before, RESULTS.glory_before, RESULTS.streak_before, wars.status, wars.result,
               wars.host_clan_id, wars.opponent_clan_id, wars.host_glory, wars.opponent_glory)
        .join_from(WarResult.__table__, War.__table__, wars.id == RESULTS.war_id)
        .where(RESULTS.season_id == season.id, RESULTS.seq >= first_seq)
        .order_by(RESULTS.seq, RESULTS.clan_id)
    )  # fmt: skip
    clans: dict[int, Standing] = {}
    by_war: dict[str, Any] = {}
    for r in rows:
        clans.setdefault(r.clan_id, Standing(r.mu_before, r.sigma_before, r.played_before, r.won_before,
                                             r.lost_before, r.drawn_before, r.glory_before, r.streak_before))  # fmt: skip
        by_war.setdefault(r.war_id, r)
    clan_table = Clan.__table__.c
    roster_rows_ = await connection.execute(
        select(ROSTERS.war_id, ROSTERS.clan_id, ROSTERS.user_id, ROSTERS.name, ROSTERS.mu_before,
               ROSTERS.sigma_before, ROSTERS.played_before, clan_table.platform)
        .join_from(WarPlayer.__table__, WarResult.__table__,
                   (RESULTS.war_id == ROSTERS.war_id) & (RESULTS.clan_id == ROSTERS.clan_id))
        .join(Clan.__table__, clan_table.id == ROSTERS.clan_id)
        .where(RESULTS.season_id == season.id, RESULTS.seq >= first_seq)
        .order_by(RESULTS.seq, ROSTERS.clan_id, ROSTERS.position)
    )  # fmt: skip
    players: dict[PlayerKey, PlayerStanding] = {}
    names: dict[PlayerKey, tuple[int, str]] = {}
    rosters: dict[str, dict[int, list[PlayerKey]]] = defaultdict(lambda: defaultdict(list))
    for p in roster_rows_:
        key = (p.platform, p.user_id)
        rosters[p.war_id][p.clan_id].append(key)
        names[key] = (p.clan_id, p.name)
        if key not in players and p.mu_before is not None:
            players[key] = PlayerStanding(p.mu_before, p.sigma_before, p.played_before or 0)
    unknown = [k for k in names if k not in players]
    if unknown:  # only unrated wars from first_seq on: their rating now is their rating before it
        current = await _lock_players(connection, season, unknown)
        players.update({k: PlayerStanding(r.mu, r.sigma, r.played) for k, r in current.items()})
        new = [k for k in unknown if k not in current]
        if new:
            previous = await _previous(connection, PlayerRating.__table__, new, [PLAYERS.platform, PLAYERS.user_id], season)
            players.update({k: PlayerStanding(*previous[k]) for k in new if k in previous})
    inputs = []
    for war_id, r in by_war.items():
        inputs.append((r.seq, WarInput(
            war_id, r.settled_at, r.status == "confirmed" and r.result is not None, r.result,
            r.host_clan_id, r.opponent_clan_id, r.host_glory, r.opponent_glory,
            tuple(rosters[war_id][r.host_clan_id]), tuple(rosters[war_id][r.opponent_clan_id]),
        )))  # fmt: skip
    inputs.sort(key=lambda item: item[0])
    return inputs, clans, players, names


async def _fresh_starts(
    connection: AsyncConnection, season: SeasonInfo, ledger: Ledger, keys: Iterable[PlayerKey]
) -> None:
    """A replay of the whole season starts each clan and player where the season started them."""
    for r in await connection.execute(
        select(RATINGS.clan_id, RATINGS.start_mu, RATINGS.start_sigma).where(
            RATINGS.season_id == season.id, RATINGS.clan_id.in_(list(ledger.clans))
        )
    ):
        ledger.clans[r.clan_id] = Standing(r.start_mu, r.start_sigma)
    wanted = set(keys)
    for p in await connection.execute(
        select(PLAYERS.platform, PLAYERS.user_id, PLAYERS.start_mu, PLAYERS.start_sigma).where(
            PLAYERS.season_id == season.id
        )
    ):
        key = (p.platform, p.user_id)
        if key in wanted:
            ledger.players[key] = PlayerStanding(p.start_mu, p.start_sigma, 0)


async def _earlier_wins(
    connection: AsyncConnection, season: SeasonInfo, first_seq: int, since: datetime
) -> dict[tuple[int, int], list[datetime]]:
    rows = await connection.execute(
        select(RESULTS.clan_id, RESULTS.opponent_clan_id, RESULTS.settled_at).where(
            RESULTS.season_id == season.id, RESULTS.seq < first_seq, RESULTS.outcome == "won",
            RESULTS.settled_at >= since - season.window,
        )
    )
    wins: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for r in rows:
        wins[(r.clan_id, r.opponent_clan_id)].append(r.settled_at)
    for times in wins.values():
        times.sort()
    return wins


async def _last_rated_before(
    connection: AsyncConnection, season: SeasonInfo, clan_ids: Iterable[int], first_seq: int
) -> dict[int, Standing]:
    """Each clan's standing before its latest rated war earlier than `first_seq`."""
    found: dict[int, Standing] = {}
    ids = list(clan_ids)
    if not ids:
        return found
    rows = await connection.execute(
        select(RESULTS.clan_id, RESULTS.mu_before, RESULTS.sigma_before, RESULTS.played_before)
        .where(RESULTS.season_id == season.id, RESULTS.clan_id.in_(ids), RESULTS.seq < first_seq,
               RESULTS.outcome.in_(RATED))
        .order_by(RESULTS.seq.desc())
    )  # fmt: skip
    for r in rows:
        found.setdefault(r.clan_id, Standing(r.mu_before, r.sigma_before, r.played_before))
    return found


_REPLAYED = ("outcome", "glory", "repeat", "factor", "mu_before", "sigma_before", "mu_after", "sigma_after",
             "played_before", "won_before", "lost_before", "drawn_before", "glory_before", "streak_before")
_ROSTER_REPLAYED = ("mu_before", "sigma_before", "played_before", "mu_after", "sigma_after")


async def recompute(
    database: db.Database, game_id: int, season_number: int, from_war: str | None = None
) -> Recomputed:
    """Replay the season's results from war `from_war` (the whole season when None) in the
    order they were settled, reading each war's result as it is now (`wars.status`,
    `wars.result`, glory), and rewrite the results, ratings and standings it changes.

    One transaction, with the season locked alone (seasons.lock): readers see the standings
    before or after, never a mix; results of the season wait until it is done. A closed
    season's final ranks are archived again."""
    async with database.transaction() as session:
        season = await seasons.by_number(session, game_id, season_number)
        if season is None:
            raise errors.not_found("Season", f"Game {game_id} has no season {season_number}.",
                                   gameId=game_id, season=season_number)  # fmt: skip
        await seasons.lock(session, season.id, shared=False)
        connection = await session.connection()
        first_seq = 0
        if from_war is not None:
            found = await connection.scalar(
                select(RESULTS.seq).where(RESULTS.war_id == from_war, RESULTS.season_id == season.id)
            )
            if found is None:
                raise errors.not_found("War result", f"War {from_war} has no result in season {season_number}.",
                                       warId=from_war, season=season_number)  # fmt: skip
            first_seq = int(found)
        inputs, clans, players, names = await _replay_inputs(connection, season, first_seq)
        if not inputs:
            return Recomputed(season, 0, 0, 0)
        ledger = Ledger(season.window, clans=dict(clans), players=dict(players))
        first_in_season = await connection.scalar(
            select(func.min(RESULTS.seq)).where(RESULTS.season_id == season.id)
        )
        if first_seq <= int(first_in_season or 0):
            await _fresh_starts(connection, season, ledger, names)
        ledger.wins.update(await _earlier_wins(connection, season, first_seq, min(w.settled_at for _, w in inputs)))
        results: list[dict[str, Any]] = []
        rosters: list[dict[str, Any]] = []
        last_before: dict[int, Standing] = {}
        clans_of = {k: c for k, (c, _) in names.items()}
        for seq, war in inputs:
            applied = ledger.apply(war)
            results += result_rows(applied, seq, season)
            if war.rated:
                last_before[applied.host.clan_id] = applied.host.before
                last_before[applied.opponent.clan_id] = applied.opponent.before
            rosters += roster_rows(applied, clans_of)
        missing = set(ledger.clans) - set(last_before)
        last_before.update(await _last_rated_before(connection, season, missing, first_seq))
        starts = {
            r.clan_id: (r.start_mu, r.start_sigma)
            for r in await connection.execute(
                select(RATINGS.clan_id, RATINGS.start_mu, RATINGS.start_sigma).where(RATINGS.season_id == season.id)
            )
        }
        for clan_id, standing in clans.items():  # new to the season's standings: its first start
            starts.setdefault(clan_id, (standing.mu, standing.sigma))
        await _write_replay(connection, season, ledger, results, rosters, starts, last_before, names, players)
        await count_standings(connection, season.id)
        if season.status == "closed":
            await seasons.archive(session, season.id)
        return Recomputed(season, len(inputs), len(ledger.clans), len(ledger.players))


async def _write_replay(
    connection: AsyncConnection,
    season: SeasonInfo,
    ledger: Ledger,
    results: list[dict[str, Any]],
    rosters: list[dict[str, Any]],
    starts: dict[int, Rating],
    last_before: dict[int, Standing],
    names: dict[PlayerKey, tuple[int, str]],
    player_starts: dict[PlayerKey, PlayerStanding],
) -> None:
    await bulk.update_rows(connection, WarResult.__table__, ("war_id", "clan_id"), _REPLAYED, results)
    await bulk.update_rows(
        connection, WarPlayer.__table__, ("war_id", "clan_id", "user_id"), _ROSTER_REPLAYED,
        [{"war_id": r["w"], "clan_id": r["c"], "user_id": r["u"], "mu_before": r["mb"], "sigma_before": r["sb"],
          "played_before": r["pb"], "mu_after": r["ma"], "sigma_after": r["sa"]} for r in rosters],
    )  # fmt: skip
    clan_rows = [
        rating_row(season, clan_id, standing, starts[clan_id], last_before.get(clan_id))
        for clan_id, standing in ledger.clans.items()
    ]
    await bulk.upsert_rows(connection, ClanRating.__table__, ("season_id", "clan_id"), _RATING_UPDATED, clan_rows)
    await bulk.upsert_rows(
        connection, PlayerRating.__table__, ("season_id", "platform", "user_id"), _PLAYER_UPDATED,
        [player_row(season, k, names[k][1], s, player_starts.get(k, s)) for k, s in ledger.players.items()],
    )  # fmt: skip


async def count_standings(connection: AsyncConnection, season_id: int) -> None:
    """The season's totals (clans listed, clans ranked) counted again."""
    listed = select(func.count()).where(RATINGS.season_id == season_id).scalar_subquery()
    ranked = select(func.count()).where(RATINGS.season_id == season_id, RATINGS.ranked.is_(True)).scalar_subquery()
    await connection.execute(update(Season).where(Season.id == season_id).values(clans=listed, ranked_clans=ranked))
