"""Results (tag `results`): votes, glory points, leaderboard.

When a war ends each clan's Leader or Co-Leader votes win / lose / draw from its
own side. Agreeing votes (win+lose, lose+win, draw+draw) confirm the result and
award glory: GLORY_WIN to the winner, GLORY_DRAW to each clan on a draw, nothing
to the loser. Any other pair marks the war disputed: no glory, counted as played
and disputed. A clan votes once; repeating the same vote changes nothing.

The same transaction records the result in the game's current season and updates both
clans' (and their players') ratings (standings.record); the reply and the war.confirmed
events carry the rating changes (`ranked`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import (
    db,
    errors,
    idempotency,
    outbox,
    seasons,
    standings,
    standings_pg,
    tickets,
    views,
)
from backend_impl.clock import utcnow
from backend_impl.identity import MANAGERS, find_clan, require_role
from backend_impl.pages import page
from backend_impl.tables import Clan, War
from backend_impl.wars import load_war, normalize_war_id, render
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

GLORY_WIN = 3
GLORY_DRAW = 1
AGREEING = {("win", "lose"): "host", ("lose", "win"): "opponent", ("draw", "draw"): "draw"}


def outcome(host_vote: str, opponent_vote: str) -> str | None:
    """'host', 'opponent', 'draw', or None when the votes disagree."""
    return AGREEING.get((host_vote, opponent_vote))


async def _lock_clans(session: AsyncSession, season_id: int, *clan_ids: int) -> None:
    """Lock the clans' rows in id order: two wars between the same clans, settled at once
    with host and opponent swapped, would otherwise lock them in opposite orders and
    deadlock (PostgreSQL aborts one). The same statement takes the season's shared lock
    (seasons.py: no result lands in a season being rolled over or recomputed). SQLite has
    one writer: nothing to lock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(Clan.id, seasons.lock_shared_column(season_id))
            .where(Clan.id.in_(clan_ids))
            .order_by(Clan.id)
            .with_for_update(of=Clan)
        )


VERDICTS = ("host", "opponent", "draw", "void")  # what a referee, a forfeit or the grace rule decides


def glory_of(result: str | None) -> tuple[int, int]:
    """(host, opponent) glory of a result: host, opponent, draw; none for void or disputed."""
    if result == "draw":
        return GLORY_DRAW, GLORY_DRAW
    return {"host": (GLORY_WIN, 0), "opponent": (0, GLORY_WIN)}.get(result or "", (0, 0))


def counters(status: str, result: str | None, glory: tuple[int, int]) -> tuple[dict[str, int], dict[str, int]]:
    """What a settled war adds to its clans' all-time counters (host's, opponent's): a
    confirmed war a win, loss or draw and its glory, a disputed one `disputed`, a void one (or
    one not settled) nothing. A verdict moves the clans from one to the other."""
    if status == "disputed":
        return {"played": 1, "disputed": 1}, {"played": 1, "disputed": 1}
    if status != "confirmed" or result is None:
        return {}, {}
    host, opponent = {"host": ("won", "lost"), "opponent": ("lost", "won"), "draw": ("drawn", "drawn")}[result]
    return ({"played": 1, host: 1, "glory": glory[0]}, {"played": 1, opponent: 1, "glory": glory[1]})


async def _award(
    session: AsyncSession, war: War, season_id: int, *, locked: bool = False, verdict: str | None = None
) -> None:
    """The result and glory on the war and the clans' counters; `locked`: the clans' rows and
    the season's lock are held already (standings_pg.read took them). `verdict` (host,
    opponent, draw, void): decided without both votes (a forfeit, the grace rule, a referee)."""
    assert war.opponent_clan_id is not None
    host, opponent = war.host_clan_id, war.opponent_clan_id
    if not locked:
        await _lock_clans(session, season_id, host, opponent)
    if verdict == "void":
        war.status, war.result, war.host_glory, war.opponent_glory = "void", None, 0, 0
        return
    result = verdict if verdict is not None else outcome(war.host_vote or "", war.opponent_vote or "")
    if result is None:
        war.status, war.result = "disputed", None
        for clan_id in sorted((host, opponent)):
            await session.execute(
                update(Clan)
                .where(Clan.id == clan_id)
                .values(played=Clan.played + 1, disputed=Clan.disputed + 1)
            )
        return
    war.status, war.result = "confirmed", result
    if result == "draw":
        war.host_glory = war.opponent_glory = GLORY_DRAW
        outcomes = {host: "drawn", opponent: "drawn"}
    else:
        winner, loser = (host, opponent) if result == "host" else (opponent, host)
        war.host_glory = GLORY_WIN if winner == host else 0
        war.opponent_glory = GLORY_WIN if winner == opponent else 0
        outcomes = {winner: "won", loser: "lost"}
    glory = {host: war.host_glory, opponent: war.opponent_glory}
    for clan_id, column in sorted(outcomes.items()):
        counter = getattr(Clan, column)
        await session.execute(
            update(Clan)
            .where(Clan.id == clan_id)
            .values(
                {
                    column: counter + 1,
                    "played": Clan.played + 1,
                    "glory": Clan.glory + glory[clan_id],
                }
            )
        )


async def _settle(session: AsyncSession, war: War, now: datetime, verdict: str | None = None) -> dict[str, Any] | None:
    """Award the result (status, glory, counters) and record it in its season with the
    ratings it moves; the rating changes (None when nothing was rated).

    The season first (it may roll over), then the clans' row locks with the season's shared
    lock. On PostgreSQL's direct path the read of standings_pg takes those locks itself;
    elsewhere `_award` does, and the portable path records (standings.record)."""
    database = db.get()
    season = await seasons.for_result(session, war.game_id, now, database.cache)
    if database.direct is None or verdict is not None:  # (a verdict is rare: the portable path)
        await _award(session, war, season.id, verdict=verdict)
        if not await seasons.is_current(session, season, now):
            season = await seasons.moved(session, war.game_id, now, database.cache)
        return await standings.record(session, war, season, now)
    result = outcome(war.host_vote or "", war.opponent_vote or "")
    found = await standings_pg.read(session, war, season, now, result)
    await _award(session, war, season.id, locked=True)
    for _attempt in range(5):
        if not found.current:
            season = await seasons.moved(session, war.game_id, now, database.cache)
            found = await standings_pg.read(session, war, season, now, result)
        recorded = await standings_pg.write(session, war, season, now, found)
        if recorded is standings_pg.PORTABLE:
            return await standings.record(session, war, season, now)
        if recorded is not standings_pg.STALE:
            return recorded if isinstance(recorded, dict) else None
        found = await standings_pg.read(session, war, season, now, result)  # the locks held: current
    raise RuntimeError(f"war {war.id}: the standings kept changing under their locks")


async def settle_by_verdict(session: AsyncSession, war: War, now: datetime, verdict: str) -> dict[str, Any] | None:
    """Settle an ended (or ongoing) war that has no result yet by a verdict instead of two
    agreeing votes: a forfeit, the grace rule, a referee; recorded and rated as a vote is."""
    return await _settle(session, war, now, verdict)


async def cast_vote(
    ctx: RequestContext, *, war_id: str, body: m.VoteRequest
) -> dict[str, Any] | Reply:
    vote = body.result.value if hasattr(body.result, "value") else str(body.result)

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        members = await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, "castVote"
        )
        war = await load_war(session, war_id, lock=True)
        if clan.id not in (war.host_clan_id, war.opponent_clan_id):
            raise errors.not_your_war(
                "castVote", war.id, body.actor.id, members[body.actor.id].effective_role,
                f"your clan is not in war {war.id}; only its two clans vote on it.",
            )  # fmt: skip
        side = "host" if clan.id == war.host_clan_id else "opponent"
        current = war.host_vote if side == "host" else war.opponent_vote
        if war.status in ("open", "ongoing"):
            raise errors.conflict(
                f"War {war.id} has not ended yet (ends {views.iso(war.ends_at) or 'after acceptance'}).",
                warId=war.id,
                warStatus=war.status,
                endsAt=views.iso(war.ends_at),
            )
        if current is not None:
            if current == vote:
                return await render(session, war)
            raise errors.conflict(
                f"Your clan already voted {current} for war {war.id}.", warId=war.id, vote=current
            )
        if war.status != "ended":
            raise errors.conflict(
                f"War {war.id} is {war.status}.", warId=war.id, warStatus=war.status
            )
        if side == "host":
            war.host_vote = vote
        else:
            war.opponent_vote = vote
        settled = war.host_vote is not None and war.opponent_vote is not None
        ranked = None
        if settled:
            ranked = await _settle(session, war, utcnow())
        await session.flush()
        rendered = await render(session, war)
        if ranked is not None:
            rendered["ranked"] = ranked
        if settled:
            kind = "war.confirmed" if war.status == "confirmed" else "war.disputed"
            data: dict[str, Any] = {"war": rendered}
            if war.status == "disputed":  # a ticket for the referees, in this transaction
                data["ticket"] = await tickets.open_for_votes(session, war, rendered)
            for clan_id in (war.host_clan_id, war.opponent_clan_id):
                target = await session.get(Clan, clan_id)
                assert target is not None
                outbox.emit(session, target, kind, data)
        return rendered

    return await idempotency.run(ctx, "castVote", 200, body, work, warId=normalize_war_id(war_id))


async def get_leaderboard(
    ctx: RequestContext, *, limit: int = 25, offset: int = 0
) -> dict[str, Any]:
    rank = func.rank().over(order_by=Clan.glory.desc()).label("rank")
    async with db.get().read() as session:
        total = await session.scalar(select(func.count()).select_from(Clan))
        rows = await session.execute(
            select(Clan, rank)
            .order_by(Clan.glory.desc(), Clan.won.desc(), Clan.id)
            .limit(limit)
            .offset(offset)
        )
        items = [
            {
                "rank": int(r.rank),
                "serverId": clan.server_id,
                "platform": clan.platform,
                "name": clan.name,
                "glory": clan.glory,
                "played": clan.played,
                "won": clan.won,
                "lost": clan.lost,
                "drawn": clan.drawn,
            }
            for clan, r in ((row[0], row) for row in rows)
        ]
    return page(items, int(total or 0), limit, offset)
