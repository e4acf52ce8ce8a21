"""Dispute tickets and their audit trail: opened, evidence added, settled; each step with who,
when, what and why (`ticket_steps`), written in the transaction of the change it records.

A ticket is opened by the vote that disputes a war (`open_for_votes`, from results.py) or by
a clan filing a dispute (disputes.py). Open tickets are posted to the referees' channels
(`ticket.opened`) and their settlement too (`ticket.settled`), beside the events of the two
clans. The operations are in disputes.py; this module is what both it and results.py need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, outbox, views
from backend_impl.clock import utcnow
from backend_impl.tables import Clan, Referee, Ticket, TicketStep, War

OPEN, SETTLED = "open", "settled"


@dataclass(frozen=True)
class Actor:
    """Who took a step: `clan` (a member acting for its clan), `referee` or `system`."""

    kind: str
    platform: str | None = None
    user_id: str | None = None
    name: str | None = None
    clan_id: int | None = None


SYSTEM = Actor("system")


@dataclass(frozen=True)
class RefereeChannel:
    """A referee's channel as the outbox addresses it (a clan-like target; clan id 0)."""

    platform: str
    server_id: str
    channel_id: str | None
    name: str
    id: int = 0


def add_step(
    session: AsyncSession, ticket: Ticket, action: str, actor: Actor, reason: str | None, data: dict[str, Any],
    at: datetime | None = None,
) -> None:  # fmt: skip
    session.add(TicketStep(
        ticket_id=ticket.id, at=at or utcnow(), action=action, actor_kind=actor.kind, actor_platform=actor.platform,
        actor_id=actor.user_id, actor_name=actor.name, clan_id=actor.clan_id, reason=reason, data=data,
    ))  # fmt: skip


async def open_ticket(
    session: AsyncSession, war: War, opened_by: str, actor: Actor, reason: str, evidence: list[str],
) -> Ticket:  # fmt: skip
    """A new open ticket for the war with its first step (the caller checked none is open)."""
    now = utcnow()
    ticket = Ticket(war_id=war.id, open_war_id=war.id, game_id=war.game_id, status=OPEN, opened_at=now,
                    opened_by=opened_by, reason=reason)  # fmt: skip
    session.add(ticket)
    await session.flush()  # its id; a second open ticket for the war fails here (unique)
    add_step(session, ticket, "opened", actor, reason,
             {"evidence": evidence, "warStatus": war.status, "votes": _votes(war)}, now)  # fmt: skip
    return ticket


def _votes(war: War) -> dict[str, str | None]:
    return {"host": war.host_vote, "opponent": war.opponent_vote}


async def open_for_votes(session: AsyncSession, war: War, rendered: dict[str, Any]) -> dict[str, Any]:
    """The ticket a disputed vote opens (the votes disagree), posted to the referees' channels;
    its summary, for the war.disputed event."""
    reason = f"The votes disagree: the host clan voted {war.host_vote}, the opponent clan {war.opponent_vote}."
    ticket = await find_open(session, war.id, lock=True)
    if ticket is not None:  # a clan filed before the votes were in: the votes join its ticket
        add_step(session, ticket, "evidence", SYSTEM, reason, {"evidence": [], "votes": _votes(war)})
        return await ticket_dict(session, ticket, trail=False)
    ticket = await open_ticket(session, war, "votes", SYSTEM, reason, [])
    body = await ticket_dict(session, ticket, trail=False)
    await notify_referees(session, "ticket.opened", war.game_id, {"ticket": body, "war": rendered})
    return body


async def find_open(session: AsyncSession, war_id: str, *, lock: bool = False) -> Ticket | None:
    query = select(Ticket).where(Ticket.open_war_id == war_id)
    if lock:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def find_settled(session: AsyncSession, war_id: str) -> Ticket | None:
    query = select(Ticket).where(Ticket.war_id == war_id, Ticket.status == SETTLED).order_by(Ticket.id.desc())
    return (await session.scalars(query)).first()


def _clan_ref(clan: Clan | None) -> dict[str, Any] | None:
    if clan is None:
        return None
    return {"serverId": clan.server_id, "platform": clan.platform, "name": clan.name}


async def ticket_dict(
    session: AsyncSession, ticket: Ticket, *, trail: bool = True, clans: dict[int, Clan] | None = None,
    war: War | None = None,
) -> dict[str, Any]:  # fmt: skip
    """The ticket as the API shows it; `trail`: with its steps, oldest first."""
    await session.flush()  # the steps just added (the sessions do not autoflush)
    war = war or await session.get(War, ticket.war_id)
    assert war is not None and war.opponent_clan_id is not None
    known = dict(clans or {})
    for clan_id in (war.host_clan_id, war.opponent_clan_id):
        if clan_id not in known:
            found = await session.get(Clan, clan_id)
            assert found is not None
            known[clan_id] = found
    steps = list(await session.scalars(
        select(TicketStep).where(TicketStep.ticket_id == ticket.id).order_by(TicketStep.id)))  # fmt: skip
    for step in steps:
        if step.clan_id is not None and step.clan_id not in known:
            found = await session.get(Clan, step.clan_id)
            if found is not None:
                known[step.clan_id] = found
    game = (await catalogue.load(session)).games.get(ticket.game_id)
    evidence = [
        {"url": url, "at": views.iso(step.at), "by": _clan_ref(known.get(step.clan_id or 0))}
        for step in steps for url in (step.data or {}).get("evidence", [])
    ]  # fmt: skip
    body: dict[str, Any] = {
        "id": ticket.id,
        "warId": ticket.war_id,
        "game": {"id": ticket.game_id, "name": game.name if game else str(ticket.game_id)},
        "host": _clan_ref(known[war.host_clan_id]),
        "opponent": _clan_ref(known[war.opponent_clan_id]),
        "status": ticket.status,
        "openedAt": views.iso(ticket.opened_at),
        "openedBy": ticket.opened_by,
        "reason": ticket.reason,
        "evidence": evidence,
        "verdict": ticket.verdict,
        "verdictReason": ticket.verdict_reason,
        "settledAt": views.iso(ticket.settled_at),
        "referee": (
            {"platform": ticket.referee_platform, "id": ticket.referee_id, "name": ticket.referee_name}
            if ticket.referee_id else None
        ),
    }  # fmt: skip
    if trail:
        body["trail"] = [
            {
                "at": views.iso(step.at),
                "action": step.action,
                "by": {
                    "kind": step.actor_kind, "platform": step.actor_platform, "id": step.actor_id,
                    "name": step.actor_name, "clan": _clan_ref(known.get(step.clan_id or 0)),
                },
                "reason": step.reason,
                "data": step.data or {},
            }
            for step in steps
        ]  # fmt: skip
    return body


def covers(referee: Referee, game_id: int) -> bool:
    """Whether the referee's scope includes the game (no list: every game)."""
    return referee.games is None or game_id in referee.games


async def notify_referees(session: AsyncSession, type_: str, game_id: int, data: dict[str, Any]) -> int:
    """Post an event to the channel of every referee whose scope covers the game; how many."""
    referees = await session.scalars(
        select(Referee).where(Referee.channel_id.is_not(None)).order_by(Referee.platform, Referee.user_id)
    )
    sent: set[tuple[str, str | None, str | None]] = set()
    for referee in referees:
        where = (referee.platform, referee.channel_server_id, referee.channel_id)
        if not covers(referee, game_id) or referee.channel_server_id is None or where in sent:
            continue  # two referees in one channel: posted once
        sent.add(where)
        target = RefereeChannel(referee.platform, referee.channel_server_id, referee.channel_id,
                                referee.channel_name or "referees")  # fmt: skip
        outbox.emit(session, target, type_, data)
    return len(sent)
