"""Run the Alembic migrations programmatically (`gmbot serve` and `gmbot keys` do, before anything else).

On PostgreSQL an advisory lock lets several processes start at once: one migrates,
the others wait and then find nothing to do.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from backend_impl import settings
from backend_impl.db import engine_options

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 4_752_110_001  # pg_advisory_xact_lock key for migrations


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def _upgrade(connection: Any, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def upgrade(url: str | None = None, revision: str = "head") -> None:
    database_url = settings.database_url(url)
    engine = create_async_engine(database_url, **engine_options(database_url))  # PgBouncer too
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_ID})"))
            await connection.run_sync(_upgrade, revision)
    finally:
        await engine.dispose()


def upgrade_sync(url: str | None = None, revision: str = "head") -> None:
    asyncio.run(upgrade(url, revision))
