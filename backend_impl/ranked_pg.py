"""PostgreSQL's direct path for a leaderboard page: one statement on the asyncpg pool of
pg_direct.py (no SQLAlchemy, no explicit transaction: one statement is one snapshot).

ranked.get_rating_leaderboard through SQLAlchemy takes six round trips (begin, the season,
where the page starts, the page, the rank changes, commit); here the same reads are one
statement: the season, the running sum of its rating buckets to find the page's start
(ranks.py), the page, and for each ranked clan how many ranked clans are rated above its
rating before its last war (the rank change). The rows are the ones the portable path reads,
rendered by the same functions; a season whose end has passed sends the read down the
portable path, which rolls it over first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from backend_impl import pg_direct, ranks
from backend_impl.seasons import SeasonInfo

_SEASON_COLUMNS = ", ".join(f"s.{c.name} AS season_{c.name}" for c in SeasonInfo.__dataclass_fields__.values())
# $1 game, $2 season number (NULL: the active one), $3 offset, $4 limit
BOARD = f"""
WITH s AS (
  SELECT * FROM seasons
  WHERE game_id = $1::integer AND (CASE WHEN $2::integer IS NULL THEN status = 'active' ELSE number = $2::integer END)
    AND status <> 'planned'
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
    LIMIT $4::bigint OFFSET start.skip
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


async def board(
    pool: pg_direct.DirectPool, game_id: int, number: int | None, offset: int, limit: int, now: datetime
) -> tuple[SeasonInfo, list[Any], dict[int, int]] | None:
    """The season, its page and the page's rank changes' counts; None when the season is
    unknown or (the current one) due to roll over: the portable path answers then."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(BOARD, game_id, number, offset, limit, record_class=pg_direct.Row)
    if not rows:
        return None
    season = SeasonInfo(**{name: rows[0][f"season_{name}"] for name in SeasonInfo.__dataclass_fields__})
    if number is None and season.ends_at <= now:
        return None
    page = [r for r in rows if r["clan_id"] is not None]
    return season, page, {r["clan_id"]: r["above_before"] for r in page if r["above_before"] is not None}
