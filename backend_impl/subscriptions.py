"""Subscriptions (tag `subscriptions`): the games a clan receives war requests for."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, dialect, errors, idempotency
from backend_impl.identity import MANAGERS, find_clan, require_role
from backend_impl.pages import page
from backend_impl.tables import Clan, Subscription
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m


async def _games_page(session: AsyncSession, clan: Clan, limit: int, offset: int) -> dict[str, Any]:
    cat = await catalogue.load()
    ids = list(
        await session.scalars(
            select(Subscription.game_id)
            .where(Subscription.clan_id == clan.id)
            .order_by(Subscription.game_id)
        )
    )
    games = [cat.games[g].to_dict() for g in ids if g in cat.games]
    return page(games[offset : offset + limit], len(games), limit, offset)


async def list_subscriptions(
    ctx: RequestContext, *, server_id: str, limit: int = 25, offset: int = 0
) -> dict[str, Any]:
    async with db.get().read() as session:
        clan = await find_clan(session, ctx.platform, server_id)
        return await _games_page(session, clan, limit, offset)


async def _known_games(game_ids: list[int]) -> list[int]:
    cat = await catalogue.load()
    unknown = sorted({g for g in game_ids if g not in cat.games})
    if unknown:
        raise errors.unprocessable(
            f"Unknown game id(s): {', '.join(map(str, unknown))}. See listGames.",
            unknownGames=unknown,
            knownGames=sorted(cat.games),
        )
    return sorted(set(game_ids))


async def subscribe_games(
    ctx: RequestContext, *, server_id: str, body: m.GamesRequest
) -> dict[str, Any] | Reply:
    games = await _known_games(body.games)

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id)
        await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, "subscribeGames"
        )
        rows = [{"clan_id": clan.id, "game_id": g} for g in games]
        await session.execute(
            dialect.insert(session, Subscription).values(rows).on_conflict_do_nothing()
        )
        return await _games_page(session, clan, 100, 0)

    return await idempotency.run(ctx, "subscribeGames", 200, body, work, serverId=server_id)


async def unsubscribe_games(
    ctx: RequestContext, *, server_id: str, body: m.GamesRequest
) -> dict[str, Any] | Reply:
    games = await _known_games(body.games)

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, server_id)
        await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, "unsubscribeGames"
        )
        await session.execute(
            delete(Subscription).where(
                Subscription.clan_id == clan.id, Subscription.game_id.in_(games)
            )
        )
        return await _games_page(session, clan, 100, 0)

    return await idempotency.run(ctx, "unsubscribeGames", 200, body, work, serverId=server_id)
