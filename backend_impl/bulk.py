"""Bulk writes on PostgreSQL: many rows in one statement, their columns passed as arrays
and unnested (a recompute rewrites a season's 200,000 result rows: one UPDATE, not 200,000).

Elsewhere (SQLite) the same rows go through SQLAlchemy's executemany.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    bindparam,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from backend_impl import dialect

_PG_TYPES = ((BigInteger, "bigint"), (Integer, "integer"), (Float, "float8"), (Boolean, "boolean"),
             (DateTime, "timestamp"), (String, "text"))  # fmt: skip


def _pg_type(table: Any, column: str) -> str:
    kind = table.c[column].type
    return next(name for cls, name in _PG_TYPES if isinstance(kind, cls))


def _unnest(table: Any, columns: Sequence[str]) -> str:
    arrays = ", ".join(f"${i + 1}::{_pg_type(table, c)}[]" for i, c in enumerate(columns))
    return f"unnest({arrays}) AS v({', '.join(columns)})"


async def _driver(connection: AsyncConnection) -> Any:
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None
    return driver


async def update_rows(
    connection: AsyncConnection, table: Any, keys: Sequence[str], columns: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """UPDATE each row (found by `keys`) setting `columns`, from dicts holding both."""
    if not rows:
        return
    names = [*keys, *columns]
    if connection.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = v.{c}" for c in columns)
        where = " AND ".join(f"t.{k} = v.{k}" for k in keys)
        sql = f"UPDATE {table.name} AS t SET {sets} FROM {_unnest(table, names)} WHERE {where}"
        await (await _driver(connection)).execute(sql, *([row[n] for row in rows] for n in names))
        return
    statement = (
        update(table)
        .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
        .values({c: bindparam(f"v_{c}") for c in columns})
    )
    await connection.execute(
        statement, [{**{f"k_{k}": row[k] for k in keys}, **{f"v_{c}": row[c] for c in columns}} for row in rows]
    )


async def upsert_rows(
    connection: AsyncConnection, table: Any, keys: Sequence[str], updated: Sequence[str], rows: list[dict[str, Any]]
) -> None:
    """INSERT the rows (dicts of every column), or UPDATE `updated` where `keys` exist."""
    if not rows:
        return
    names = list(rows[0])
    if connection.dialect.name == "postgresql":
        sets = ", ".join(f"{c} = excluded.{c}" for c in updated)
        sql = (
            f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM {_unnest(table, names)} "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        )
        await (await _driver(connection)).execute(sql, *([row[n] for row in rows] for n in names))
        return
    insert = dialect.insert_for(connection.dialect.name, table)
    statement = insert.on_conflict_do_update(index_elements=list(keys), set_={c: insert.excluded[c] for c in updated})
    await connection.execute(statement, rows)


async def fetch(connection: AsyncConnection, statement: Any) -> list[Any]:
    """Rows of a large SELECT as mappings (`row["column"]`): on PostgreSQL straight from asyncpg,
    skipping SQLAlchemy's per-row processing (a recompute reads 400,000 rows)."""
    if connection.dialect.name == "postgresql":
        compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.construct_params()
        values = [params[name] for name in compiled.positiontup or ()]
        return list(await (await _driver(connection)).fetch(str(compiled), *values))
    return [row._mapping for row in await connection.execute(statement)]
