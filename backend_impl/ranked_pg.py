"""PostgreSQL's direct path for a leaderboard page and a clan's profile: one statement each
on the asyncpg pool of pg_direct.py (no SQLAlchemy, no explicit transaction: one statement
is one snapshot).

ranked.get_rating_leaderboard through SQLAlchemy takes six round trips (begin, the season,
where the page starts, the page, the rank changes, commit); here the same reads are one
statement: the season, the running sum of its rating buckets to find the page's start
(ranks.py), the page, and for each ranked clan how many ranked clans are rated above its
rating before its last war (the rank change). ranked.get_clan_profile takes six to nine
(begin, the clan, its latest game unless named, the season, its standing, its places or its
earlier season's rating, its results, commit); `PROFILE` reads them in one.

The rows are the ones the portable path reads, rendered by the same functions (ranked.py);
anything else (no such clan, game or season, or a current season whose end has passed)
sends the read down the portable path, which refuses in its own words or rolls the season
over first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

from backend_impl import pg_direct, ranks
from backend_impl.catalogue import GameInfo
from backend_impl.ranked_reads import ProfileRows
from backend_impl.rating import DEFAULT_MU, DEFAULT_SIGMA, soft_reset
from backend_impl.seasons import SeasonInfo
from backend_impl.shapes import ClanLike
from backend_impl.tables import ClanRating

MAX_PAGE = 100  # openapi.yaml's Limit

_SEASON_COLUMNS = ", ".join(f"s.{c.name} AS season_{c.name}" for c in SeasonInfo.__dataclass_fields__.values())
# $1 game, $2 season number (NULL: the active one), $3 offset; the page's size is written into
# the statement ({limit}, one statement per size: `board_statement`). asyncpg prepares it once
# per connection and PostgreSQL then keeps one generic plan for any arguments (planning the
# statement took ~0.5 ms a call, about as long as running it) as long as that plan's
# estimated cost is no higher than the plans made for each call. A `LIMIT $4` would estimate a
# tenth of the season's clans on the page, and the rank-change counts once per such row:
# ~170 times the real cost, so PostgreSQL planned every call again (and past
# `jit_above_cost`, a forced generic plan spent ~1.5 s JIT-compiling). Likewise the season is
# `LIMIT 1` (one active per game, numbers unique per game), which the generic plan cannot know.
BOARD = f"""
WITH s AS (
  SELECT * FROM seasons
  WHERE game_id = $1::integer AND (CASE WHEN $2::integer IS NULL THEN status = 'active' ELSE number = $2::integer END)
    AND status <> 'planned'
  LIMIT 1
),
cum AS (
  SELECT b.ranked, b.bucket, b.clans,
         sum(b.clans) OVER (ORDER BY b.ranked DESC, b.bucket DESC ROWS UNBOUNDED PRECEDING) AS upto
  FROM rating_buckets b WHERE b.season_id = (SELECT id FROM s) AND b.clans > 0
),
start AS (
  SELECT ranked, (bucket + 1)::float8 / {ranks.SCALE} AS upper, $3::bigint - (upto - clans) AS skip
  FROM cum WHERE upto > $3::bigint ORDER BY ranked DESC, bucket DESC LIMIT 1
),
page AS (
  SELECT r.* FROM start, LATERAL (
    SELECT * FROM clan_ratings
    WHERE season_id = (SELECT id FROM s) AND (ranked, ordinal) < (start.ranked, start.upper)
    ORDER BY ranked DESC, ordinal DESC, clan_id DESC
    LIMIT {{limit}} OFFSET start.skip
  ) r
)
SELECT {_SEASON_COLUMNS}, p.*, c.server_id, c.platform, c.name,
  CASE WHEN p.ranked AND p.last_ranked_before AND p.last_ordinal_before IS NOT NULL THEN
    (SELECT coalesce(sum(b.clans), 0) FROM rating_buckets b
     WHERE b.season_id = s.id AND b.ranked AND b.bucket > floor(p.last_ordinal_before * {ranks.SCALE})::integer)
  + (SELECT count(*) FROM clan_ratings o
     WHERE o.season_id = s.id AND o.ranked AND o.ordinal > p.last_ordinal_before
       AND o.ordinal < (floor(p.last_ordinal_before * {ranks.SCALE}) + 1) / {ranks.SCALE})
  END AS above_before
FROM s LEFT JOIN page p ON true LEFT JOIN clans c ON c.id = p.clan_id
ORDER BY p.ranked DESC, p.ordinal DESC, p.clan_id DESC
"""


@functools.cache
def board_statement(limit: int) -> str:
    """BOARD for pages of `limit` clans (the API's 1 to 100)."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"a leaderboard page has 1 to {MAX_PAGE} clans, not {limit}")
    return BOARD.replace("{limit}", str(int(limit)))


async def board(
    pool: pg_direct.DirectPool, game_id: int, number: int | None, offset: int, limit: int, now: datetime
) -> tuple[SeasonInfo, list[Any], dict[int, int]] | None:
    """The season, its page and the page's rank changes' counts; None when the season is
    unknown or (the current one) due to roll over: the portable path answers then."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(board_statement(limit), game_id, number, offset, record_class=pg_direct.Row)
    if not rows:
        return None
    season = SeasonInfo(**{name: rows[0][f"season_{name}"] for name in SeasonInfo.__dataclass_fields__})
    if number is None and season.ends_at <= now:
        return None
    page = [r for r in rows if r["clan_id"] is not None]
    return season, page, {r["clan_id"]: r["above_before"] for r in page if r["above_before"] is not None}


# --- a clan's profile ---------------------------------------------------------------------------

_RATING_NAMES = tuple(c.name for c in ClanRating.__table__.c)
_BUCKET = f"floor(r.ordinal * {ranks.SCALE})"  # ranks.bucket, and its bounds as ranks.above takes them
_BUCKET_BEFORE = f"floor(r.last_ordinal_before * {ranks.SCALE})"
# $1 platform, $2 server id, $3 game (NULL: the game of the clan's latest result), $4 season
# number (NULL: the active one), $5 recent results. What ranked._profile_rows reads in four to
# seven statements: the clan; its game and season (no row when there is none: the portable
# path refuses in its own words); its standing there, or without one its rating at the end of
# its latest earlier season of the game (the soft reset's input); when ranked, the ranked
# clans before it and those above its rating before its last war (ranks.above: the buckets
# above, plus the clans of its bucket above it); and its latest results, one row each, with
# ranked._HISTORY's columns (its season_number and season_name are the head's: the season read).
# asyncpg prepares it once per connection; PostgreSQL then plans it once for any arguments (a
# generic plan: every step is an index lookup from the clan) as long as that plan's estimate
# is no worse than the plans made for each call, which cost ~1 ms of planning each: hence
# `LIMIT 1` on the season (one active per game, numbers unique per game) and the head
# MATERIALIZED, so that no estimate multiplies the rank counts by imagined rows.
PROFILE = f"""
WITH clan AS (
  SELECT id, platform, server_id, name, channel_id FROM clans WHERE platform = $1::text AND server_id = $2::text
),
s AS (
  SELECT se.* FROM clan, seasons se
  WHERE se.game_id = coalesce($3::integer, (SELECT w.game_id FROM war_results w WHERE w.clan_id = clan.id
                                            ORDER BY w.seq DESC LIMIT 1))
    AND (CASE WHEN $4::integer IS NULL THEN se.status = 'active' ELSE se.number = $4::integer END)
    AND se.status <> 'planned'
  LIMIT 1
),
r AS (
  SELECT cr.* FROM clan, s, clan_ratings cr WHERE cr.season_id = s.id AND cr.clan_id = clan.id
),
earlier AS (
  SELECT p.mu, p.sigma FROM clan, s, clan_ratings p JOIN seasons e ON e.id = p.season_id
  WHERE NOT EXISTS (SELECT 1 FROM r) AND p.clan_id = clan.id AND e.game_id = s.game_id AND e.number < s.number
  ORDER BY e.number DESC LIMIT 1
),
head AS MATERIALIZED (  -- once: not again for each result row
  SELECT clan.id AS clan_key, clan.platform AS clan_platform, clan.server_id AS clan_server,
         clan.name AS clan_name, clan.channel_id AS clan_channel, {_SEASON_COLUMNS},
         {", ".join(f"r.{name} AS rating_{name}" for name in _RATING_NAMES)},
         earlier.mu AS earlier_mu, earlier.sigma AS earlier_sigma,
         CASE WHEN r.ranked THEN
           (SELECT coalesce(sum(b.clans), 0) FROM rating_buckets b
            WHERE b.season_id = s.id AND b.ranked AND b.bucket > {_BUCKET}::integer)
         + (SELECT count(*) FROM clan_ratings o
            WHERE o.season_id = s.id AND o.ranked AND o.ordinal >= {_BUCKET} / {ranks.SCALE}
              AND o.ordinal < ({_BUCKET} + 1) / {ranks.SCALE}
              AND (o.ordinal > r.ordinal OR (o.ordinal = r.ordinal AND o.clan_id > r.clan_id)))
         END AS above,
         CASE WHEN r.ranked AND r.last_ranked_before AND r.last_ordinal_before IS NOT NULL THEN
           (SELECT coalesce(sum(b.clans), 0) FROM rating_buckets b
            WHERE b.season_id = s.id AND b.ranked AND b.bucket > {_BUCKET_BEFORE}::integer)
         + (SELECT count(*) FROM clan_ratings o
            WHERE o.season_id = s.id AND o.ranked AND o.ordinal > r.last_ordinal_before
              AND o.ordinal < ({_BUCKET_BEFORE} + 1) / {ranks.SCALE})
         END AS above_before
  FROM clan LEFT JOIN s ON true LEFT JOIN r ON true LEFT JOIN earlier ON true
)
SELECT head.*, h.*
FROM head LEFT JOIN LATERAL (
  SELECT w.seq, w.war_id, w.game_id, w.outcome, w.settled_at, w.glory, w.repeat, w.factor, w.mu_before,
         w.sigma_before, w.mu_after, w.sigma_after,
         op.server_id AS opponent_server, op.platform AS opponent_platform, op.name AS opponent_name
  FROM war_results w JOIN clans op ON op.id = w.opponent_clan_id
  WHERE w.clan_id = head.clan_key AND w.season_id = head.season_id
  ORDER BY w.seq DESC LIMIT $5::bigint
) h ON true
ORDER BY h.seq DESC
"""


def _clan(row: Any) -> ClanLike:
    return cast(ClanLike, SimpleNamespace(id=row["clan_key"], platform=row["clan_platform"],
                                          server_id=row["clan_server"], name=row["clan_name"],
                                          channel_id=row["clan_channel"]))  # fmt: skip


async def profile(
    pool: pg_direct.DirectPool, platform: str, server_id: str, game: int | None, number: int | None, recent: int,
    games: Mapping[int, GameInfo], now: datetime,
) -> ProfileRows | None:  # fmt: skip
    """A clan's profile in one statement; None when the portable path must answer: no such
    clan, no game to show (none named, no result yet), an unknown game or season, or the
    current season due to roll over."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(PROFILE, platform, server_id, game, number, recent, record_class=pg_direct.Row)
    if not rows or rows[0]["season_id"] is None:
        return None
    first = rows[0]
    info = games.get(first["season_game_id"])
    season = SeasonInfo(**{name: first[f"season_{name}"] for name in SeasonInfo.__dataclass_fields__})
    if info is None or (number is None and season.ends_at <= now):
        return None
    rating = None if first["rating_clan_id"] is None else {n: first[f"rating_{n}"] for n in _RATING_NAMES}
    start = None
    if rating is None:  # as standings.clan_starts: the earlier season's rating soft-reset, or the default
        earlier = first["earlier_mu"], first["earlier_sigma"]
        start = soft_reset(*earlier) if earlier[0] is not None else (DEFAULT_MU, DEFAULT_SIGMA)
    results = [r for r in rows if r["war_id"] is not None]  # none: the LEFT JOIN's one row
    return ProfileRows(_clan(first), info, season, rating, start, first["above"], first["above_before"], results)
