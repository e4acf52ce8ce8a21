"""Results (tag `results`): votes, glory points, leaderboard.

When a war ends each clan's Leader or Co-Leader votes win / lose / draw from its
own side. Agreeing votes (win+lose, lose+win, draw+draw) confirm the result and
award glory: GLORY_WIN to the winner, GLORY_DRAW to each clan on a draw, nothing
to the loser. Any other pair marks the war disputed: no glory, counted as played
and disputed. A clan votes once; repeating the same vote changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, errors, idempotency, outbox, views
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


async def _lock_clans(session: AsyncSession, *clan_ids: int) -> None:
    """Lock the clans' rows in id order: two wars between the same clans, settled at once
    with host and opponent swapped, would otherwise lock them in opposite orders and
    deadlock (PostgreSQL aborts one). SQLite has one writer: nothing to lock."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            select(Clan.id).where(Clan.id.in_(clan_ids)).order_by(Clan.id).with_for_update()
        )


async def _award(session: AsyncSession, war: War) -> None:
    assert war.host_vote and war.opponent_vote and war.opponent_clan_id is not None
    result = outcome(war.host_vote, war.opponent_vote)
    host, opponent = war.host_clan_id, war.opponent_clan_id
    await _lock_clans(session, host, opponent)
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
        if settled:
            await _award(session, war)
        await session.flush()
        rendered = await render(session, war)
        if settled:
            kind = "war.confirmed" if war.status == "confirmed" else "war.disputed"
            for clan_id in (war.host_clan_id, war.opponent_clan_id):
                target = await session.get(Clan, clan_id)
                assert target is not None
                outbox.emit(session, target, kind, {"war": rendered})
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
