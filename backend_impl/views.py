"""Rows -> the JSON bodies of openapi.yaml (plain dicts: the server serialises them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Integer, String, any_, bindparam, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl.catalogue import Catalogue
from backend_impl.identity import LEADER, row
from backend_impl.shapes import ClanLike, PlayerLike, WarLike
from backend_impl.tables import Clan, Member, WarPlayer

_CLANS = Clan.__table__.c
_PLAYERS = WarPlayer.__table__.c
# By dialect: an expanding IN (...) is re-rendered on every execution and, its SQL changing
# with the number of ids, prepared again; PostgreSQL takes the ids as one array instead
# (`= ANY(:ids)`: one statement, prepared once; ~1 ms less CPU per status listing).
_CLANS_BY_ID = {
    "postgresql": select(*_CLANS).where(_CLANS.id == any_(bindparam("ids", type_=ARRAY(Integer)))),
    "other": select(*_CLANS).where(_CLANS.id.in_(bindparam("ids", expanding=True))),
}
_PLAYERS_OF_WARS = {
    "postgresql": select(*_PLAYERS)
    .where(_PLAYERS.war_id == any_(bindparam("ids", type_=ARRAY(String))))
    .order_by(_PLAYERS.position),
    "other": select(*_PLAYERS)
    .where(_PLAYERS.war_id.in_(bindparam("ids", expanding=True)))
    .order_by(_PLAYERS.position),
}


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def clan_ref(clan: ClanLike) -> dict[str, str]:
    return {"id": clan.server_id, "name": clan.name}


async def clan_dict(session: AsyncSession, clan: Clan) -> dict[str, Any]:
    leader = (
        await session.scalars(
            select(Member).where(Member.clan_id == clan.id, Member.role == LEADER)
        )
    ).first()
    channel = (
        {"id": clan.channel_id, "name": clan.channel_name or clan.channel_id}
        if clan.channel_id
        else None
    )
    return {
        "serverId": clan.server_id,
        "platform": clan.platform,
        "name": clan.name,
        "location": clan.location,
        "language": clan.language,
        "channel": channel,
        "leader": None
        if leader is None
        else {"id": leader.user_id, "name": leader.name, "role": row(leader).effective_role},
        "glory": clan.glory,
        "createdAt": iso(clan.created_at),
    }


def player_dict(player: PlayerLike) -> dict[str, str]:
    return {"id": player.user_id, "name": player.name, "role": player.role}


def _side(
    clan: ClanLike, players: Sequence[PlayerLike], vote: str | None, glory: int
) -> dict[str, Any]:
    return {
        "server": clan_ref(clan),
        "platform": clan.platform,
        "players": [player_dict(p) for p in players],
        "vote": vote,
        "glory": glory,
    }


def war_dict(
    war: WarLike,
    catalogue: Catalogue,
    host: ClanLike,
    opponent: ClanLike | None,
    players: dict[int, list[PlayerLike]],
) -> dict[str, Any]:
    game = catalogue.games[war.game_id]
    format_ = catalogue.formats[war.format_id]
    return {
        "id": war.id,
        "status": war.status,
        "private": war.private,
        "game": game.to_dict(),
        "format": format_.to_dict(),
        "duration": war.duration,
        "host": _side(host, players.get(host.id, []), war.host_vote, war.host_glory),
        "opponent": None
        if opponent is None
        else _side(opponent, players.get(opponent.id, []), war.opponent_vote, war.opponent_glory),
        "result": war.result,
        "createdAt": iso(war.created_at),
        "acceptedAt": iso(war.accepted_at),
        "endsAt": iso(war.ends_at),
        "endedAt": iso(war.ended_at),
    }


async def war_dicts(
    session: AsyncSession,
    catalogue: Catalogue,
    wars: Sequence[WarLike],
    known: Sequence[ClanLike] = (),
) -> list[dict[str, Any]]:
    """Render wars with two queries at most (their clans, their players), as plain rows.

    `known`: clans the caller read in this transaction already; they are not read again
    (the status listing's wars are mostly the clan's own requests).
    """
    if not wars:
        return []
    connection = await session.connection()
    dialect = "postgresql" if connection.dialect.name == "postgresql" else "other"
    clans: dict[int, ClanLike] = {c.id: c for c in known}
    missing = (
        {w.host_clan_id for w in wars} | {w.opponent_clan_id for w in wars if w.opponent_clan_id}
    ) - clans.keys()
    if missing:
        for r in await connection.execute(_CLANS_BY_ID[dialect], {"ids": list(missing)}):
            clans[r.id] = cast(ClanLike, r)
    players = await connection.execute(_PLAYERS_OF_WARS[dialect], {"ids": [w.id for w in wars]})
    return assemble(catalogue, wars, clans, cast(Iterable[PlayerLike], players))


def assemble(
    catalogue: Catalogue,
    wars: Sequence[WarLike],
    clans: dict[int, ClanLike],
    players: Iterable[PlayerLike],
) -> list[dict[str, Any]]:
    """The wars rendered, from their clans (by id) and their players (in position order)."""
    by_war: dict[str, dict[int, list[PlayerLike]]] = defaultdict(lambda: defaultdict(list))
    for player in players:
        by_war[player.war_id][player.clan_id].append(player)
    return [
        war_dict(
            w,
            catalogue,
            clans[w.host_clan_id],
            clans.get(w.opponent_clan_id) if w.opponent_clan_id else None,
            by_war[w.id],
        )
        for w in wars
    ]
