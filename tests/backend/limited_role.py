"""A PostgreSQL role with a CONNECTION LIMIT, owning a fresh database: a server that has only
so many connections to give, made on the shared test cluster.

Why a role and not `max_connections` itself: that setting needs a server restart (or a
second cluster from initdb, started and torn down per test), and the cluster is shared by
every test session. A role's limit is changed at once with ALTER ROLE, affects nobody else,
and PostgreSQL refuses the connection past it with the same SQLSTATE 53300
(too_many_connections) as past max_connections. Superusers are exempt from role limits,
which is why the backend connects as this role and the tests' own checks as the superuser.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import make_url

from tests.backend.backend_support import Key
from tests.backend.conftest import pg_admin_url, prepare_database


@dataclass
class LimitedDatabase:
    role: str
    url: str  # the database as the role, for the backend (postgresql+asyncpg://role@...)
    admin_url: str  # the same database as the superuser, for the test's own checks (asyncpg's spelling)
    keys: dict[str, Key]

    def as_url(self, host: str, port: int) -> str:
        """The role's URL of this database at another address (a pooler in front)."""
        return make_url(self.url).set(host=host, port=port).render_as_string(hide_password=False)

    async def fetchval(self, query: str, *args: Any) -> Any:
        connection = await asyncpg.connect(self.admin_url)
        try:
            return await connection.fetchval(query, *args)
        finally:
            await connection.close()

    async def connections(self, application_name: str | None = None) -> int:
        """The role's connections open now (of one application_name, if given)."""
        query = "SELECT count(*) FROM pg_stat_activity WHERE usename = $1"
        if application_name is None:
            return int(await self.fetchval(query, self.role))
        return int(await self.fetchval(query + " AND application_name = $2", self.role, application_name))

    async def set_limit(self, limit: int) -> None:
        await self.fetchval(f'ALTER ROLE "{self.role}" CONNECTION LIMIT {int(limit)}')


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(pg_admin_url(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def limited_database(admin: str) -> Iterator[LimitedDatabase]:
    """A fresh role (no limit yet: `set_limit`) owning a fresh migrated database with keys.
    `admin`: TEST_DATABASE_URL (a superuser's)."""
    name = f"gmbot_limited_{uuid.uuid4().hex[:10]}"
    base = make_url(admin)
    asyncio.run(_admin(admin, f'CREATE ROLE "{name}" LOGIN NOSUPERUSER', f'CREATE DATABASE "{name}" OWNER "{name}"'))
    try:
        url = base.set(username=name, password=None, database=name).render_as_string(hide_password=False)
        own_admin = pg_admin_url(base.set(database=name).render_as_string(hide_password=False))
        yield LimitedDatabase(name, url, own_admin, prepare_database(url))
    finally:
        asyncio.run(_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'DROP ROLE IF EXISTS "{name}"'))
