"""The operator's side of the Gmbot backend, as `gmbot.application.Admin` describes it.

`gmbot serve`, `run`, `keys` and the in-process backend of `gmbot chat` reach the
database and the API keys through these functions only, so the library never
imports this package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from backend_impl import apikeys, db, migrate, settings
from gmbot.server.types import ApiClient


def database_url(given: str | None = None) -> str:
    return settings.database_url(given)


async def upgrade(database_url: str) -> None:
    await migrate.upgrade(database_url)


@asynccontextmanager
async def _database(url: str) -> AsyncIterator[db.Database]:
    await migrate.upgrade(url)
    database = db.Database(url)
    try:
        yield database
    finally:
        await database.dispose()


async def create_key(
    url: str,
    client: str,
    platform: str | None = None,
    *,
    shared_platform: bool = False,
    second_platform: bool = False,
) -> tuple[apikeys.KeyInfo, str]:
    async with _database(url) as database:
        return await apikeys.create(
            database, client, platform, shared_platform=shared_platform, second_platform=second_platform
        )


async def verify_key(url: str, key: str) -> ApiClient | None:
    async with _database(url) as database:
        return await apikeys.verify(database, key)


async def list_keys(url: str, client: str | None = None) -> list[apikeys.KeyInfo]:
    async with _database(url) as database:
        return await apikeys.list_keys(database, client)


async def revoke_key(url: str, key_id: str) -> bool:
    async with _database(url) as database:
        return await apikeys.revoke(database, key_id)
