"""Ranks without counting the whole board: how many clans of a season are rated above a
rating, and where a leaderboard page starts, in time that does not grow with the season.

A rank is a position: counting the ranked clans rated above a clan is an index scan as long
as the board above it (100,000 clans: some 10 ms), and so is a page deep in the leaderboard
(an OFFSET walks every row before it). So each season keeps `rating_buckets`: how many of
its clans (ranked, and provisional apart) have a rating in each slice of 1/SCALE point,
changed by the results and recomputes in their own transactions. The clans above a rating
are then the sum of the buckets above its own (a few hundred small rows) plus the clans of
its bucket rated above it (an index range of a bucket's clans), and a page at offset N
starts in the bucket where the running sum passes N.

SCALE is a power of two: `rating * SCALE` and `(bucket + 1) / SCALE` are exact floats, so a
bucket's bounds agree exactly with the ratings in it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, func, literal, select, text, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from backend_impl import dialect
from backend_impl.tables import ClanRating, RatingBucket

SCALE = 16  # buckets per rating point
BUCKETS = RatingBucket.__table__.c
RATINGS = ClanRating.__table__.c


def bucket(ordinal: float) -> int:
    return math.floor(ordinal * SCALE)


def upper(bucket_: int) -> float:
    """The first rating above the bucket."""
    return (bucket_ + 1) / SCALE


Place = tuple[bool, float]  # (ranked, ordinal) of a clan's row in the standings


def deltas(changes: Iterable[tuple[Place | None, Place | None]]) -> list[tuple[bool, int, int]]:
    """(ranked, bucket, change of count) from rows' places before and after (None: no row)."""
    counts: Counter[tuple[bool, int]] = Counter()
    for before, after in changes:
        if before is not None:
            counts[(bool(before[0]), bucket(before[1]))] -= 1
        if after is not None:
            counts[(bool(after[0]), bucket(after[1]))] += 1
    return sorted((ranked, b, n) for (ranked, b), n in counts.items() if n)


async def apply(connection: AsyncConnection, season_id: int, changes: list[tuple[bool, int, int]]) -> None:
    """Add the changes to the season's buckets, in key order (two results at once lock the
    rows they share in the same order)."""
    if not changes:
        return
    insert = dialect.insert_for(connection.dialect.name, RatingBucket)
    statement = insert.on_conflict_do_update(
        index_elements=["season_id", "ranked", "bucket"], set_={"clans": BUCKETS.clans + insert.excluded.clans}
    )
    await connection.execute(
        statement, [{"season_id": season_id, "ranked": r, "bucket": b, "clans": n} for r, b, n in changes]
    )


_CUMULATIVE = (
    select(
        BUCKETS.ranked,
        BUCKETS.bucket,
        BUCKETS.clans,
        func.sum(BUCKETS.clans)
        .over(order_by=(BUCKETS.ranked.desc(), BUCKETS.bucket.desc()), rows=(None, 0))
        .label("upto"),
    )
    .where(BUCKETS.season_id == bindparam("season"), BUCKETS.clans > 0)
    .subquery()
)
_START = (
    select(_CUMULATIVE.c.ranked, _CUMULATIVE.c.bucket, (bindparam("offset") - (_CUMULATIVE.c.upto - _CUMULATIVE.c.clans)).label("skip"))
    .where(_CUMULATIVE.c.upto > bindparam("offset"))
    .order_by(_CUMULATIVE.c.ranked.desc(), _CUMULATIVE.c.bucket.desc())
    .limit(1)
)


async def page_start(connection: AsyncConnection, season_id: int, offset: int) -> tuple[bool, float, int] | None:
    """Where the leaderboard's row `offset` is: (ranked, the top of its bucket, rows of the
    bucket to skip); None past the end."""
    row = (await connection.execute(_START, {"season": season_id, "offset": offset})).first()
    if row is None:
        return None
    return bool(row.ranked), upper(row.bucket), int(row.skip)


def _above_one(i: int, season_id: int, ordinal: float, clan_id: int | None) -> Any:
    b = bucket(ordinal)
    buckets_above = (
        select(func.coalesce(func.sum(BUCKETS.clans), 0))
        .where(BUCKETS.season_id == season_id, BUCKETS.ranked.is_(True), BUCKETS.bucket > b)
        .scalar_subquery()
    )
    in_bucket = RATINGS.ordinal > ordinal
    if clan_id is not None:  # ties: the newer clan first
        in_bucket = in_bucket | ((RATINGS.ordinal == ordinal) & (RATINGS.clan_id > clan_id))
    same_bucket = (
        select(func.count())
        .where(RATINGS.season_id == season_id, RATINGS.ranked.is_(True), RATINGS.ordinal >= b / SCALE,
               RATINGS.ordinal < upper(b), in_bucket)
        .scalar_subquery()
    )  # fmt: skip
    return select(literal(i).label("i"), (buckets_above + same_bucket).label("above"))


# PostgreSQL: every place in one prebuilt statement, the places as arrays
_ABOVE_PG = text("""
SELECT x.i,
       (SELECT coalesce(sum(b.clans), 0) FROM rating_buckets b
        WHERE b.season_id = :season AND b.ranked AND b.bucket > x.b)
     + (SELECT count(*) FROM clan_ratings r
        WHERE r.season_id = :season AND r.ranked AND r.ordinal >= x.lo AND r.ordinal < x.hi
          AND (r.ordinal > x.o OR (r.ordinal = x.o AND r.clan_id > x.c))) AS above
FROM unnest(CAST(:i AS integer[]), CAST(:b AS integer[]), CAST(:lo AS float8[]), CAST(:hi AS float8[]),
            CAST(:o AS float8[]), CAST(:c AS integer[])) AS x(i, b, lo, hi, o, c)
""")


async def above(connection: AsyncConnection, season_id: int, places: list[tuple[float, int | None]]) -> list[int]:
    """For each (ordinal, clan id or None), how many ranked clans of the season come before
    it on the leaderboard: rated higher, or (with a clan id) rated the same and newer."""
    if not places:
        return []
    if connection.dialect.name == "postgresql":
        buckets = [bucket(o) for o, _ in places]
        rows = await connection.execute(_ABOVE_PG, {
            "season": season_id, "i": list(range(len(places))), "b": buckets, "lo": [b / SCALE for b in buckets],
            "hi": [upper(b) for b in buckets], "o": [o for o, _ in places],
            "c": [c if c is not None else 2**31 - 1 for _, c in places],  # no clan: no tie counts
        })  # fmt: skip
    else:
        parts = [_above_one(i, season_id, ordinal, clan_id) for i, (ordinal, clan_id) in enumerate(places)]
        statement: Any = parts[0]
        if len(parts) > 1:
            statement = union_all(*parts)
        rows = await connection.execute(statement)
    found = {row.i: int(row.above) for row in rows}
    return [found[i] for i in range(len(places))]
