"""Short, readable war ids like the original's `zyo8`: 4 characters, no look-alikes (l/1, o/0)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl.tables import War

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


def new_war_id(length: int = 4) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


_INSERTS: dict[str, Any] = {}


def _insert(dialect_name: str) -> Any:
    """INSERT INTO wars ... ON CONFLICT (id) DO NOTHING RETURNING id, built once per dialect."""
    if dialect_name not in _INSERTS:
        module = postgresql if dialect_name == "postgresql" else sqlite
        table = War.__table__
        _INSERTS[dialect_name] = (
            module.insert(table).on_conflict_do_nothing(index_elements=["id"]).returning(table.c.id)
        )
    return _INSERTS[dialect_name]


async def insert_war(session: AsyncSession, values: dict[str, Any]) -> str:
    """Insert a war under a fresh id; a taken id is skipped (ON CONFLICT DO NOTHING), never an error."""
    statement = _insert(session.get_bind().dialect.name)
    for attempt in range(30):
        war_id = new_war_id(4 if attempt < 10 else 5 if attempt < 20 else 6)
        if (
            await session.execute(statement, {"id": war_id, **values})
        ).scalar_one_or_none() is not None:
            return war_id
    raise RuntimeError("no free war id after 30 attempts")
