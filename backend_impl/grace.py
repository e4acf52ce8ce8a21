"""The rule for wars left unvoted: once a war has been ended for GMBOT_VOTE_GRACE_HOURS
(default 48) without both votes, the scheduler settles it: one side voted -> that side's
result (its `win` is its win, its `lose` the opponent's, `draw` a draw); nobody voted -> void
(no glory, no rating, not counted as played). A war with an open dispute is left to its
referee.

Each war is settled in its own transaction, taken with `FOR UPDATE SKIP LOCKED` (PostgreSQL)
and claimed by a conditional UPDATE (`WHERE status = 'ended'`, the transaction's first write:
on SQLite it sees the latest commit): two backend processes settle each war once. Both clans get `war.confirmed` (with `settledBy: grace`) or `war.voided`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from backend_impl import outbox, results, settings
from backend_impl.db import Database, utcnow
from backend_impl.tables import Clan, Ticket, War
from backend_impl.wars import render

log = logging.getLogger("gmbot.grace")
BATCH = 50
FROM_ONE_SIDE = {("host", "win"): "host", ("host", "lose"): "opponent", ("opponent", "win"): "opponent",
                 ("opponent", "lose"): "host"}  # fmt: skip


def verdict_of(host_vote: str | None, opponent_vote: str | None) -> str:
    """The grace rule's result of a war's votes (at most one of them given)."""
    if host_vote is None and opponent_vote is None:
        return "void"
    side, vote = ("host", host_vote) if host_vote is not None else ("opponent", opponent_vote)
    return "draw" if vote == "draw" else FROM_ONE_SIDE[(side, str(vote))]


def _due(cutoff: datetime) -> Any:
    disputed = select(Ticket.open_war_id).where(Ticket.open_war_id == War.id)
    return (
        select(War.id)
        .where(War.status == "ended", War.ended_at <= cutoff, ~disputed.exists())
        .order_by(War.ended_at, War.id)
    )


async def settle_unvoted(database: Database, now: datetime | None = None, grace_hours: float | None = None) -> list[str]:
    """Settle the wars whose grace ran out by `now`; their ids."""
    moment = now or utcnow()
    cutoff = moment - timedelta(hours=settings.vote_grace_hours() if grace_hours is None else grace_hours)
    settled: list[str] = []
    while len(settled) < BATCH:  # a longer backlog: the next round goes on
        async with database.transaction() as session:
            war_id = (await session.scalars(_due(cutoff).limit(1).with_for_update(skip_locked=True))).first()
            if war_id is None:
                return settled
            # claim it: on SQLite (no row locks; another process may have settled it since the
            # read) this write is the transaction's first, so it sees the latest commit
            claimed = await session.execute(
                update(War).where(War.id == war_id, War.status == "ended").values(status="ended"))  # fmt: skip
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            war = await session.get(War, war_id, populate_existing=True)
            assert war is not None
            verdict = verdict_of(war.host_vote, war.opponent_vote)
            ranked = await results.settle_by_verdict(session, war, moment, verdict)
            await session.flush()
            rendered = await render(session, war)
            if ranked is not None:
                rendered["ranked"] = ranked
            kind = "war.voided" if verdict == "void" else "war.confirmed"
            for clan_id in (war.host_clan_id, war.opponent_clan_id):
                clan = await session.get(Clan, clan_id)
                if clan is not None:
                    outbox.emit(session, clan, kind, {"war": rendered, "settledBy": "grace"})
            settled.append(war.id)
    return settled

