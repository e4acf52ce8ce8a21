"""PostgreSQL's direct path for recording a result: one statement locks and reads what the
rating update needs, one writes what it changed, on the asyncpg connection of the vote's own
transaction.

`standings.record` through SQLAlchemy runs about ten statements (standings, roster, players,
earlier wins, sequence, results, ratings, totals, players, rosters): some 2 ms of CPU per
result. Here `read` also takes the clans' row locks (in id order, as results._lock_clans
does) and the season's shared lock, so the glory update needs no lock statement of its own,
and `write` is one statement (arrays unnested into each table); around them the same
`rating.Ledger.apply` builds the same rows with the same functions (standings.result_rows,
rating_row, player_row, roster_rows): the rows written are the portable path's to the bit,
which tests/backend/test_ratings_maths.py checks against a replay.

`read` reads in the snapshot its statement started with, before its locks were granted: a
result or a recompute that held them may have changed what it read. So `write` first checks
(`guard`, in its own, later snapshot) that the standings and players it computed from are
still those, and the season still current; if not, it writes nothing and says STALE, and
the caller reads again (holding the locks now, that read is current).

A player new to the season (no row yet) sends the result down the portable path, which
inserts the row before locking it (two first wars of one player settled at once must not
both start from scratch).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import seasons, standings
from backend_impl.rating import Ledger, PlayerKey, PlayerStanding, Standing, WarInput, soft_reset
from backend_impl.seasons import SeasonInfo
from backend_impl.tables import War

# $1 season, $2 the two clan ids, $3 war id, $4 game, $5 season number, $6/$7 winner/loser
# (0 for a draw), $8 the anti-farming window's start, $9 now. Locks: the clans' rows (in id
# order), the season's shared lock, the players' rating rows (in key order).
READ = f"""
WITH locked AS (
  SELECT id FROM clans WHERE id = ANY($2::integer[]) ORDER BY id FOR UPDATE
),
season_lock AS (
  SELECT pg_advisory_xact_lock_shared({seasons.LOCK_CLASS}, $1::integer)
),
roster AS (
  SELECT wp.clan_id, wp.user_id, wp.name, c.platform, wp."position"
  FROM war_players wp JOIN clans c ON c.id = wp.clan_id WHERE wp.war_id = $3::text
),
players AS (
  SELECT pr.platform, pr.user_id, pr.mu, pr.sigma, pr.played FROM player_ratings pr
  WHERE pr.season_id = $1::integer AND (pr.platform, pr.user_id) IN (SELECT platform, user_id FROM roster)
  ORDER BY pr.platform, pr.user_id FOR UPDATE
)
SELECT
  (SELECT count(*) FROM locked) AS locked,
  (SELECT count(*) FROM season_lock) AS season_locked,
  (SELECT json_agg(json_build_array(clan_id, mu, sigma, played, won, lost, drawn, glory, streak, start_mu,
                                    start_sigma))
   FROM clan_ratings WHERE season_id = $1::integer AND clan_id = ANY($2::integer[])) AS clans,
  (SELECT json_agg(json_build_array(p.clan_id, p.mu, p.sigma)) FROM (
     SELECT DISTINCT ON (cr.clan_id) cr.clan_id, cr.mu, cr.sigma
     FROM clan_ratings cr JOIN seasons s ON s.id = cr.season_id
     WHERE cr.clan_id = ANY($2::integer[]) AND s.game_id = $4::integer AND s.number < $5::integer
     ORDER BY cr.clan_id, s.number DESC) p) AS previous,
  (SELECT json_agg(json_build_array(clan_id, user_id, name, platform) ORDER BY clan_id, "position")
   FROM roster) AS roster,
  (SELECT json_agg(json_build_array(platform, user_id, mu, sigma, played)) FROM players) AS players,
  (SELECT array_agg(settled_at ORDER BY settled_at) FROM war_results
   WHERE clan_id = $6::integer AND opponent_clan_id = $7::integer AND season_id = $1::integer
     AND outcome = 'won' AND settled_at >= $8::timestamp) AS wins,
  (SELECT status = 'active' AND ends_at > $9::timestamp FROM seasons WHERE id = $1::integer) AS current
"""

_RESULT_COLUMNS = ("clan_id", "opponent_clan_id", "outcome", "glory", "mu_before", "sigma_before", "mu_after",
                   "sigma_after", "played_before", "won_before", "lost_before", "drawn_before", "glory_before",
                   "streak_before")  # fmt: skip
_RESULT_TYPES = ("integer", "integer", "text", "integer", "float8", "float8", "float8", "float8", "integer",
                 "integer", "integer", "integer", "integer", "integer")  # fmt: skip
_RATING_COLUMNS = ("clan_id", "mu", "sigma", "ordinal", "start_mu", "start_sigma", "played", "won", "lost",
                   "drawn", "glory", "streak", "ranked", "last_ordinal_before", "last_ranked_before")  # fmt: skip
_RATING_TYPES = ("integer", "float8", "float8", "float8", "float8", "float8", "integer", "integer", "integer",
                 "integer", "integer", "integer", "boolean", "float8", "boolean")  # fmt: skip
_PLAYER_COLUMNS = ("platform", "user_id", "name", "mu", "sigma", "ordinal", "played")
_PLAYER_TYPES = ("text", "text", "text", "float8", "float8", "float8", "integer")
_ROSTER_COLUMNS = ("c", "u", "mb", "sb", "pb", "ma", "sa")
_ROSTER_TYPES = ("integer", "text", "float8", "float8", "integer", "float8", "float8")


def _unnest(first: int, columns: tuple[str, ...], types: tuple[str, ...]) -> str:
    """`unnest($first::t[], ...) AS v(columns)`."""
    arrays = ", ".join(f"${first + i}::{t}[]" for i, t in enumerate(types))
    return f"unnest({arrays}) AS v({', '.join(columns)})"


_R = 7  # the first parameter of each array group
_C = _R + len(_RESULT_COLUMNS)
_P = _C + len(_RATING_COLUMNS)
_S = _P + len(_PLAYER_COLUMNS)
_T = _S + len(_ROSTER_COLUMNS)
_RATING_SET = ", ".join(f"{c} = excluded.{c}" for c in (*_RATING_COLUMNS[1:4], *_RATING_COLUMNS[6:], "final_rank"))
# $1 war, $2 season, $3 game, $4 settled at, $5 repeat, $6 factor, then the arrays, then
# $_T/$_T+1 the season's new listed and ranked clans, then what `guard` checks: the two clan
# ids, the standings read (clan ids, mu, sigma, played), the players read (platform, user id,
# mu, sigma, played); then the rating buckets' changes (ranked, bucket, count: ranks.py).
# Nothing is written unless the guard holds.
_G = _T + 2
WRITE = f"""
WITH guard AS (
  SELECT (SELECT status = 'active' AND ends_at > $4::timestamp FROM seasons WHERE id = $2::integer)
     AND (SELECT count(*) FROM clan_ratings WHERE season_id = $2::integer AND clan_id = ANY(${_G}::integer[]))
         = cardinality(${_G + 1}::integer[])
     AND (SELECT count(*) FROM clan_ratings c
          JOIN unnest(${_G + 1}::integer[], ${_G + 2}::float8[], ${_G + 3}::float8[], ${_G + 4}::integer[])
            AS g(clan_id, mu, sigma, played) ON c.clan_id = g.clan_id
          WHERE c.season_id = $2::integer AND c.mu = g.mu AND c.sigma = g.sigma AND c.played = g.played)
         = cardinality(${_G + 1}::integer[])
     AND (SELECT count(*) FROM player_ratings p
          JOIN unnest(${_G + 5}::text[], ${_G + 6}::text[], ${_G + 7}::float8[], ${_G + 8}::float8[],
                      ${_G + 9}::integer[]) AS g(platform, user_id, mu, sigma, played)
            ON p.platform = g.platform AND p.user_id = g.user_id
          WHERE p.season_id = $2::integer AND p.mu = g.mu AND p.sigma = g.sigma AND p.played = g.played)
         = cardinality(${_G + 5}::text[]) AS ok
),
seq AS (SELECT nextval('war_result_seq') AS s FROM guard WHERE guard.ok),
results AS (
  INSERT INTO war_results (war_id, seq, season_id, game_id, settled_at, repeat, factor, {", ".join(_RESULT_COLUMNS)})
  SELECT $1::text, seq.s, $2::integer, $3::integer, $4::timestamp, $5::integer, $6::float8, v.*
  FROM seq, {_unnest(_R, _RESULT_COLUMNS, _RESULT_TYPES)}
  RETURNING 1
),
ratings AS (
  INSERT INTO clan_ratings (season_id, {", ".join(_RATING_COLUMNS)}, final_rank)
  SELECT $2::integer, v.*, NULL FROM guard, {_unnest(_C, _RATING_COLUMNS, _RATING_TYPES)} WHERE guard.ok
  ON CONFLICT (season_id, clan_id) DO UPDATE SET {_RATING_SET}
  RETURNING 1
),
totals AS (
  UPDATE seasons SET clans = clans + ${_T}::integer, ranked_clans = ranked_clans + ${_T + 1}::integer
  WHERE id = $2::integer AND (${_T}::integer <> 0 OR ${_T + 1}::integer <> 0) AND (SELECT ok FROM guard)
  RETURNING 1
),
players AS (
  UPDATE player_ratings p SET name = v.name, mu = v.mu, sigma = v.sigma, ordinal = v.ordinal, played = v.played
  FROM {_unnest(_P, _PLAYER_COLUMNS, _PLAYER_TYPES)}
  WHERE p.season_id = $2::integer AND p.platform = v.platform AND p.user_id = v.user_id AND (SELECT ok FROM guard)
  RETURNING 1
),
buckets AS (
  INSERT INTO rating_buckets (season_id, ranked, bucket, clans)
  SELECT $2::integer, v.ranked, v.bucket, v.clans
  FROM guard, unnest(${_G + 10}::boolean[], ${_G + 11}::integer[], ${_G + 12}::integer[]) AS v(ranked, bucket, clans)
  WHERE guard.ok ORDER BY v.ranked, v.bucket
  ON CONFLICT (season_id, ranked, bucket) DO UPDATE SET clans = rating_buckets.clans + excluded.clans
  RETURNING 1
),
rosters AS (
  UPDATE war_players w SET mu_before = v.mb, sigma_before = v.sb, played_before = v.pb, mu_after = v.ma,
                           sigma_after = v.sa
  FROM {_unnest(_S, _ROSTER_COLUMNS, _ROSTER_TYPES)}
  WHERE w.war_id = $1::text AND w.clan_id = v.c AND w.user_id = v.u AND (SELECT ok FROM guard)
  RETURNING 1
)
SELECT (SELECT ok FROM guard) AS ok, (SELECT count(*) FROM results) AS results,
       (SELECT count(*) FROM ratings) AS ratings, (SELECT count(*) FROM players) AS players,
       (SELECT count(*) FROM rosters) AS rosters, (SELECT count(*) FROM totals) AS totals
"""


def _json(value: Any) -> list[Any]:
    """A json column: SQLAlchemy's asyncpg dialect decodes it already on its connections."""
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str | bytes) else value)


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    return [[row[name] for row in rows] for name in names]


PORTABLE = "portable"  # a new player: standings.record must record it
STALE = "stale"  # what `read` read changed before its locks were granted: read again


@dataclass(frozen=True)
class Read:
    """What `read` found: the standings, starts, players, roster and earlier wins."""

    current: bool  # the season is (as read) still the active one
    listed: dict[int, list[Any]]  # clan id -> its clan_ratings values
    previous: dict[int, tuple[float, float]]  # soft-reset starts from an earlier season
    players: dict[PlayerKey, PlayerStanding]
    names: dict[PlayerKey, str]
    clans_of: dict[PlayerKey, int]
    wins: list[datetime]


def sides(war: War, result: str | None) -> tuple[int, int]:
    """(winner, loser) clan ids of a result; (0, 0) for a draw or none."""
    if result in ("host", "opponent"):
        assert war.opponent_clan_id is not None
        host, opponent = war.host_clan_id, war.opponent_clan_id
        return (host, opponent) if result == "host" else (opponent, host)
    return 0, 0


async def _driver(session: AsyncSession) -> Any:
    """The transaction's asyncpg connection (looked up once: `read` and `write` both need it)."""
    driver = session.info.get("gmbot.asyncpg")
    if driver is None:
        driver = (await (await session.connection()).get_raw_connection()).driver_connection
        assert driver is not None
        session.info["gmbot.asyncpg"] = driver
    return driver


async def read(session: AsyncSession, war: War, season: SeasonInfo, now: datetime, result: str | None) -> Read:
    """Lock the war's clans (id order), the season (shared) and the players' rows, and read
    their standings. `result`: what the votes say (host, opponent, draw; None: disputed)."""
    assert war.opponent_clan_id is not None
    winner, loser = sides(war, result)
    row = await (await _driver(session)).fetchrow(
        READ, season.id, [war.host_clan_id, war.opponent_clan_id], war.id, season.game_id, season.number,
        winner, loser, now - season.window, now,
    )  # fmt: skip
    roster = _json(row["roster"])
    return Read(
        current=bool(row["current"]),
        listed={c[0]: c for c in _json(row["clans"])},
        previous={c[0]: soft_reset(c[1], c[2]) for c in _json(row["previous"])},
        players={(p[0], p[1]): PlayerStanding(p[2], p[3], p[4]) for p in _json(row["players"])},
        names={(r[3], r[1]): r[2] for r in roster},
        clans_of={(r[3], r[1]): r[0] for r in roster},
        wins=list(row["wins"] or []),
    )


async def write(session: AsyncSession, war: War, season: SeasonInfo, now: datetime, found: Read) -> dict[str, Any] | str | None:
    """Record the war (its status, result and glory set) from what `read` found: the rating
    changes (None when nothing was rated), or PORTABLE or STALE, having written nothing."""
    assert war.opponent_clan_id is not None
    host, opponent = war.host_clan_id, war.opponent_clan_id
    rated = war.status == "confirmed" and war.result is not None
    if rated and any(key not in found.players for key in found.names):
        return PORTABLE
    starts: dict[int, tuple[float, float]] = {}
    ledger = Ledger(season.window, players=dict(found.players))
    for clan_id in (host, opponent):
        if clan_id in found.listed:
            c = found.listed[clan_id]
            ledger.clans[clan_id] = Standing(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
            starts[clan_id] = (c[9], c[10])
        else:
            starts[clan_id] = found.previous.get(clan_id, (Standing().mu, Standing().sigma))
            ledger.clans[clan_id] = Standing(*starts[clan_id])
    winner, loser = sides(war, war.result if rated else None)
    if winner:
        ledger.wins[(winner, loser)] = list(found.wins)
    by_clan = {c: tuple(k for k in found.names if found.clans_of[k] == c) for c in (host, opponent)}
    applied = ledger.apply(
        WarInput(war.id, now, rated, war.result, host, opponent, war.host_glory, war.opponent_glory,
                 by_clan[host], by_clan[opponent])
    )  # fmt: skip
    results = standings.result_rows(applied, 0, season)
    both = (applied.host, applied.opponent)
    ratings, players, rosters, joined, newly_ranked = [], [], [], 0, 0
    buckets: list[tuple[bool, int, int]] = []
    if rated:
        ratings = [standings.rating_row(season, s.clan_id, s.after, starts[s.clan_id], s.before) for s in both]
        players = [standings.player_row(season, k, found.names[k], after, before)
                   for k, (before, after) in applied.players.items()]  # fmt: skip
        rosters = standings.roster_rows(applied, found.clans_of)
        joined = sum(s.clan_id not in found.listed for s in both)
        newly_ranked = sum(s.before.played < season.provisional_wars <= s.after.played for s in both)
        buckets = standings.bucket_changes(season, both, set(found.listed))
    listed = list(found.listed.values())
    keys = list(found.players)
    written = await (await _driver(session)).fetchrow(
        WRITE, war.id, season.id, season.game_id, now, applied.repeat, applied.factor,
        *_columns(results, _RESULT_COLUMNS), *_columns(ratings, _RATING_COLUMNS),
        *_columns(players, _PLAYER_COLUMNS), *_columns(rosters, _ROSTER_COLUMNS), joined, newly_ranked,
        [host, opponent], [c[0] for c in listed], [c[1] for c in listed], [c[2] for c in listed],
        [c[3] for c in listed], [k[0] for k in keys], [k[1] for k in keys],
        [found.players[k].mu for k in keys], [found.players[k].sigma for k in keys],
        [found.players[k].played for k in keys],
        [b[0] for b in buckets], [b[1] for b in buckets], [b[2] for b in buckets],
    )  # fmt: skip
    if not written["ok"]:
        return STALE
    if not rated:
        return None
    return standings.ranked_result(
        season, applied.repeat, applied.factor, (applied.host.before, applied.host.after),
        (applied.opponent.before, applied.opponent.after),
    )  # fmt: skip
