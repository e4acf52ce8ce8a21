"""Clans (tag `clans`): setup, update, details, statistics, status."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, dialect, errors, idempotency, views
from backend_impl.db import utcnow
from backend_impl.identity import LEADER, find_clan, require_role
from backend_impl.tables import Clan, Member, Subscription, War

if TYPE_CHECKING:
    from generated import models as m
from gmbot.server.types import Reply, RequestContext

ONGOING = ("ongoing", "ended")  # a clan's wars being played or waiting for its vote


async def setup_clan(ctx: RequestContext, *, body: m.SetupClanRequest) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        exists = await session.scalar(
            select(Clan.id).where(Clan.platform == ctx.platform, Clan.server_id == body.server.id)
        )
        if exists is not None:
            raise errors.conflict(
                f"Server {body.server.id} already has a clan; its Leader can change it (updateClan).",
                serverId=body.server.id,
            )
        clan = Clan(
            platform=ctx.platform,
            server_id=body.server.id,
            server_name=body.server.name,
            name=body.name,
            location=body.location or "International",
            language=body.language or "English",
            channel_id=body.channel.id,
            channel_name=body.channel.name,
            created_at=utcnow(),
            glory=0,
            played=0,
            won=0,
            lost=0,
            drawn=0,
            disputed=0,
        )
        session.add(clan)
        try:
            await session.flush()
        except IntegrityError as exc:  # a concurrent setup of the same server won
            raise errors.conflict(
                f"Server {body.server.id} already has a clan.", serverId=body.server.id
            ) from exc
        leader = {
            "clan_id": clan.id,
            "user_id": body.actor.id,
            "name": body.actor.name,
            "role": LEADER,
            "available": True,
        }
        await session.execute(dialect.insert(session, Member).values(leader))
        return await views.clan_dict(session, clan)

    return await idempotency.run(ctx, "setupClan", 201, body, work)


async def update_clan(
    ctx: RequestContext, *, server_id: str, body: m.UpdateClanRequest
) -> dict[str, Any]:
    async with db.get().transaction() as session:
        clan = await find_clan(session, ctx.platform, server_id, lock=True)
        await require_role(session, clan, (body.actor.id, body.actor.name), (LEADER,), "updateClan")
        if body.name is not None:
            clan.name = body.name
        if body.location is not None:
            clan.location = body.location
        if body.language is not None:
            clan.language = body.language
        if body.channel is not None:
            clan.channel_id, clan.channel_name = body.channel.id, body.channel.name
        await session.flush()
        return await views.clan_dict(session, clan)


async def get_clan(ctx: RequestContext, *, server_id: str) -> dict[str, Any]:
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        return await views.clan_dict(session, clan)


async def rank_of(session: AsyncSession, glory: int) -> int:
    above = await session.scalar(select(func.count()).select_from(Clan).where(Clan.glory > glory))
    return int(above or 0) + 1


async def get_clan_stats(ctx: RequestContext, *, server_id: str) -> dict[str, Any]:
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        return {
            "serverId": clan.server_id,
            "name": clan.name,
            "played": clan.played,
            "won": clan.won,
            "lost": clan.lost,
            "drawn": clan.drawn,
            "disputed": clan.disputed,
            "glory": clan.glory,
            "rank": await rank_of(session, clan.glory),
        }


async def get_clan_status(
    ctx: RequestContext, *, server_id: str, limit: int = 25
) -> dict[str, Any]:
    cat = await catalogue.load()
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        subscribed = list(
            await session.scalars(
                select(Subscription.game_id)
                .where(Subscription.clan_id == clan.id)
                .order_by(Subscription.game_id)
            )
        )
        ongoing = (
            await session.scalars(
                select(War)
                .where(
                    or_(War.host_clan_id == clan.id, War.opponent_clan_id == clan.id),
                    War.status.in_(ONGOING),
                )
                .order_by(War.accepted_at.desc(), War.id)
                .limit(limit)
            )
        ).all()
        visible = War.host_clan_id == clan.id
        if subscribed:
            visible = or_(visible, (War.game_id.in_(subscribed)) & (War.private.is_(False)))
        requests = (
            await session.scalars(
                select(War)
                .where(War.status == "open", visible)
                .order_by(War.created_at.desc(), War.id)
                .limit(limit)
            )
        ).all()
        rendered = await views.war_dicts(session, cat, [*ongoing, *requests])
    return {
        "serverId": clan.server_id,
        "ongoing": rendered[: len(ongoing)],
        "requests": rendered[len(ongoing) :],
        "subscriptions": [cat.games[g].to_dict() for g in subscribed if g in cat.games],
    }
