"""Clans (tag `clans`): setup, update, details, statistics, status, search by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, clan_search, db, dialect, errors, idempotency, pg_direct, views
from backend_impl.db import utcnow
from backend_impl.identity import LEADER, find_clan, require_role
from backend_impl.shapes import ClanLike, WarLike
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
            language=body.language or "en",
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


_WARS = War.__table__.c
# The clan and its subscribed games in one round trip (one row per game; NULL for none).
_CLAN_AND_GAMES = (
    select(*Clan.__table__.c, Subscription.game_id.label("subscribed_game"))
    .select_from(
        Clan.__table__.outerjoin(Subscription, Subscription.clan_id == Clan.__table__.c.id)
    )
    .where(Clan.__table__.c.platform == bindparam("p"), Clan.__table__.c.server_id == bindparam("s"))
    .order_by(Subscription.game_id)
)
_ONGOING = (
    select(*_WARS)
    .where(
        or_(_WARS.host_clan_id == bindparam("clan"), _WARS.opponent_clan_id == bindparam("clan")),
        _WARS.status.in_(ONGOING),
    )
    .order_by(_WARS.accepted_at.desc(), _WARS.id)
    .limit(bindparam("limit"))
)
_OWN_REQUESTS = _WARS.host_clan_id == bindparam("clan")
_SUBSCRIBED_REQUESTS = and_(
    _WARS.game_id.in_(bindparam("games", expanding=True)), _WARS.private.is_(False)
)
_REQUESTS = {
    subscribed: select(*_WARS)
    .where(
        _WARS.status == "open",
        or_(_OWN_REQUESTS, _SUBSCRIBED_REQUESTS) if subscribed else _OWN_REQUESTS,
    )
    .order_by(_WARS.created_at.desc(), _WARS.id)
    .limit(bindparam("limit"))
    for subscribed in (False, True)
}


async def get_clan_status(
    ctx: RequestContext, *, server_id: str, limit: int = 25
) -> dict[str, Any]:
    """Wars being played or waiting for votes, open requests the clan made or may accept, subscriptions."""
    cat = await catalogue.load()
    database = db.get()
    if database.direct is not None:  # PostgreSQL: the same reads on asyncpg (pg_direct.py)
        status = await pg_direct.clan_status(database.direct, ctx.platform, server_id, limit)
        if status is None:
            raise errors.clan_not_found(server_id)
        clan: ClanLike = status.clan
        subscribed = status.subscribed
        ongoing: list[WarLike] = list(status.ongoing)
        wars: list[WarLike] = [*ongoing, *status.requests]
        rendered = views.assemble(cat, wars, dict(status.clans), status.players)
    else:
        async with database.read() as session:
            connection = await session.connection()
            rows = (
                await connection.execute(_CLAN_AND_GAMES, {"p": ctx.platform, "s": server_id})
            ).all()
            if not rows:
                raise errors.clan_not_found(server_id)
            clan = cast(ClanLike, rows[0])
            subscribed = [r.subscribed_game for r in rows if r.subscribed_game is not None]
            params: dict[str, Any] = {"clan": clan.id, "limit": limit}
            ongoing = [cast(WarLike, w) for w in await connection.execute(_ONGOING, params)]
            query = _REQUESTS[bool(subscribed)]
            requests = [
                cast(WarLike, w)
                for w in await connection.execute(query, {**params, "games": subscribed})
            ]
            rendered = await views.war_dicts(session, cat, [*ongoing, *requests], known=[clan])
    return {
        "serverId": clan.server_id,
        "ongoing": rendered[: len(ongoing)],
        "requests": rendered[len(ongoing) :],
        "subscriptions": [cat.games[g].to_dict() for g in subscribed if g in cat.games],
    }


async def search_clans(
    ctx: RequestContext, *, search: str | None = None, platform: str | None = None, limit: int = 25
) -> dict[str, Any]:
    """searchClans: clans of a platform (the caller's by default) by the beginning of their name."""
    items = await clan_search.clans_named(platform or ctx.platform, (search or "").strip(), limit)
    return {"items": items, "limit": limit}
