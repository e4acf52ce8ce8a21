"""Clans and their members, namespaced by platform, and the role rules.

The backend is the authority on roles. A user the backend has not seen yet is
recorded as a Member of the clan the first time they appear (as an actor or a
tagged player). `Unavailable` is the role shown for a Member who marked
themselves unavailable; Leaders and Co-Leaders keep their role but cannot be
put in a war while unavailable.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import errors
from backend_impl.shapes import ClanLike
from backend_impl.tables import Clan, Member

LEADER = "Leader"
CO_LEADER = "Co-Leader"
MEMBER = "Member"
UNAVAILABLE = "Unavailable"
MANAGERS = (LEADER, CO_LEADER)
ROLE_ORDER = {LEADER: 0, CO_LEADER: 1, MEMBER: 2, UNAVAILABLE: 3}


@dataclass(frozen=True)
class MemberRow:
    user_id: str
    name: str
    role: str  # stored role: Leader, Co-Leader or Member
    available: bool

    @property
    def effective_role(self) -> str:
        return UNAVAILABLE if self.role == MEMBER and not self.available else self.role

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.user_id,
            "name": self.name,
            "role": self.effective_role,
            "available": self.available,
        }


def row(member: Member) -> MemberRow:
    return MemberRow(member.user_id, member.name, member.role, member.available)


# Statements built once (building one costs more than running it on a hot path).
_FIND_CLAN = select(Clan).where(Clan.platform == bindparam("p"), Clan.server_id == bindparam("s"))
_FIND_CLAN_LOCKED = _FIND_CLAN.with_for_update()
_UPSERTS: dict[str, Any] = {}


def _upsert_members(dialect_name: str) -> Any:
    """INSERT members ... ON CONFLICT DO UPDATE SET name ... RETURNING, run as an executemany."""
    if dialect_name not in _UPSERTS:
        module = postgresql if dialect_name == "postgresql" else sqlite
        statement = module.insert(Member.__table__)
        _UPSERTS[dialect_name] = statement.on_conflict_do_update(
            index_elements=["clan_id", "user_id"], set_={"name": statement.excluded.name}
        ).returning(Member.__table__.c.user_id, Member.__table__.c.name, Member.__table__.c.role,
                    Member.__table__.c.available)  # fmt: skip
    return _UPSERTS[dialect_name]


async def find_clan(
    session: AsyncSession, platform: str, server_id: str, *, lock: bool = False
) -> Clan:
    query = _FIND_CLAN_LOCKED if lock else _FIND_CLAN
    clan = (await session.scalars(query, {"p": platform, "s": server_id})).first()
    if clan is None:
        raise errors.clan_not_found(server_id)
    return clan


async def touch_members(
    session: AsyncSession, clan_id: int, users: Iterable[tuple[str, str]]
) -> dict[str, MemberRow]:
    """Record users (id, name) as members if new, refresh their names; return them all by id."""
    unique = dict(users)  # last name wins
    if not unique:
        return {}
    values = [
        {"clan_id": clan_id, "user_id": uid, "name": name, "role": MEMBER, "available": True}
        for uid, name in sorted(unique.items())  # one order everywhere: no deadlocks
    ]
    connection = await session.connection()
    statement = _upsert_members(connection.dialect.name)
    result = await connection.execute(statement, values[0] if len(values) == 1 else values)
    return {r.user_id: MemberRow(r.user_id, r.name, r.role, bool(r.available)) for r in result}


async def require_role(
    session: AsyncSession,
    clan: ClanLike,
    actor: tuple[str, str],
    allowed: Collection[str],
    operation: str,
    extra_users: Iterable[tuple[str, str]] = (),
) -> dict[str, MemberRow]:
    """Record the actor (and `extra_users`), then check the actor's role: 403 naming the role needed."""
    members = await touch_members(session, clan.id, [actor, *extra_users])
    me = members[actor[0]]
    if me.effective_role not in allowed:
        raise errors.forbidden(operation, allowed, me.user_id, me.effective_role)
    return members


def check_available(players: Iterable[MemberRow]) -> None:
    unavailable = [p for p in players if not p.available]
    if unavailable:
        names = ", ".join(p.name for p in unavailable)
        raise errors.conflict(
            f"These players marked themselves unavailable: {names}.",
            unavailable=[p.user_id for p in unavailable],
        )
