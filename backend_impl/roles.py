"""Roles (tag `roles`): list, promote, demote, relinquish, availability.

Only the Leader promotes, demotes and hands over leadership; the old Leader
becomes a Co-Leader. Leadership goes only to a user the clan already has as a member (in
its member list: they used one of its commands, played in one of its wars or were
promoted): a front end that resolved the wrong user, or a stranger, never gets the clan.
Every member may mark themselves (un)available.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, errors, idempotency
from backend_impl.identity import (
    CO_LEADER,
    LEADER,
    MEMBER,
    MemberRow,
    find_clan,
    require_role,
    row,
    touch_members,
)
from backend_impl.pages import page
from backend_impl.tables import Member
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

_ORDER = case({LEADER: 0, CO_LEADER: 1}, value=Member.role, else_=2)


async def list_members(
    ctx: RequestContext, *, server_id: str, limit: int = 25, offset: int = 0
) -> dict[str, Any]:
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        total = await session.scalar(
            select(func.count()).select_from(Member).where(Member.clan_id == clan.id)
        )
        members = await session.scalars(
            select(Member)
            .where(Member.clan_id == clan.id)
            .order_by(_ORDER, Member.available.desc(), Member.name, Member.user_id)
            .limit(limit)
            .offset(offset)
        )
        items = [row(x).to_dict() for x in members]
    return page(items, int(total or 0), limit, offset)


async def _is_member(session: AsyncSession, clan_id: int, user_id: str) -> bool:
    found = await session.scalar(
        select(Member.user_id).where(Member.clan_id == clan_id, Member.user_id == user_id)
    )
    return found is not None


async def _set_role(session: AsyncSession, clan_id: int, user_id: str, role: str) -> None:
    await session.execute(
        update(Member).where(Member.clan_id == clan_id, Member.user_id == user_id).values(role=role)
    )


def _changed(rows: list[MemberRow]) -> dict[str, Any]:
    return page([r.to_dict() for r in rows], len(rows), max(len(rows), 1), 0)


async def _change_roles(
    ctx: RequestContext, operation: str, server_id: str, body: m.MembersRequest, new_role: str
) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id, lock=True)
        targets = [(u.id, u.name) for u in body.members]
        members = await require_role(
            session, clan, (body.actor.id, body.actor.name), (LEADER,), operation, targets
        )
        changed: list[MemberRow] = []
        for user_id in dict(targets):
            target = members[user_id]
            if target.role == LEADER:
                raise errors.conflict(
                    f"{target.name} is the Leader: hand over leadership first (relinquishLeadership).",
                    memberId=user_id,
                )
            await _set_role(session, clan.id, user_id, new_role)
            changed.append(MemberRow(target.user_id, target.name, new_role, target.available))
        return _changed(changed)

    return await idempotency.run(ctx, operation, 200, body, work, serverId=server_id)


async def promote_members(
    ctx: RequestContext, *, server_id: str, body: m.MembersRequest
) -> dict[str, Any] | Reply:
    return await _change_roles(ctx, "promoteMembers", server_id, body, CO_LEADER)


async def demote_members(
    ctx: RequestContext, *, server_id: str, body: m.MembersRequest
) -> dict[str, Any] | Reply:
    return await _change_roles(ctx, "demoteMembers", server_id, body, MEMBER)


async def relinquish_leadership(
    ctx: RequestContext, *, server_id: str, body: m.RelinquishRequest
) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id, lock=True)
        actor, target = (body.actor.id, body.actor.name), (body.member.id, body.member.name)
        members = await require_role(session, clan, actor, (LEADER,), "relinquishLeadership")
        if target[0] == actor[0]:
            raise errors.unprocessable(
                "Hand leadership to another member, not to yourself.", memberId=target[0]
            )
        if not await _is_member(session, clan.id, target[0]):
            raise errors.unprocessable(
                f"relinquishLeadership hands leadership only to a member of this clan, and {target[1]} has "
                "never been one: a user becomes a member by using one of its commands (setAvailability, "
                "for one), playing in one of its wars or being promoted (promoteMembers).",
                memberId=target[0], rule="leadership goes to a member of the clan",
            )  # fmt: skip
        members.update(await touch_members(session, clan.id, [target]))  # their name, refreshed
        await _set_role(session, clan.id, target[0], LEADER)
        await _set_role(session, clan.id, actor[0], CO_LEADER)
        new, old = members[target[0]], members[actor[0]]
        return _changed(
            [
                MemberRow(new.user_id, new.name, LEADER, new.available),
                MemberRow(old.user_id, old.name, CO_LEADER, old.available),
            ]
        )

    return await idempotency.run(ctx, "relinquishLeadership", 200, body, work, serverId=server_id)


async def set_availability(
    ctx: RequestContext, *, server_id: str, body: m.AvailabilityRequest
) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id)
        me = (await touch_members(session, clan.id, [(body.actor.id, body.actor.name)]))[
            body.actor.id
        ]
        await session.execute(
            update(Member)
            .where(Member.clan_id == clan.id, Member.user_id == me.user_id)
            .values(available=body.available)
        )
        return MemberRow(me.user_id, me.name, me.role, body.available).to_dict()

    return await idempotency.run(ctx, "setAvailability", 200, body, work, serverId=server_id)
