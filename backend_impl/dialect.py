"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT supporting `on_conflict_do_nothing` / `on_conflict_do_update` on the session's database."""
    name = session.get_bind().dialect.name
    return postgresql.insert(table) if name == "postgresql" else sqlite.insert(table)


def insert_for(dialect_name: str, table: Any) -> Any:
    """`insert` for a dialect by name (on a connection rather than a session)."""
    return postgresql.insert(table) if dialect_name == "postgresql" else sqlite.insert(table)
