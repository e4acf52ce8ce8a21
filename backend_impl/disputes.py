"""Disputes and referees (tag `disputes`): tickets, their settlement by a referee, forfeits,
and the operator's appointment of referees. docs/backend.md, "Disputes and referees", has
the rules in plain words.

* A ticket opens when the votes disagree (results.py) or when a clan's Leader or Co-Leader
  files a dispute (`fileDispute`) with a reason and evidence (links); a second filing while
  it is open adds to it. A war whose ticket was settled is final.
* Referees are appointed by the operator (`appointReferee`, `removeReferee`: keys of
  GMBOT_OPERATOR_CLIENTS), for every game or for a list of games. A referee settles an open
  ticket of a game in their scope (`settleTicket`) unless they are a member of either clan
  of the war (they ever acted or played for it): anyone else is 403.
* Settling writes the verdict (host, opponent, draw or void) on the war, moves both clans'
  all-time counters and glory from the old result to the new, and replays the season from
  that war (`replay.recompute_in`), all in one transaction; both clans and the referees'
  channels get `ticket.settled`. A war that had no result yet is settled as a vote settles it.
* `forfeitWar` (the Leader): the opponent wins at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import (
    db,
    errors,
    idempotency,
    outbox,
    referees,
    replay,
    results,
    seasons,
    settings,
    standings,
)
from backend_impl import tickets as tk
from backend_impl.clock import utcnow
from backend_impl.identity import LEADER, MANAGERS, find_clan, require_role
from backend_impl.pages import page
from backend_impl.tables import Clan, Member, Referee, Ticket, War, WarResult
from backend_impl.wars import load_war, normalize_war_id, render
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

DISPUTABLE = ("ended", "confirmed", "disputed", "void")  # played wars; open/ongoing/removed are not
REFEREE = "Referee"


def _value(item: Any) -> Any:
    return item.value if hasattr(item, "value") else item


def _require_operator(ctx: RequestContext, operation: str) -> None:
    allowed = settings.operator_clients()
    if ctx.client not in allowed:
        raise errors.operator_only(operation, ctx.client, allowed)


referee_dict = referees.as_dict


async def _war_with_ranked(session: AsyncSession, war: War) -> dict[str, Any]:
    rendered = await render(session, war)
    if war.status == "confirmed":
        ranked = await standings.ranked_of(session, war)
        if ranked is not None:
            rendered["ranked"] = ranked
    return rendered


async def _tell_clans(session: AsyncSession, war: War, type_: str, data: dict[str, Any]) -> None:
    for clan_id in (war.host_clan_id, war.opponent_clan_id):
        target = await session.get(Clan, clan_id)
        assert target is not None
        outbox.emit(session, target, type_, data)


# --- a clan: dispute, forfeit ------------------------------------------------------------------


async def file_dispute(ctx: RequestContext, *, war_id: str, body: m.DisputeRequest) -> dict[str, Any] | Reply:
    evidence = [url.root for url in body.evidence or []]
    for index, url in enumerate(evidence):  # a slip of the form: say which link, by its place in the body
        if url in evidence[:index]:
            raise errors.unprocessable(f"The link {url} is given twice.", pointer=f"/evidence/{index}")

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        members = await require_role(session, clan, (body.actor.id, body.actor.name), MANAGERS, "fileDispute")
        war = await load_war(session, war_id, lock=True)
        if clan.id not in (war.host_clan_id, war.opponent_clan_id):
            raise errors.not_your_war(
                "fileDispute", war.id, body.actor.id, members[body.actor.id].effective_role,
                f"your clan is not in war {war.id}; only its two clans dispute it.",
            )  # fmt: skip
        if war.status not in DISPUTABLE:
            raise errors.conflict(f"War {war.id} is {war.status}: only a played war can be disputed.",
                                  warId=war.id, warStatus=war.status)  # fmt: skip
        actor = tk.Actor("clan", ctx.platform, body.actor.id, body.actor.name, clan.id)
        ticket = await tk.find_open(session, war.id, lock=True)
        if ticket is not None:  # the clan's reason and evidence join the open ticket
            tk.add_step(session, ticket, "evidence", actor, body.reason, {"evidence": evidence})
            await session.flush()
            return await tk.ticket_dict(session, ticket, war=war)
        settled = await tk.find_settled(session, war.id)
        if settled is not None:
            raise errors.conflict(
                f"War {war.id} was settled by a referee ({settled.verdict}, ticket {settled.id}); that is final.",
                warId=war.id, ticketId=settled.id, verdict=settled.verdict,
            )  # fmt: skip
        ticket = await tk.open_ticket(session, war, "clan", actor, body.reason, evidence)
        body_ = await tk.ticket_dict(session, ticket, war=war)
        rendered = await render(session, war)
        data = {"ticket": {k: v for k, v in body_.items() if k != "trail"}, "war": rendered,
                "from": {"server": {"id": clan.server_id, "name": clan.name}, "actor": {"id": body.actor.id,
                                                                                     "name": body.actor.name}}}  # fmt: skip
        await _tell_clans(session, war, "ticket.opened", data)
        await tk.notify_referees(session, "ticket.opened", war.game_id, data)
        return body_

    return await idempotency.run(ctx, "fileDispute", 201, body, work, warId=normalize_war_id(war_id))


async def forfeit_war(ctx: RequestContext, *, war_id: str, body: m.ForfeitRequest) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        members = await require_role(session, clan, (body.actor.id, body.actor.name), (LEADER,), "forfeitWar")
        war = await load_war(session, war_id, lock=True)
        if clan.id not in (war.host_clan_id, war.opponent_clan_id):
            raise errors.not_your_war(
                "forfeitWar", war.id, body.actor.id, members[body.actor.id].effective_role,
                f"your clan is not in war {war.id}; only its two clans can forfeit it.",
            )  # fmt: skip
        if war.status not in ("ongoing", "ended"):
            why = {"open": "nobody accepted it yet (remove it instead: removeWar)"}.get(
                war.status, "its result is in already (dispute it instead: fileDispute)")
            raise errors.conflict(f"War {war.id} is {war.status}: {why}.", warId=war.id, warStatus=war.status)
        if await tk.find_open(session, war.id) is not None:
            raise errors.conflict(f"War {war.id} has an open dispute: a referee decides it.", warId=war.id)
        now = utcnow()
        if war.status == "ongoing":
            war.status, war.ended_at = "ended", now
        host = clan.id == war.host_clan_id
        if host:
            war.host_vote = "lose"
        else:
            war.opponent_vote = "lose"
        await results.settle_by_verdict(session, war, now, "opponent" if host else "host")
        await session.flush()
        rendered = await _war_with_ranked(session, war)
        await _tell_clans(session, war, "war.forfeited", {
            "war": rendered, "reason": body.reason,
            "from": {"server": {"id": clan.server_id, "name": clan.name},
                     "actor": {"id": body.actor.id, "name": body.actor.name}},
        })  # fmt: skip
        return rendered

    return await idempotency.run(ctx, "forfeitWar", 200, body, work, warId=normalize_war_id(war_id))


# --- tickets --------------------------------------------------------------------------------


async def list_tickets(
    ctx: RequestContext, *, status: str = "open", game: int | None = None, war: str | None = None,
    limit: int = 25, offset: int = 0,
) -> dict[str, Any]:  # fmt: skip
    where: list[Any] = []
    if status != "all":
        where.append(Ticket.status == status)
    if game is not None:
        where.append(Ticket.game_id == game)
    if war is not None:
        where.append(Ticket.war_id == normalize_war_id(war))
    async with db.get().read() as session:
        total = await session.scalar(select(func.count()).select_from(Ticket).where(*where))
        found = await session.scalars(select(Ticket).where(*where).order_by(Ticket.id).limit(limit).offset(offset))
        items = [await tk.ticket_dict(session, t, trail=False) for t in found]
    return page(items, int(total or 0), limit, offset)


async def get_ticket(ctx: RequestContext, *, ticket_id: int) -> dict[str, Any]:
    async with db.get().read() as session:
        ticket = await session.get(Ticket, ticket_id)
        if ticket is None:
            raise errors.not_found("Ticket", f"There is no ticket {ticket_id}.", ticketId=ticket_id)
        return await tk.ticket_dict(session, ticket)


async def _check_referee(session: AsyncSession, ctx: RequestContext, actor: Any, war: War) -> Referee:
    """The referee settling `war`: 403 for anyone not appointed, a game outside their scope,
    or a war of a clan they are a member of."""
    referee = await session.get(Referee, (ctx.platform, actor.id))
    if referee is None:
        raise errors.forbidden("settleTicket", [REFEREE], actor.id, "not a referee",
                               "Referees are appointed by the operator (appointReferee).")  # fmt: skip
    if not tk.covers(referee, war.game_id):
        raise errors.forbidden("settleTicket", [REFEREE], actor.id, REFEREE,
                               f"Your scope is games {referee.games}; war {war.id} is of game {war.game_id}.")  # fmt: skip
    own = await session.scalar(
        select(Member.clan_id).join(Clan, Clan.id == Member.clan_id).where(
            Member.user_id == actor.id, Clan.platform == ctx.platform,
            Member.clan_id.in_((war.host_clan_id, war.opponent_clan_id)),
        ).limit(1)
    )  # fmt: skip
    if own is not None:
        raise errors.forbidden("settleTicket", [REFEREE], actor.id, REFEREE,
                               f"You are a member of a clan in war {war.id}: another referee settles it.")  # fmt: skip
    return referee


async def _rejudge(session: AsyncSession, war: War, verdict: str, season_id: int) -> None:
    """A war with a recorded result gets the verdict: its clans' all-time counters move from
    the old result to the new one, then its season is replayed from it."""
    assert war.opponent_clan_id is not None
    old = results.counters(war.status, war.result, (war.host_glory, war.opponent_glory))
    if verdict == "void":
        war.status, war.result = "void", None
    else:
        war.status, war.result = "confirmed", verdict
    war.host_glory, war.opponent_glory = results.glory_of(war.result)
    new = results.counters(war.status, war.result, (war.host_glory, war.opponent_glory))
    season = await seasons.by_id(session, season_id)
    await seasons.lock(session, season.id, shared=False)  # before the clans' rows, as a replay's
    for clan_id, before, after in sorted(((war.host_clan_id, old[0], new[0]), (war.opponent_clan_id, old[1], new[1]))):
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in {*before, *after}}
        values = {k: getattr(Clan, k) + v for k, v in delta.items() if v}
        if values:
            await session.execute(update(Clan).where(Clan.id == clan_id).values(values))
    await session.flush()
    await replay.recompute_in(session, season, war.id)


async def settle_ticket(ctx: RequestContext, *, ticket_id: int, body: m.SettleRequest) -> dict[str, Any] | Reply:
    verdict = str(_value(body.verdict))

    async def work(session: AsyncSession) -> dict[str, Any]:
        found = await session.get(Ticket, ticket_id)
        if found is None:
            raise errors.not_found("Ticket", f"There is no ticket {ticket_id}.", ticketId=ticket_id)
        # the war first, as votes lock it; a write (SQLite has no row locks: its first write
        # waits for another process's settlement, and what is read from here on is current)
        await session.execute(update(War).where(War.id == found.war_id).values(status=War.status))
        war = await load_war(session, found.war_id, lock=True)
        ticket = (await session.scalars(select(Ticket).where(Ticket.id == ticket_id).with_for_update()
                                        .execution_options(populate_existing=True))).one()  # fmt: skip
        referee = await _check_referee(session, ctx, body.actor, war)
        if ticket.status != tk.OPEN:
            raise errors.conflict(f"Ticket {ticket.id} was settled already ({ticket.verdict}).",
                                  ticketId=ticket.id, verdict=ticket.verdict)  # fmt: skip
        before = {"status": war.status, "result": war.result, "glory": [war.host_glory, war.opponent_glory]}
        now = utcnow()
        season_id = await session.scalar(select(WarResult.season_id).where(WarResult.war_id == war.id).limit(1))
        if season_id is not None:
            await _rejudge(session, war, verdict, season_id)
        else:  # no result yet (ended, a vote or none): settled as a vote would
            await results.settle_by_verdict(session, war, now, verdict)
        ticket.status, ticket.open_war_id, ticket.settled_at = tk.SETTLED, None, now
        ticket.verdict, ticket.verdict_reason = verdict, body.reason
        ticket.referee_platform, ticket.referee_id, ticket.referee_name = ctx.platform, body.actor.id, body.actor.name
        referee.name = body.actor.name
        after = {"status": war.status, "result": war.result, "glory": [war.host_glory, war.opponent_glory]}
        actor = tk.Actor("referee", ctx.platform, body.actor.id, body.actor.name)
        tk.add_step(session, ticket, "settled", actor, body.reason,
                    {"verdict": verdict, "before": before, "after": after}, now)  # fmt: skip
        await session.flush()
        rendered = await _war_with_ranked(session, war)
        reply = await tk.ticket_dict(session, ticket, war=war)
        data = {"ticket": {k: v for k, v in reply.items() if k != "trail"}, "war": rendered}
        await _tell_clans(session, war, "ticket.settled", data)
        await tk.notify_referees(session, "ticket.settled", war.game_id, data)
        return {**reply, "war": rendered}

    reply = await idempotency.run(ctx, "settleTicket", 200, body, work, ticketId=str(ticket_id))
    db.get().cache.pop("seasons", None)
    return reply


# --- referees (appointed by the operator) ---------------------------------------------------------


async def appoint_referee(ctx: RequestContext, *, body: m.AppointRefereeRequest) -> dict[str, Any] | Reply:
    _require_operator(ctx, "appointReferee")
    games = await referees.check_games([g.root for g in body.games] if body.games is not None else None)

    async def work(session: AsyncSession) -> dict[str, Any]:
        return referee_dict(await referees.appoint(session, body.platform, body.user.id, body.user.name, games,
                                                   ctx.client))  # fmt: skip

    return await idempotency.run(ctx, "appointReferee", 201, body, work)


async def remove_referee(ctx: RequestContext, *, body: m.RemoveRefereeRequest) -> dict[str, Any] | Reply:
    _require_operator(ctx, "removeReferee")

    async def work(session: AsyncSession) -> dict[str, Any]:
        return await referees.remove(session, body.platform, body.userId)

    return await idempotency.run(ctx, "removeReferee", 200, body, work)


async def list_referees(ctx: RequestContext, *, limit: int = 25, offset: int = 0) -> dict[str, Any]:
    async with db.get().read() as session:
        total = await session.scalar(select(func.count()).select_from(Referee))
        found = await session.scalars(
            select(Referee).order_by(Referee.platform, Referee.user_id).limit(limit).offset(offset))  # fmt: skip
        items = [referee_dict(r) for r in found]
    return page(items, int(total or 0), limit, offset)


async def set_referee_channel(ctx: RequestContext, *, body: m.RefereeChannelRequest) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        referee = await session.get(Referee, (ctx.platform, body.actor.id), with_for_update=True)
        if referee is None:
            raise errors.forbidden("setRefereeChannel", [REFEREE], body.actor.id, "not a referee",
                                   "Referees are appointed by the operator (appointReferee).")  # fmt: skip
        referee.name = body.actor.name
        referee.channel_server_id, referee.channel_id, referee.channel_name = (
            body.server.id, body.channel.id, body.channel.name)  # fmt: skip
        await session.flush()
        return referee_dict(referee)

    return await idempotency.run(ctx, "setRefereeChannel", 200, body, work)
