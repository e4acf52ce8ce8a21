"""Wars (tag `wars`): create (public or private), get, remove, accept, relay a message.

A war is `open` until a clan accepts it (`ongoing`); its duration counts from the
acceptance; the scheduler then ends it (`ended`) and both clans vote (results.py).
Accepting is one conditional UPDATE (`WHERE status = 'open'`): of two clans
accepting at once exactly one changes the row, the other gets 409.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import catalogue, db, errors, idempotency, metrics, outbox, pg_direct, views
from backend_impl.catalogue import Catalogue, GameInfo
from backend_impl.db import utcnow
from backend_impl.identity import (
    MANAGERS,
    MemberRow,
    check_available,
    find_clan,
    require_role,
)
from backend_impl.shapes import ClanLike, PlayerLike, WarLike
from backend_impl.tables import Clan, Subscription, War, WarPlayer
from backend_impl.warids import insert_war_with_players
from gmbot.server.types import Reply, RequestContext

if TYPE_CHECKING:
    from generated import models as m

MATCHED = ("ongoing", "ended", "confirmed", "disputed")


def normalize_war_id(war_id: str) -> str:
    return war_id.strip().lower()


def _check_players(game: GameInfo, players: list[Any]) -> list[tuple[str, str]]:
    ids = [p.id for p in players]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise errors.unprocessable(
            f"Players listed twice: {', '.join(duplicates)}.", duplicatePlayers=duplicates
        )
    if not game.min_players <= len(players) <= game.max_players:
        raise errors.unprocessable(
            f"{game.name} is played by {game.min_players} to {game.max_players} players per clan; "
            f"you tagged {len(players)}.",
            game=game.id,
            minPlayers=game.min_players,
            maxPlayers=game.max_players,
            players=len(players),
        )
    return [(p.id, p.name) for p in players]


def _player_rows(
    war_id: str, clan_id: int, players: list[tuple[str, str]], members: dict[str, MemberRow]
) -> list[dict[str, Any]]:
    return [
        {
            "war_id": war_id,
            "clan_id": clan_id,
            "user_id": uid,
            "name": name,
            "role": members[uid].effective_role,
            "position": i,
        }
        for i, (uid, name) in enumerate(players)
    ]


async def load_war(session: AsyncSession, war_id: str, *, lock: bool = False) -> War:
    query = select(War).where(War.id == normalize_war_id(war_id))
    if lock:
        query = query.with_for_update()
    war = (await session.scalars(query)).first()
    if war is None:
        raise errors.war_not_found(war_id)
    return war


async def render(session: AsyncSession, war: War, cat: Catalogue | None = None) -> dict[str, Any]:
    return (await views.war_dicts(session, cat or await catalogue.load(session), [war]))[0]


_SUBSCRIBERS = (
    select(*Clan.__table__.c)
    .join(Subscription, Subscription.clan_id == Clan.id)
    .where(Subscription.game_id == bindparam("game"), Clan.id != bindparam("host"))
    .order_by(Clan.id)
)
_INSERT_PLAYERS = insert(WarPlayer.metadata.tables[WarPlayer.__tablename__])

# createWar's first statement: the host clan and, in the same round trip, the clans
# subscribed to the game (one row each; one row of NULLs when there are none). The game
# is in the body, so the subscribers need not be read after the insert.
_HOST = Clan.__table__
_TARGET = Clan.__table__.alias("target")
_TARGET_COLUMNS = ("id", "platform", "server_id", "name", "channel_id")
_HOST_AND_SUBSCRIBERS = (
    select(*_HOST.c, *(_TARGET.c[n].label(f"target_{n}") for n in _TARGET_COLUMNS))
    .select_from(
        _HOST.outerjoin(
            Subscription.__table__.join(_TARGET, _TARGET.c.id == Subscription.clan_id),
            and_(Subscription.game_id == bindparam("game"), Subscription.clan_id != _HOST.c.id),
        )
    )
    .where(_HOST.c.platform == bindparam("p"), _HOST.c.server_id == bindparam("s"))
    .order_by(_TARGET.c.id)
)


async def host_and_subscribers(
    session: AsyncSession, platform: str, server_id: str, game_id: int
) -> tuple[ClanLike, list[ClanLike]]:
    """The host clan (404 when unknown) and the other clans subscribed to `game_id`."""
    connection = await session.connection()
    result = await connection.execute(
        _HOST_AND_SUBSCRIBERS, {"p": platform, "s": server_id, "game": game_id}
    )
    rows = result.all()
    if not rows:
        raise errors.clan_not_found(server_id)
    targets = [
        cast(ClanLike, SimpleNamespace(**{n: r._mapping[f"target_{n}"] for n in _TARGET_COLUMNS}))
        for r in rows
        if r.target_id is not None
    ]
    return cast(ClanLike, rows[0]), targets


async def subscribers(session: AsyncSession, war: WarLike) -> list[ClanLike]:
    """The clans a public war request goes to: subscribed to its game, except the host."""
    connection = await session.connection()
    rows = await connection.execute(_SUBSCRIBERS, {"game": war.game_id, "host": war.host_clan_id})
    return [cast(ClanLike, r) for r in rows]


_NOT_YET = {
    "opponent_clan_id": None,
    "host_vote": None,
    "opponent_vote": None,
    "result": None,
    "accepted_at": None,
    "ends_at": None,
    "ended_at": None,
}


async def _create(
    ctx: RequestContext, body: m.CreateWarRequest, private: bool
) -> dict[str, Any] | Reply:
    operation = "createPrivateWar" if private else "createWar"
    cat = await catalogue.load()
    game = cat.games.get(body.game)
    if game is None:
        raise errors.unprocessable(
            f"Unknown game {body.game}. See listGames.",
            game=body.game,
            knownGames=sorted(cat.games),
        )
    format_id = body.format or cat.default_format.id
    if format_id not in cat.formats:
        raise errors.unprocessable(
            f"Unknown format {format_id!r}. See listFormats.",
            format=format_id,
            knownFormats=list(cat.formats),
        )
    players = _check_players(game, body.players)
    duration = float(body.duration if body.duration is not None else 24)
    database = db.get()
    if database.direct is not None:
        direct = await _create_direct(database, ctx, body, private, cat, game, format_id, players, duration)
        if direct is not None:
            return direct
        # the clan is unknown, a check failed or the Idempotency-Key was used: the portable
        # path below says which, or replays the recorded reply

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan, targets = await host_and_subscribers(session, ctx.platform, body.server.id, game.id)
        members = await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, operation, players
        )
        check_available(members[uid] for uid, _ in players)
        values = _war_values(private, game, format_id, duration, body.actor.id, utcnow())
        values["host_clan_id"] = clan.id
        war_id = await insert_war_with_players(
            session, values, [(uid, name, members[uid].effective_role) for uid, name in players]
        )
        rows = _player_rows(war_id, clan.id, players, members)
        war = cast(WarLike, SimpleNamespace(id=war_id, **values, **_NOT_YET))
        new_players = [cast(PlayerLike, SimpleNamespace(**r)) for r in rows]
        rendered = views.war_dict(war, cat, clan, None, {clan.id: new_players})
        if not private:
            for target in targets:
                outbox.emit(session, target, "war.requested", {"war": rendered})
        return rendered

    return await idempotency.run(ctx, operation, 201, body, work)


def _war_values(
    private: bool, game: GameInfo, format_id: str, duration: float, actor_id: str, now: datetime
) -> dict[str, Any]:
    """A new war's row, but its id and host clan."""
    return {
        "status": "open",
        "private": private,
        "game_id": game.id,
        "format_id": format_id,
        "duration": duration,
        "created_by": actor_id,
        "created_at": now,
        "host_glory": 0,
        "opponent_glory": 0,
    }


async def _create_direct(
    database: db.Database,
    ctx: RequestContext,
    body: m.CreateWarRequest,
    private: bool,
    cat: Catalogue,
    game: GameInfo,
    format_id: str,
    players: list[tuple[str, str]],
    duration: float,
) -> dict[str, Any] | None:
    """PostgreSQL: the war, its players, its events and its Idempotency-Key's record in one
    statement (pg_direct.py); None when it wrote nothing because the portable path must
    answer (an unknown clan, a failed check, a key recorded already)."""
    assert database.direct is not None
    operation = "createPrivateWar" if private else "createWar"
    values = _war_values(private, game, format_id, duration, body.actor.id, utcnow())
    # the events' data is the reply; the statement fills in the id and the host side
    template = views.war_dict(
        cast(WarLike, SimpleNamespace(id="", host_clan_id=0, **values, **_NOT_YET)),
        cat, cast(ClanLike, SimpleNamespace(id=0, server_id="", name="", platform="")), None, {},
    )  # fmt: skip
    del template["id"], template["host"]
    created = await pg_direct.create_war(
        database.direct,
        platform=ctx.platform,
        server_id=body.server.id,
        actor=(body.actor.id, body.actor.name),
        players=players,
        values=values,
        events_at=utcnow(),
        rendered=template,
        key=None if not ctx.idempotency_key else (
            ctx.client, ctx.idempotency_key, operation, idempotency.fingerprint(operation, body.model_dump(mode="json"))
        ),
    )  # fmt: skip
    if created is None:
        return None
    if created.events:  # as Database.transaction after a commit with events
        metrics.EVENTS_WRITTEN.inc(created.events)
        database.notifier.notify()
    war = cast(WarLike, SimpleNamespace(id=created.war_id, host_clan_id=created.id, **values, **_NOT_YET))
    new_players = [
        cast(PlayerLike, SimpleNamespace(user_id=uid, name=name, role=role))
        for (uid, name), role in zip(players, created.roles, strict=True)
    ]
    return views.war_dict(war, cat, cast(ClanLike, created), None, {created.id: new_players})


async def create_war(ctx: RequestContext, *, body: m.CreateWarRequest) -> dict[str, Any] | Reply:
    return await _create(ctx, body, private=False)


async def create_private_war(
    ctx: RequestContext, *, body: m.CreateWarRequest
) -> dict[str, Any] | Reply:
    return await _create(ctx, body, private=True)


async def get_war(ctx: RequestContext, *, war_id: str) -> dict[str, Any]:
    async with db.get().read() as session:
        return await render(session, await load_war(session, war_id))


def _not_open(war: War) -> errors.Problem:
    reasons = {
        "removed": "it was removed by its host",
        "ongoing": "it was already accepted",
        "ended": "it was already played",
        "confirmed": "it was already played",
        "disputed": "it was already played",
    }
    return errors.conflict(
        f"War {war.id} is no longer open: {reasons.get(war.status, war.status)}.",
        warId=war.id,
        warStatus=war.status,
    )


async def remove_war(
    ctx: RequestContext, *, war_id: str, body: m.RemoveWarRequest
) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        members = await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, "removeWar"
        )
        war = await load_war(session, war_id)
        if war.host_clan_id != clan.id:
            raise errors.not_your_war(
                "removeWar", war.id, body.actor.id, members[body.actor.id].effective_role,
                f"your clan did not create war {war.id}; only the clan that did may remove it.",
            )  # fmt: skip
        changed = await session.execute(
            update(War).where(War.id == war.id, War.status == "open").values(status="removed")
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(war)
            raise _not_open(war)
        await session.refresh(war)
        rendered = await render(session, war)
        if not war.private:
            for target in await subscribers(session, war):
                outbox.emit(session, target, "war.removed", {"war": rendered})
        return rendered

    return await idempotency.run(ctx, "removeWar", 200, body, work, warId=normalize_war_id(war_id))


async def accept_war(
    ctx: RequestContext, *, war_id: str, body: m.AcceptWarRequest
) -> dict[str, Any] | Reply:
    cat = await catalogue.load()

    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        war = await load_war(session, war_id)
        players = _check_players(cat.games[war.game_id], body.players)
        members = await require_role(
            session, clan, (body.actor.id, body.actor.name), MANAGERS, "acceptWar", players
        )
        if war.host_clan_id == clan.id:
            raise errors.conflict(f"War {war.id} is your own clan's request.", warId=war.id)
        if war.status != "open":
            raise _not_open(war)
        check_available(members[uid] for uid, _ in players)
        now = utcnow()
        changed = await session.execute(
            update(War)
            .where(and_(War.id == war.id, War.status == "open"))
            .values(
                status="ongoing",
                opponent_clan_id=clan.id,
                accepted_at=now,
                ends_at=now + timedelta(hours=war.duration),
            )
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            await session.refresh(war)
            raise _not_open(war)
        await session.execute(_INSERT_PLAYERS, _player_rows(war.id, clan.id, players, members))
        await session.refresh(war)
        rendered = await render(session, war, cat)
        host = await session.get(Clan, war.host_clan_id)
        assert host is not None
        for target in (host, clan):
            outbox.emit(session, target, "war.accepted", {"war": rendered})
        return rendered

    return await idempotency.run(ctx, "acceptWar", 200, body, work, warId=normalize_war_id(war_id))


async def say_to_opponent(
    ctx: RequestContext, *, war_id: str, body: m.SayRequest
) -> dict[str, Any] | Reply:
    async def work(session: AsyncSession) -> dict[str, Any]:
        clan = await find_clan(session, ctx.platform, body.server.id)
        war = await load_war(session, war_id)
        if clan.id not in (war.host_clan_id, war.opponent_clan_id):
            raise errors.not_your_war(
                "sayToOpponent", war.id, body.actor.id, "not in this war",
                f"your clan is not in war {war.id}; only its two clans talk through it.",
            )  # fmt: skip
        if war.status not in MATCHED or war.opponent_clan_id is None:
            raise errors.conflict(
                f"War {war.id} has no opponent yet.", warId=war.id, warStatus=war.status
            )
        members = await require_role(
            session,
            clan,
            (body.actor.id, body.actor.name),
            ("Leader", "Co-Leader", "Member", "Unavailable"),
            "sayToOpponent",
        )
        me = members[body.actor.id]
        is_player = await session.scalar(
            select(WarPlayer.user_id).where(
                WarPlayer.war_id == war.id,
                WarPlayer.clan_id == clan.id,
                WarPlayer.user_id == me.user_id,
            )
        )
        if is_player is None and me.role not in MANAGERS:
            raise errors.forbidden(
                "sayToOpponent",
                ["player in this war", "Leader", "Co-Leader"],
                me.user_id,
                me.effective_role,
                f"Only the players of war {war.id} and their clans' leaders may talk to the opponent.",
            )
        other_id = war.opponent_clan_id if clan.id == war.host_clan_id else war.host_clan_id
        other = await session.get(Clan, other_id)
        assert other is not None
        sender = {
            "server": {"id": clan.server_id, "name": clan.name},
            "actor": {"id": me.user_id, "name": me.name},
        }
        outbox.emit(
            session,
            other,
            "war.message",
            {"war": await render(session, war), "message": body.message, "from": sender},
        )
        return {
            "warId": war.id,
            "from": sender,
            "to": views.clan_ref(other),
            "message": body.message,
            "createdAt": views.iso(utcnow()),
        }

    return await idempotency.run(
        ctx, "sayToOpponent", 202, body, work, warId=normalize_war_id(war_id)
    )
