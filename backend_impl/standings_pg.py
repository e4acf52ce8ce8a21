"""PostgreSQL's direct path for recording a result: one statement reads what the rating update
needs, one writes what it changed, on the asyncpg connection of the vote's own transaction.

`standings.record` through SQLAlchemy runs about ten statements (standings, roster, players,
earlier wins, sequence, results, ratings, totals, players, rosters): some 2 ms of CPU per
result. Here the same reads are one prepared statement and the same writes another (arrays
unnested into each table), around the same `rating.Ledger.apply`, with the same rows built
by the same functions (standings.result_rows, rating_row, player_row, roster_rows), so the
rows written are the portable path's to the bit; tests/backend/test_ratings_maths.py checks
both against a replay.

A player new to the season (no row yet) sends the result down the portable path, which
inserts the row before locking it (two first wars of one player settled at once must not
both start from scratch); `record` then returns None.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import standings
from backend_impl.rating import Ledger, PlayerStanding, Standing, WarInput, soft_reset
from backend_impl.seasons import SeasonInfo
from backend_impl.tables import War

# $1 season, $2 the two clan ids, $3 war id, $4 game, $5 season number, $6/$7 winner/loser
# (0 for a draw), $8 the anti-farming window's start. Players' rows are locked (FOR UPDATE,
# in key order); the clans' rows were locked by the glory update already.
READ = """
WITH roster AS (
  SELECT wp.clan_id, wp.user_id, wp.name, c.platform, wp."position"
  FROM war_players wp JOIN clans c ON c.id = wp.clan_id WHERE wp.war_id = $3::text
),
players AS (
  SELECT pr.platform, pr.user_id, pr.mu, pr.sigma, pr.played FROM player_ratings pr
  WHERE pr.season_id = $1::integer AND (pr.platform, pr.user_id) IN (SELECT platform, user_id FROM roster)
  ORDER BY pr.platform, pr.user_id FOR UPDATE
)
SELECT
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
     AND outcome = 'won' AND settled_at >= $8::timestamp) AS wins
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
# $_T/$_T+1 the season's new listed and ranked clans.
WRITE = f"""
WITH seq AS (SELECT nextval('war_result_seq') AS s),
results AS (
  INSERT INTO war_results (war_id, seq, season_id, game_id, settled_at, repeat, factor, {", ".join(_RESULT_COLUMNS)})
  SELECT $1::text, seq.s, $2::integer, $3::integer, $4::timestamp, $5::integer, $6::float8, v.*
  FROM seq, {_unnest(_R, _RESULT_COLUMNS, _RESULT_TYPES)}
  RETURNING 1
),
ratings AS (
  INSERT INTO clan_ratings (season_id, {", ".join(_RATING_COLUMNS)}, final_rank)
  SELECT $2::integer, v.*, NULL FROM {_unnest(_C, _RATING_COLUMNS, _RATING_TYPES)}
  ON CONFLICT (season_id, clan_id) DO UPDATE SET {_RATING_SET}
  RETURNING 1
),
totals AS (
  UPDATE seasons SET clans = clans + ${_T}::integer, ranked_clans = ranked_clans + ${_T + 1}::integer
  WHERE id = $2::integer AND (${_T}::integer <> 0 OR ${_T + 1}::integer <> 0)
  RETURNING 1
),
players AS (
  UPDATE player_ratings p SET name = v.name, mu = v.mu, sigma = v.sigma, ordinal = v.ordinal, played = v.played
  FROM {_unnest(_P, _PLAYER_COLUMNS, _PLAYER_TYPES)}
  WHERE p.season_id = $2::integer AND p.platform = v.platform AND p.user_id = v.user_id
  RETURNING 1
),
rosters AS (
  UPDATE war_players w SET mu_before = v.mb, sigma_before = v.sb, played_before = v.pb, mu_after = v.ma,
                           sigma_after = v.sa
  FROM {_unnest(_S, _ROSTER_COLUMNS, _ROSTER_TYPES)}
  WHERE w.war_id = $1::text AND w.clan_id = v.c AND w.user_id = v.u
  RETURNING 1
)
SELECT (SELECT count(*) FROM results), (SELECT count(*) FROM ratings), (SELECT count(*) FROM players),
       (SELECT count(*) FROM rosters), (SELECT count(*) FROM totals)
"""


def _json(value: Any) -> list[Any]:
    """A json column: SQLAlchemy's asyncpg dialect decodes it already on its connections."""
    if value is None:
        return []
    return list(json.loads(value) if isinstance(value, str | bytes) else value)


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> list[list[Any]]:
    return [[row[name] for row in rows] for name in names]


async def record(session: AsyncSession, war: War, season: SeasonInfo, now: datetime) -> dict[str, Any] | bool | None:
    """As standings.record; False when the portable path must record it (a new player)."""
    assert war.opponent_clan_id is not None
    connection = await (await session.connection()).get_raw_connection()
    driver = connection.driver_connection
    assert driver is not None
    host, opponent = war.host_clan_id, war.opponent_clan_id
    rated = war.status == "confirmed" and war.result is not None
    winner, loser = 0, 0
    if rated and war.result != "draw":
        winner, loser = (host, opponent) if war.result == "host" else (opponent, host)
    row = await driver.fetchrow(
        READ, season.id, [host, opponent], war.id, season.game_id, season.number, winner, loser, now - season.window
    )
    listed = {c[0]: c for c in _json(row["clans"])}
    previous = {c[0]: soft_reset(c[1], c[2]) for c in _json(row["previous"])}
    roster = _json(row["roster"])
    found = {(p[0], p[1]): PlayerStanding(p[2], p[3], p[4]) for p in _json(row["players"])}
    names = {(r[3], r[1]): r[2] for r in roster}
    clans_of = {(r[3], r[1]): r[0] for r in roster}
    if rated and any(key not in found for key in names):
        return False
    starts: dict[int, tuple[float, float]] = {}
    ledger = Ledger(season.window, players=found)
    for clan_id in (host, opponent):
        if clan_id in listed:
            c = listed[clan_id]
            ledger.clans[clan_id] = Standing(c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8])
            starts[clan_id] = (c[9], c[10])
        else:
            starts[clan_id] = previous.get(clan_id, (Standing().mu, Standing().sigma))
            ledger.clans[clan_id] = Standing(*starts[clan_id])
    if winner:
        ledger.wins[(winner, loser)] = list(row["wins"] or [])
    sides = {c: tuple(k for k in names if clans_of[k] == c) for c in (host, opponent)}
    applied = ledger.apply(
        WarInput(war.id, now, rated, war.result, host, opponent, war.host_glory, war.opponent_glory,
                 sides[host], sides[opponent])
    )  # fmt: skip
    results = standings.result_rows(applied, 0, season)
    both = (applied.host, applied.opponent)
    ratings, players, rosters, joined, newly_ranked = [], [], [], 0, 0
    if rated:
        ratings = [standings.rating_row(season, s.clan_id, s.after, starts[s.clan_id], s.before) for s in both]
        players = [standings.player_row(season, k, names[k], after, before)
                   for k, (before, after) in applied.players.items()]  # fmt: skip
        rosters = standings.roster_rows(applied, clans_of)
        joined = sum(s.clan_id not in listed for s in both)
        newly_ranked = sum(s.before.played < season.provisional_wars <= s.after.played for s in both)
    await driver.fetchrow(
        WRITE, war.id, season.id, season.game_id, now, applied.repeat, applied.factor,
        *_columns(results, _RESULT_COLUMNS), *_columns(ratings, _RATING_COLUMNS),
        *_columns(players, _PLAYER_COLUMNS), *_columns(rosters, _ROSTER_COLUMNS), joined, newly_ranked,
    )  # fmt: skip
    if not rated:
        return None
    return standings.ranked_result(
        season, applied.repeat, applied.factor, (applied.host.before, applied.host.after),
        (applied.opponent.before, applied.opponent.after),
    )  # fmt: skip
