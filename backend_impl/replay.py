"""Recompute a season's standings from any war onward (`recompute`): what a referee's
correction calls once it has changed a war's result.

The season's results are replayed from that war in the order they were settled, each war's
result read as it is now (`wars.status`, `wars.result`, the glory awarded), from the
standings stored just before that war (each result row keeps its clan's standing before it;
each roster row its player's), with the very `rating.Ledger` the live updates use: a
recompute from any war gives what a replay of the whole season gives. A war whose inputs are
what they were when it was stored (its result, both clans' and its players' standings
before it, its anti-farming repeat) keeps its stored outcome without rating it again, and
only rows whose values change are written: a correction costs the wars it really touches
(and one read of the season), not 100,000 openskill updates.

One transaction, with the season's lock held alone (seasons.lock): readers see the
standings before or after, never a mix; results of the season wait until it is done. A
closed season's final ranks are archived again; the next season's starts are not changed.
"""

from __future__ import annotations

import bisect
import functools
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from backend_impl import bulk, db, errors, ranks, seasons, standings
from backend_impl.rating import (
    OUTCOMES,
    Known,
    Ledger,
    PlayerKey,
    PlayerStanding,
    Standing,
    WarInput,
)
from backend_impl.seasons import SeasonInfo
from backend_impl.tables import Clan, ClanRating, PlayerRating, Season, War, WarPlayer, WarResult

RESULTS = WarResult.__table__.c
ROSTERS = WarPlayer.__table__.c
RATINGS = ClanRating.__table__.c
PLAYERS = PlayerRating.__table__.c
WARS = War.__table__.c
CLANS = Clan.__table__.c
REPLAYED = standings.REPLAYED  # war_results columns a replay rewrites
ROSTER_REPLAYED = ("mu_before", "sigma_before", "played_before", "mu_after", "sigma_after")
RATING_COLUMNS = tuple(c.name for c in ClanRating.__table__.c)
PLAYER_COLUMNS = tuple(c.name for c in PlayerRating.__table__.c)


def unrated_outcome(status: str) -> str:
    """What an unrated war's result rows say: `void` for a voided war, else `disputed`."""
    return "void" if status == "void" else "disputed"


@dataclass(frozen=True)
class Recomputed:
    season: SeasonInfo
    wars: int  # wars replayed
    clans: int  # clans whose standings were replayed
    players: int
    rows: int  # rows rewritten (results, rosters, standings, players)


class _Inputs:
    """The season's stored results from the first replayed war on, as read: the rows are kept
    as they came (one pass, no copies); what a replay needs of a war is built when asked."""

    def __init__(self, results: list[Any], rosters: list[Any], season: SeasonInfo) -> None:
        self.order: list[str] = []  # war ids, in the order they were settled
        self.head: dict[str, Any] = {}  # war -> its first result row (it carries the war's columns)
        self.results: dict[tuple[str, int], Any] = {}  # (war, clan) -> its war_results row
        self.first_row: dict[int, Any] = {}  # clan -> its first result row from here on
        self.rosters: dict[str, list[Any]] = defaultdict(list)  # war -> its war_players rows
        for r in results:
            war_id, clan_id = r["war_id"], r["clan_id"]
            self.results[(war_id, clan_id)] = r
            if war_id not in self.head:
                self.head[war_id] = r
                self.order.append(war_id)
            if clan_id not in self.first_row:
                self.first_row[clan_id] = r
        for p in rosters:
            self.rosters[p["war_id"]].append(p)
        self.first_settled = min((r["settled_at"] for r in self.head.values()), default=season.starts_at)
        self._by_player: dict[PlayerKey, list[tuple[int, Any]]] | None = None

    def war(self, war_id: str) -> WarInput:
        r = self.head[war_id]
        sides: dict[int, list[PlayerKey]] = {r["host_clan_id"]: [], r["opponent_clan_id"]: []}
        for p in self.rosters.get(war_id, []):
            sides[p["clan_id"]].append((p["platform"], p["user_id"]))
        return WarInput(war_id, r["settled_at"], r["status"] == "confirmed" and r["result"] is not None, r["result"],
                        r["host_clan_id"], r["opponent_clan_id"], r["host_glory"], r["opponent_glory"],
                        tuple(sides[r["host_clan_id"]]), tuple(sides[r["opponent_clan_id"]]),
                        r["status"] == "void")  # fmt: skip

    @functools.cached_property
    def wars(self) -> list[WarInput]:
        return [self.war(war_id) for war_id in self.order]

    @functools.cached_property
    def clans(self) -> dict[int, Standing]:
        """Each clan's standing before its first replayed war."""
        return {c: _before(r) for c, r in self.first_row.items()}

    @functools.cached_property
    def names(self) -> dict[PlayerKey, tuple[int, str]]:
        """Each player's clan and name (in the replayed wars)."""
        return {(p["platform"], p["user_id"]): (p["clan_id"], p["name"]) for ps in self.rosters.values() for p in ps}

    @functools.cached_property
    def players(self) -> dict[PlayerKey, PlayerStanding]:
        """Each player's standing before its first rated war from here on."""
        found: dict[PlayerKey, PlayerStanding] = {}
        for war_id in self.order:
            for p in self.rosters.get(war_id, []):
                key = (p["platform"], p["user_id"])
                if key not in found and p["mu_before"] is not None:
                    found[key] = PlayerStanding(p["mu_before"], p["sigma_before"], p["played_before"] or 0)
        return found

    def later_before(self, index: int, key: PlayerKey) -> PlayerStanding | None:
        """The player's stored standing before its next rated war after war `index`, if any."""
        if self._by_player is None:
            self._by_player = defaultdict(list)
            for i, war_id in enumerate(self.order):
                for p in self.rosters.get(war_id, []):
                    if p["mu_before"] is not None:
                        self._by_player[(p["platform"], p["user_id"])].append((i, p))
        rows = self._by_player.get(key, [])
        at = bisect.bisect_right(rows, index, key=lambda item: item[0])
        if at == len(rows):
            return None
        p = rows[at][1]
        return PlayerStanding(p["mu_before"], p["sigma_before"], p["played_before"])


async def _inputs(connection: AsyncConnection, season: SeasonInfo, first_seq: int) -> _Inputs:
    results = await bulk.fetch(
        connection,
        select(RESULTS.war_id, RESULTS.clan_id, RESULTS.seq, RESULTS.settled_at, *(RESULTS[c] for c in REPLAYED),
               WARS.status, WARS.result, WARS.host_clan_id, WARS.opponent_clan_id, WARS.host_glory,
               WARS.opponent_glory)
        .join_from(WarResult.__table__, War.__table__, WARS.id == RESULTS.war_id)
        .where(RESULTS.season_id == season.id, RESULTS.seq >= first_seq)
        .order_by(RESULTS.seq, RESULTS.clan_id),
    )  # fmt: skip
    rosters = await bulk.fetch(
        connection,
        select(ROSTERS.war_id, ROSTERS.clan_id, ROSTERS.user_id, ROSTERS.name, *(ROSTERS[c] for c in ROSTER_REPLAYED),
               CLANS.platform)
        .join_from(WarPlayer.__table__, WarResult.__table__,
                   (RESULTS.war_id == ROSTERS.war_id) & (RESULTS.clan_id == ROSTERS.clan_id))
        .join(Clan.__table__, CLANS.id == ROSTERS.clan_id)
        .where(RESULTS.season_id == season.id, RESULTS.seq >= first_seq)
        .order_by(RESULTS.seq, ROSTERS.clan_id, ROSTERS.position),
    )  # fmt: skip
    return _Inputs(results, rosters, season)


_BEFORE = ("mu_before", "sigma_before", "played_before", "won_before", "lost_before", "drawn_before", "glory_before",
           "streak_before")  # fmt: skip


def _reusable(ledger: Ledger, war: WarInput, host: Any, opponent: Any, roster: list[Any]) -> Known | None:
    """The war's stored outcome, when what it was computed from is what the replay has now:
    the same result and glory, both clans' and all players' standings before it, the same
    anti-farming repeat. The stored ratings after it are then what openskill would give again."""
    outcomes = OUTCOMES[war.result] if war.rated and war.result else (war.unrated_outcome,) * 2
    if (host["outcome"], opponent["outcome"]) != outcomes:
        return None
    for row, clan_id in ((host, war.host), (opponent, war.opponent)):
        s = ledger.clans.get(clan_id, Standing())
        if (s.mu, s.sigma, s.played, s.won, s.lost, s.drawn, s.glory, s.streak) != tuple(row[c] for c in _BEFORE):
            return None
    if not war.rated:
        return Known((host["mu_after"], host["sigma_after"]), (opponent["mu_after"], opponent["sigma_after"]), {})
    if (host["glory"], opponent["glory"]) != (war.host_glory, war.opponent_glory):
        return None
    if war.result != "draw":
        winner, loser = (war.host, war.opponent) if war.result == "host" else (war.opponent, war.host)
        if ledger.repeat(winner, loser, war.settled_at) != host["repeat"]:
            return None
    players: dict[PlayerKey, tuple[float, float]] = {}
    for p in roster:
        key = (p["platform"], p["user_id"])
        player = ledger.players.get(key, PlayerStanding())
        if (player.mu, player.sigma, player.played) != (p["mu_before"], p["sigma_before"], p["played_before"]):
            return None
        players[key] = (p["mu_after"], p["sigma_after"])
    return Known((host["mu_after"], host["sigma_after"]), (opponent["mu_after"], opponent["sigma_after"]), players)


async def _earlier_wins(
    connection: AsyncConnection, season: SeasonInfo, first_seq: int, since: datetime
) -> dict[tuple[int, int], list[datetime]]:
    rows = await bulk.fetch(
        connection,
        select(RESULTS.clan_id, RESULTS.opponent_clan_id, RESULTS.settled_at).where(
            RESULTS.season_id == season.id, RESULTS.seq < first_seq, RESULTS.outcome == "won",
            RESULTS.settled_at >= since - season.window,
        ),
    )  # fmt: skip
    wins: dict[tuple[int, int], list[datetime]] = defaultdict(list)
    for r in rows:
        wins[(r["clan_id"], r["opponent_clan_id"])].append(r["settled_at"])
    for times in wins.values():
        times.sort()
    return wins


async def _last_rated_before(
    connection: AsyncConnection, season: SeasonInfo, clan_ids: list[int], first_seq: int
) -> dict[int, Standing]:
    """Each clan's standing before its latest rated war earlier than `first_seq`."""
    found: dict[int, Standing] = {}
    for part in standings.chunks(sorted(clan_ids)):
        rows = await bulk.fetch(
            connection,
            select(RESULTS.clan_id, RESULTS.mu_before, RESULTS.sigma_before, RESULTS.played_before)
            .where(RESULTS.season_id == season.id, RESULTS.clan_id.in_(part), RESULTS.seq < first_seq,
                   RESULTS.outcome.in_(standings.RATED))
            .order_by(RESULTS.seq.desc()),
        )  # fmt: skip
        for r in rows:
            found.setdefault(r["clan_id"], Standing(r["mu_before"], r["sigma_before"], r["played_before"]))
    return found


async def update_totals(connection: AsyncConnection, season_id: int, joined: int, ranked: int) -> None:
    """The season's totals moved by the standings the replay added or (un)ranked; the last
    write of a recompute."""
    if joined or ranked:
        await connection.execute(
            update(Season).where(Season.id == season_id)
            .values(clans=Season.clans + joined, ranked_clans=Season.ranked_clans + ranked)
        )  # fmt: skip


async def recompute(
    database: db.Database, game_id: int, season_number: int, from_war: str | None = None, *, full: bool = False
) -> Recomputed:
    """Replay season `season_number` of the game from war `from_war` (the whole season when
    None) and rewrite what changed; see the module's docstring. A war whose inputs did not
    change keeps its stored outcome (no openskill call); `full` rates every war again."""
    async with database.transaction() as session:
        season = await seasons.by_number(session, game_id, season_number)
        if season is None:
            raise errors.not_found("Season", f"Game {game_id} has no season {season_number}.",
                                   gameId=game_id, season=season_number)  # fmt: skip
        return await recompute_in(session, season, from_war, full=full)


async def recompute_in(
    session: AsyncSession, season: SeasonInfo, from_war: str | None = None, *, full: bool = False
) -> Recomputed:
    """`recompute` inside the caller's transaction (a referee's verdict: the war's new result
    and its replay commit together); takes the season's lock alone."""
    season_number = season.number
    await seasons.lock(session, season.id, shared=False)
    connection = await session.connection()
    first_in_season = int(await connection.scalar(
        select(func.coalesce(func.min(RESULTS.seq), 0)).where(RESULTS.season_id == season.id)) or 0)  # fmt: skip
    first_seq = first_in_season
    if from_war is not None:
        found = await connection.scalar(
            select(RESULTS.seq).where(RESULTS.war_id == from_war, RESULTS.season_id == season.id)
        )
        if found is None:
            raise errors.not_found("War result", f"War {from_war} has no result in season {season_number}.",
                                   warId=from_war, season=season_number)  # fmt: skip
        first_seq = int(found)
    inputs = await _inputs(connection, season, first_seq)
    if not inputs.order:
        return Recomputed(season, 0, 0, 0, 0)
    if not full:
        wars, clans_touched, players_touched, written = await _incremental(connection, season, inputs, first_seq)
        if season.status == "closed":
            await seasons.archive(session, season.id)
        return Recomputed(season, wars, clans_touched, players_touched, written)
    ratings = {r["clan_id"]: r for r in await bulk.fetch(
        connection, select(ClanRating.__table__).where(RATINGS.season_id == season.id))}  # fmt: skip
    stored_players = {(p["platform"], p["user_id"]): p for p in await bulk.fetch(
        connection, select(PlayerRating.__table__).where(PLAYERS.season_id == season.id))}  # fmt: skip
    clans, players = dict(inputs.clans), dict(inputs.players)
    if first_seq <= first_in_season:  # the whole season: from where it started each one
        clans.update({c: Standing(ratings[c]["start_mu"], ratings[c]["start_sigma"]) for c in clans if c in ratings})
        players.update({k: PlayerStanding(stored_players[k]["start_mu"], stored_players[k]["start_sigma"])
                        for k in inputs.names if k in stored_players})  # fmt: skip
    else:  # players with no rated war from first_seq on: their rating now is the one before
        for key in inputs.names:
            if key not in players and key in stored_players:
                row = stored_players[key]
                players[key] = PlayerStanding(row["mu"], row["sigma"], row["played"])
    new = [k for k in inputs.names if k not in players]
    if new:
        previous = await standings.previous_ratings(connection, PlayerRating.__table__, new,
                                                    [PLAYERS.platform, PLAYERS.user_id], season)  # fmt: skip
        players.update({k: PlayerStanding(*previous[k]) for k in new if k in previous})
    ledger = Ledger(season.window, clans=dict(clans), players=dict(players))
    ledger.wins.update(await _earlier_wins(connection, season, first_seq, inputs.first_settled))
    written = await _replay_and_write(connection, season, inputs, ledger, clans, players, ratings,
                                      stored_players, first_seq)  # fmt: skip
    if season.status == "closed":
        await seasons.archive(session, season.id)
    return Recomputed(season, len(inputs.wars), len(ledger.clans), len(ledger.players), written)


def _before(row: Any) -> Standing:
    """A clan's standing before a war, as its war_results row stored it."""
    return Standing(row["mu_before"], row["sigma_before"], row["played_before"], row["won_before"], row["lost_before"],
                    row["drawn_before"], row["glory_before"], row["streak_before"])  # fmt: skip


def _after(row: Any) -> Standing:
    """... and after it."""
    before = _before(row)
    if row["outcome"] not in standings.RATED:
        return before
    return before.after(row["outcome"], row["glory"], (row["mu_after"], row["sigma_after"]))


async def _current_players(
    connection: AsyncConnection, season: SeasonInfo, keys: list[PlayerKey]
) -> dict[PlayerKey, Any]:
    found: dict[PlayerKey, Any] = {}
    for part in standings.chunks(keys):
        rows = await bulk.fetch(connection, select(PlayerRating.__table__).where(
            PLAYERS.season_id == season.id, tuple_(PLAYERS.platform, PLAYERS.user_id).in_(part)))  # fmt: skip
        found.update({(r["platform"], r["user_id"]): r for r in rows})
    return found


async def _clean_player(
    connection: AsyncConnection, season: SeasonInfo, inputs: _Inputs, index: int, key: PlayerKey
) -> PlayerStanding:
    """A player's stored standing at war `index` whose roster row stored none (the war was not
    rated): the one before the player's next rated war, else its standing now, else (new to the
    season's standings) where the season would start it."""
    later = inputs.later_before(index, key)
    if later is not None:
        return later
    current = await _current_players(connection, season, [key])
    if key in current:
        row = current[key]
        return PlayerStanding(row["mu"], row["sigma"], row["played"])
    previous = await standings.previous_ratings(connection, PlayerRating.__table__, [key],
                                                [PLAYERS.platform, PLAYERS.user_id], season)  # fmt: skip
    return PlayerStanding(*previous.get(key, (PlayerStanding().mu, PlayerStanding().sigma)))


async def _incremental(
    connection: AsyncConnection, season: SeasonInfo, inputs: _Inputs, first_seq: int
) -> tuple[int, int, int, int]:
    """Replay only the wars a change reaches: the first one, those whose result changed, and
    those of a clan or player whose replayed standing differs from the stored one (or of a
    pair whose wins changed, for the anti-farming repeat); every other war is as stored and
    is skipped (its win still counted for the window). A clan or player is clean again once
    a war leaves it where the stored rows have it. Returns (wars replayed, clans and players
    touched, rows written)."""
    ledger = Ledger(season.window)
    ledger.wins.update(await _earlier_wins(connection, season, first_seq, inputs.first_settled))
    dirty_clans: dict[int, Standing] = {}
    dirty_players: dict[PlayerKey, PlayerStanding] = {}
    dirty_pairs: set[tuple[int, int]] = set()
    first_before: dict[PlayerKey, PlayerStanding] = {}  # a touched player's standing at its first replayed war
    names: dict[PlayerKey, tuple[int, str]] = {}  # touched players' clans and names
    touched: set[int] = set()  # clans of the wars replayed
    last_rated: dict[int, Any] = {}  # clan -> its latest rated war's row (or replayed standing before it)
    results: list[dict[str, Any]] = []
    rosters: list[dict[str, Any]] = []
    replayed = 0
    for index, war_id in enumerate(inputs.order):
        head = inputs.head[war_id]
        host_id, opponent_id = head["host_clan_id"], head["opponent_clan_id"]
        host, opponent = inputs.results[(war_id, host_id)], inputs.results[(war_id, opponent_id)]
        roster = inputs.rosters.get(war_id, [])
        rated = head["status"] == "confirmed" and head["result"] is not None
        outcomes = OUTCOMES[head["result"]] if rated else (unrated_outcome(head["status"]),) * 2
        changed = (host["outcome"], opponent["outcome"]) != outcomes or (
            rated and (host["glory"], opponent["glory"]) != (head["host_glory"], head["opponent_glory"]))  # fmt: skip
        pair = (min(host_id, opponent_id), max(host_id, opponent_id))
        if not (index == 0 or changed or host_id in dirty_clans or opponent_id in dirty_clans or pair in dirty_pairs
                or (dirty_players and any((p["platform"], p["user_id"]) in dirty_players for p in roster))):  # fmt: skip
            for clan_id, other, row in ((host_id, opponent_id, host), (opponent_id, host_id, opponent)):
                if row["outcome"] == "won":  # as stored: its win counts in the window
                    times = ledger.wins[(clan_id, other)]
                    times.insert(bisect.bisect_right(times, head["settled_at"]), head["settled_at"])
                if row["outcome"] in standings.RATED:
                    last_rated[clan_id] = row
            continue
        war = inputs.war(war_id)
        replayed += 1
        touched.update((host_id, opponent_id))
        if changed:
            dirty_pairs.add(pair)
        for clan_id, row in ((host_id, host), (opponent_id, opponent)):
            ledger.clans[clan_id] = dirty_clans.get(clan_id) or _before(row)
        stored_after: dict[PlayerKey, PlayerStanding] = {}
        for p in roster:
            key = (p["platform"], p["user_id"])
            names[key] = (p["clan_id"], p["name"])
            if p["mu_before"] is not None:
                clean = PlayerStanding(p["mu_before"], p["sigma_before"], p["played_before"])
                stored_after[key] = PlayerStanding(p["mu_after"], p["sigma_after"], p["played_before"] + 1)
            else:  # the war was stored unrated: the player's stored standing there
                clean = stored_after[key] = await _clean_player(connection, season, inputs, index, key)
            ledger.players[key] = dirty_players.get(key) or clean
            first_before.setdefault(key, ledger.players[key])
        known = _reusable(ledger, war, host, opponent, roster)
        applied = ledger.apply(war, known)
        for side, row in ((applied.host, host), (applied.opponent, opponent)):
            if side.after == _after(row):
                dirty_clans.pop(side.clan_id, None)
            else:
                dirty_clans[side.clan_id] = side.after
            if war.rated:  # (no longer rated: the clan's previous rated war stays its last)
                last_rated[side.clan_id] = side.before
        for key, (_, after) in applied.players.items():
            if after == stored_after[key]:
                dirty_players.pop(key, None)
            else:
                dirty_players[key] = after
        if known is not None:
            continue
        _changed_rows(season, inputs, war, applied, roster, {k: c for k, (c, _) in names.items()}, results, rosters)
    written = await _write_standings(connection, season, inputs, first_seq, sorted(touched), dirty_clans,
                                     dirty_players, last_rated, first_before, names, results, rosters)  # fmt: skip
    return replayed, len(touched), len(first_before), written


def _changed_rows(
    season: SeasonInfo, inputs: _Inputs, war: WarInput, applied: Any, roster: list[Any],
    clans_of: dict[PlayerKey, int], results: list[dict[str, Any]], rosters: list[dict[str, Any]],
) -> None:  # fmt: skip
    """Append the war's result and roster rows whose replayed values differ from the stored."""
    for row in standings.result_rows(applied, inputs.head[war.war_id]["seq"], season):
        stored = inputs.results[(row["war_id"], row["clan_id"])]
        if tuple(row[c] for c in REPLAYED) != tuple(stored[c] for c in REPLAYED):
            results.append(row)
    stored_roster = {(p["clan_id"], p["user_id"]): p for p in roster}
    for r in standings.roster_rows(applied, clans_of):
        values = (r["mb"], r["sb"], r["pb"], r["ma"], r["sa"])
        if values != tuple(stored_roster[(r["c"], r["u"])][c] for c in ROSTER_REPLAYED):
            rosters.append({"war_id": r["w"], "clan_id": r["c"], "user_id": r["u"],
                            **dict(zip(ROSTER_REPLAYED, values, strict=True))})  # fmt: skip


async def _write_standings(
    connection: AsyncConnection, season: SeasonInfo, inputs: _Inputs, first_seq: int, clan_ids: list[int],
    dirty_clans: dict[int, Standing], dirty_players: dict[PlayerKey, PlayerStanding], last_rated: dict[int, Any],
    first_before: dict[PlayerKey, PlayerStanding], names: dict[PlayerKey, tuple[int, str]],
    results: list[dict[str, Any]], rosters: list[dict[str, Any]],
) -> int:  # fmt: skip
    """Write the changed result and roster rows, and the standings of the clans and players
    the replay touched where they differ from the stored ones."""
    ratings: dict[int, Any] = {}
    for part in standings.chunks(clan_ids):
        ratings.update({r["clan_id"]: r for r in await bulk.fetch(connection, select(ClanRating.__table__).where(
            RATINGS.season_id == season.id, RATINGS.clan_id.in_(part)))})  # fmt: skip
    lacking = [c for c in clan_ids if c not in last_rated]
    earlier = await _last_rated_before(connection, season, lacking, first_seq)
    standing_rows, joined, ranked = [], 0, 0
    places: list[tuple[ranks.Place | None, ranks.Place | None]] = []
    for clan_id in clan_ids:
        stored = ratings.get(clan_id)
        if clan_id in dirty_clans:
            final = dirty_clans[clan_id]
        elif stored is not None:
            final = Standing(stored["mu"], stored["sigma"], stored["played"], stored["won"], stored["lost"],
                             stored["drawn"], stored["glory"], stored["streak"])  # fmt: skip
        else:
            final = _before(inputs.first_row[clan_id])  # never rated this season, and still not
        if stored is None and not final.played:
            continue  # a clan is in the standings once it had a rated war, as the live updates do
        last = last_rated.get(clan_id, earlier.get(clan_id))
        last_before = last if last is None or isinstance(last, Standing) else _before(last)
        first = inputs.first_row[clan_id]
        start = (stored["start_mu"], stored["start_sigma"]) if stored else (first["mu_before"], first["sigma_before"])
        row = standings.rating_row(season, clan_id, final, start, last_before)
        row["final_rank"] = stored["final_rank"] if stored else None  # archived again if closed
        if stored is None or any(row[c] != stored[c] for c in RATING_COLUMNS):
            standing_rows.append(row)
            joined += stored is None
            ranked += int(row["ranked"]) - int(bool(stored and stored["ranked"]))
            places.append(((stored["ranked"], stored["ordinal"]) if stored else None, (row["ranked"], row["ordinal"])))
    current = await _current_players(connection, season, sorted(first_before))
    player_rows = []
    for key, begun in first_before.items():
        known = current.get(key)
        if key in dirty_players:
            final_player = dirty_players[key]
        elif known is not None:
            final_player = PlayerStanding(known["mu"], known["sigma"], known["played"])
        else:
            continue  # never rated this season, and still not
        start_player = PlayerStanding(known["start_mu"], known["start_sigma"]) if known is not None else begun
        player_row = standings.player_row(season, key, names[key][1], final_player, start_player)
        if known is None or any(player_row[c] != known[c] for c in PLAYER_COLUMNS):
            player_rows.append(player_row)
    return await _write(connection, season, results, rosters, standing_rows, player_rows, places, joined, ranked)


async def _replay_and_write(
    connection: AsyncConnection, season: SeasonInfo, inputs: _Inputs, ledger: Ledger,
    clans: dict[int, Standing], players: dict[PlayerKey, PlayerStanding], ratings: dict[int, Any],
    stored_players: dict[PlayerKey, Any], first_seq: int,
) -> int:  # fmt: skip
    """Every war rated again (`full`), every row compared with the stored one."""
    results: list[dict[str, Any]] = []
    rosters: list[dict[str, Any]] = []
    last_before: dict[int, Standing] = {}
    clans_of = {k: c for k, (c, _) in inputs.names.items()}
    for war in inputs.wars:
        applied = ledger.apply(war)
        if war.rated:
            last_before[war.host], last_before[war.opponent] = applied.host.before, applied.opponent.before
        _changed_rows(season, inputs, war, applied, inputs.rosters.get(war.war_id, []), clans_of, results, rosters)
    lacking = [c for c in ledger.clans if c not in last_before]
    last_before.update(await _last_rated_before(connection, season, lacking, first_seq))
    standing_rows, joined, ranked = [], 0, 0
    places: list[tuple[ranks.Place | None, ranks.Place | None]] = []
    for clan_id, standing in ledger.clans.items():
        stored = ratings.get(clan_id)
        if stored is None and not standing.played:
            continue  # a clan is in the standings once it had a rated war, as the live updates do
        start = (stored["start_mu"], stored["start_sigma"]) if stored else (clans[clan_id].mu, clans[clan_id].sigma)
        row = standings.rating_row(season, clan_id, standing, start, last_before.get(clan_id))
        row["final_rank"] = stored["final_rank"] if stored else None  # archived again below if closed
        if stored is None or any(row[c] != stored[c] for c in RATING_COLUMNS):
            standing_rows.append(row)
            joined += stored is None
            ranked += int(row["ranked"]) - int(bool(stored and stored["ranked"]))
            places.append(((stored["ranked"], stored["ordinal"]) if stored else None, (row["ranked"], row["ordinal"])))
    player_rows = []
    for key, player in ledger.players.items():
        known = stored_players.get(key)
        begun = players.get(key, player) if known is None else PlayerStanding(known["start_mu"], known["start_sigma"])
        player_row = standings.player_row(season, key, inputs.names[key][1], player, begun)
        if known is None or any(player_row[c] != known[c] for c in PLAYER_COLUMNS):
            player_rows.append(player_row)
    return await _write(connection, season, results, rosters, standing_rows, player_rows, places, joined, ranked)


async def _write(
    connection: AsyncConnection, season: SeasonInfo, results: list[dict[str, Any]], rosters: list[dict[str, Any]],
    standing_rows: list[dict[str, Any]], player_rows: list[dict[str, Any]],
    places: list[tuple[ranks.Place | None, ranks.Place | None]], joined: int, ranked: int,
) -> int:  # fmt: skip
    """Write what a replay changed (wars, rosters, standings, ranks, totals); the rows written."""
    await bulk.update_rows(connection, WarResult.__table__, ("war_id", "clan_id"), REPLAYED, results)
    await bulk.update_rows(connection, WarPlayer.__table__, ("war_id", "clan_id", "user_id"), ROSTER_REPLAYED, rosters)
    await bulk.upsert_rows(connection, ClanRating.__table__, ("season_id", "clan_id"),
                           (*standings.RATING_UPDATED,), standing_rows)  # fmt: skip
    await bulk.upsert_rows(connection, PlayerRating.__table__, ("season_id", "platform", "user_id"),
                           (*standings.PLAYER_UPDATED,), player_rows)  # fmt: skip
    await ranks.apply(connection, season.id, ranks.deltas(places))
    await update_totals(connection, season.id, joined, ranked)
    return len(results) + len(rosters) + len(standing_rows) + len(player_rows)
