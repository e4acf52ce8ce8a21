"""Short, readable war ids like the original's `zyo8`: 4 characters, no look-alikes (l/1, o/0)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl.tables import War, WarPlayer

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
    connection = await session.connection()  # Core, not the ORM's slower execute path
    statement = _insert(connection.dialect.name)
    for attempt in range(30):
        war_id = new_war_id(4 if attempt < 10 else 5 if attempt < 20 else 6)
        if (
            await connection.execute(statement, {"id": war_id, **values})
        ).scalar_one_or_none() is not None:
            return war_id
    raise RuntimeError("no free war id after 30 attempts")


_INSERT_PLAYERS = insert(WarPlayer.metadata.tables[WarPlayer.__tablename__])

# PostgreSQL: the war and its players in one round trip (createWar's hot path). When the
# id is taken the CTE inserts no war, so no players either, and no row comes back.
_WAR_AND_PLAYERS_PG = text("""
WITH w AS (
  INSERT INTO wars (id, status, private, game_id, format_id, duration, host_clan_id,
                    created_by, created_at, host_glory, opponent_glory)
  VALUES (:id, :status, :private, :game_id, :format_id, :duration, :host_clan_id,
          :created_by, :created_at, :host_glory, :opponent_glory)
  ON CONFLICT (id) DO NOTHING
  RETURNING id
)
INSERT INTO war_players (war_id, clan_id, user_id, name, role, "position")
SELECT w.id, :host_clan_id, p.user_id, p.name, p.role, p.position
FROM w, unnest(CAST(:user_ids AS text[]), CAST(:names AS text[]), CAST(:roles AS text[]),
               CAST(:positions AS integer[])) AS p(user_id, name, role, position)
RETURNING war_id
""")


async def insert_war_with_players(
    session: AsyncSession, values: dict[str, Any], players: list[tuple[str, str, str]]
) -> str:
    """`insert_war`, then the host's players (user id, name, role) in that order: one
    statement on PostgreSQL, two elsewhere (SQLite has no INSERT inside WITH)."""
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        war_id = await insert_war(session, values)
        rows = [
            {"war_id": war_id, "clan_id": values["host_clan_id"], "user_id": uid, "name": name,
             "role": role, "position": i}
            for i, (uid, name, role) in enumerate(players)
        ]  # fmt: skip
        await connection.execute(_INSERT_PLAYERS, rows[0] if len(rows) == 1 else rows)
        return war_id
    arrays = {
        "user_ids": [p[0] for p in players],
        "names": [p[1] for p in players],
        "roles": [p[2] for p in players],
        "positions": list(range(len(players))),
    }
    for attempt in range(30):
        war_id = new_war_id(4 if attempt < 10 else 5 if attempt < 20 else 6)
        result = await connection.execute(_WAR_AND_PLAYERS_PG, {"id": war_id, **values, **arrays})
        if result.first() is not None:
            return war_id
    raise RuntimeError("no free war id after 30 attempts")
