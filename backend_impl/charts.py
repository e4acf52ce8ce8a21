"""A clan's rating-history chart (tag `charts`): `getClanRatingChart` for API callers, and
the same picture for the public pages (web/). The drawing and its cache are chart.py.

The data are read on every request (one indexed query, a clan has tens of wars a season);
the ETag is a digest of them, so a 304 costs no drawing and a 200 usually none either
(the cache). The game and season are chosen as the profile chooses them (ranked_reads.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connexion.lifecycle import ConnexionResponse
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import chart, conditional, ranked_reads, standings
from backend_impl.identity import find_clan
from backend_impl.tables import WarResult
from gmbot.server.types import Reply, RequestContext

RESULTS = WarResult.__table__.c
_POINTS = (
    select(RESULTS.outcome, RESULTS.mu_before, RESULTS.sigma_before, RESULTS.mu_after, RESULTS.sigma_after,
           RESULTS.settled_at)
    .where(RESULTS.clan_id == bindparam("clan"), RESULTS.season_id == bindparam("season"),
           RESULTS.outcome.in_(standings.RATED))
    .order_by(RESULTS.seq)
)  # fmt: skip


@dataclass(frozen=True)
class Picture:
    status: int  # 200 or 304
    body: bytes
    headers: dict[str, str]


async def chart_data(platform: str, server_id: str, game: int | None, season: int | None) -> chart.ChartData:
    """The points of the clan's chart, read like its profile (ranked_reads.clan_scope: the same
    game and season defaults, the same 404 and 422)."""

    async def read(session: AsyncSession, now: datetime) -> chart.ChartData:
        clan = await find_clan(session, platform, server_id)
        info, chosen = await ranked_reads.clan_scope(session, clan, game, season, now)
        rows = list(await session.execute(_POINTS, {"clan": clan.id, "season": chosen.id}))
        if rows:
            start = ranked_reads.shown_rating(rows[0].mu_before, rows[0].sigma_before)
        else:
            connection = await session.connection()
            begin = (await standings.clan_starts(connection, chosen, [clan.id]))[clan.id].start
            start = ranked_reads.shown_rating(*begin)
        after = [(r.outcome, ranked_reads.shown_rating(r.mu_after, r.sigma_after), r.settled_at.strftime("%Y-%m-%d"))
                 for r in rows]  # fmt: skip
        return chart.ChartData(clan.name, info.name, chosen.name, chart.points(start, after))

    return await ranked_reads.read_with_rollover(read)


async def picture(data: chart.ChartData, if_none_match: str | None, cache_control: str) -> Picture:
    """200 with the PNG (drawn, or from the cache), or 304 when the caller holds its tag."""
    tag = data.etag()
    headers = {"ETag": tag, "Cache-Control": cache_control}
    if if_none_match and conditional.matches(if_none_match, tag):
        return Picture(304, b"", headers)
    return Picture(200, await chart.CACHE.png(data), {**headers, "Content-Type": "image/png"})


async def get_clan_rating_chart(
    ctx: RequestContext, *, server_id: str, game: int | None = None, season: int | None = None
) -> Any:
    data = await chart_data(ctx.platform, server_id, game, season)
    # no-cache: a client may keep the picture but asks again (cheaply, with its ETag) each time
    answer = await picture(data, ctx.headers.get("if-none-match"), "no-cache")
    if answer.status == 304:
        return Reply(304, None, answer.headers)
    return ConnexionResponse(status_code=200, body=answer.body, content_type="image/png", mimetype="image/png",
                             headers=answer.headers)  # fmt: skip
