"""Clans by the beginning of their name, any case (searchClans: a chat user naming a clan).

One range of the index of migration 0009 (platform, lower-cased name, id), read in order:
the names from the prefix up to the prefix followed by the last code point. The key is
compared byte by byte (COLLATE "C" on PostgreSQL, SQLite's own order), in which every name
starting with the prefix lies in that range, whatever the database's collation. Both sides
are lower-cased by the database's `lower()`: on SQLite that folds ASCII letters only.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import ColumnElement, bindparam, func, select

from backend_impl import db
from backend_impl.tables import Clan

LAST = "\U0010ffff"  # above every character a name can hold


def _byte_order(dialect: str, value: ColumnElement[Any]) -> ColumnElement[Any]:
    return value.collate("C") if dialect == "postgresql" else value


@functools.cache
def _statement(dialect: str) -> Any:
    key = _byte_order(dialect, func.lower(Clan.name))
    prefix = func.lower(bindparam("prefix"))
    return (
        select(Clan.server_id, Clan.platform, Clan.name, Clan.location)
        .where(Clan.platform == bindparam("platform"), key >= _byte_order(dialect, prefix),
               key < _byte_order(dialect, prefix.concat(LAST)))
        .order_by(key, Clan.id)
        .limit(bindparam("limit"))
    )  # fmt: skip


# PostgreSQL's direct path (pg_direct.py): the same read as one statement on asyncpg, no
# transaction around it (one statement is one snapshot): one round trip where SQLAlchemy's
# read transaction takes three, which is most of an autocomplete's time at the server.
SEARCH = f"""
SELECT server_id, platform, name, location FROM clans
WHERE platform = $1::text
  AND (lower(name) COLLATE "C") >= (lower($2::text) COLLATE "C")
  AND (lower(name) COLLATE "C") < ((lower($2::text) || U&'\\+{ord(LAST):06X}') COLLATE "C")
ORDER BY lower(name) COLLATE "C", id
LIMIT $3::bigint
"""


async def clans_named(platform: str, prefix: str, limit: int) -> list[dict[str, Any]]:
    """The first `limit` clans of `platform` whose name starts with `prefix` (any case)."""
    database = db.get()
    if database.direct is not None:
        async with database.direct.acquire() as connection:
            found = await connection.fetch(SEARCH, platform, prefix, limit)
        return [{"serverId": r["server_id"], "platform": r["platform"], "name": r["name"],
                 "location": r["location"]} for r in found]  # fmt: skip
    async with database.read() as session:
        rows = await session.execute(_statement(database.dialect), {"platform": platform, "prefix": prefix, "limit": limit})
        return [{"serverId": r.server_id, "platform": r.platform, "name": r.name, "location": r.location}
                for r in rows]  # fmt: skip
