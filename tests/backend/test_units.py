"""Small pure pieces: the glory rule, war ids, database URLs, API keys, migrations."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from backend_impl import apikeys, db, migrate, results, settings, warids


@pytest.mark.parametrize(
    ("host", "opponent", "expected"),
    [("win", "lose", "host"), ("lose", "win", "opponent"), ("draw", "draw", "draw"),
     ("win", "win", None), ("lose", "lose", None), ("win", "draw", None), ("draw", "lose", None)],
)  # fmt: skip
def test_outcome_of_votes(host: str, opponent: str, expected: str | None) -> None:
    assert results.outcome(host, opponent) == expected


def test_war_ids_are_short_and_readable() -> None:
    ids = {warids.new_war_id() for _ in range(2000)}
    assert len(ids) > 1990
    assert all(len(i) == 4 and set(i) <= set(warids.ALPHABET) for i in ids)
    assert not set("lo01") & set(warids.ALPHABET)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("postgresql://u@h:5432/d", "postgresql+asyncpg://u@h:5432/d"),
        ("postgresql+asyncpg://u@h/d", "postgresql+asyncpg://u@h/d"),
        ("sqlite:///./x.sqlite3", "sqlite+aiosqlite:///./x.sqlite3"),
        ("sqlite+aiosqlite:///x", "sqlite+aiosqlite:///x"),
    ],
)
def test_database_urls(url: str, expected: str) -> None:
    assert settings.normalize_database_url(url) == expected


def test_default_database_is_a_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert settings.database_url() == "sqlite+aiosqlite:///./gmbot.sqlite3"


def test_api_keys_hashed_verified_revoked(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'keys.sqlite3'}"

    async def scenario() -> None:
        await migrate.upgrade(url)
        database = db.Database(url)
        try:
            info, key = await apikeys.create(database, "DISCORD-BFF")
            assert info.platform == "discord" and key.startswith(f"gmb_{info.id}_")
            found = await apikeys.verify(database, key)
            assert found is not None and (found.client, found.platform) == (
                "DISCORD-BFF",
                "discord",
            )
            assert await apikeys.verify(database, key + "x") is None
            assert await apikeys.verify(database, "garbage") is None
            assert await apikeys.verify(database, f"gmb_{info.id}_wrong") is None
            assert [k.id for k in await apikeys.list_keys(database)] == [info.id]
            assert await apikeys.revoke(database, info.id)
            assert not await apikeys.revoke(database, info.id)
            assert await apikeys.verify(database, key) is None
        finally:
            await database.dispose()

    asyncio.run(scenario())
    stored = (
        sqlite3.connect(tmp_path / "keys.sqlite3")
        .execute("SELECT secret_hash FROM api_keys")
        .fetchall()
    )
    assert len(stored) == 1 and len(stored[0][0]) == 64  # only a sha256 is stored


def test_migrations_are_repeatable_and_seed_the_catalogue(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    migrate.upgrade_sync(url)
    migrate.upgrade_sync(url)  # nothing left to do
    connection = sqlite3.connect(tmp_path / "m.sqlite3")
    assert connection.execute("SELECT id, min_players, max_players FROM games ORDER BY id").fetchall() == [
        (4, 1, 4), (5, 1, 4), (7, 1, 5), (8, 1, 5)
    ]  # fmt: skip
    assert connection.execute("SELECT id FROM formats WHERE is_default").fetchall() == [("ft3",)]
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """Alembic's autogenerate finds nothing to add: tables.py and the migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlalchemy import create_engine

    from backend_impl.tables import Base

    migrate.upgrade_sync(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    engine = create_engine(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_idempotency_records_get_their_clients_platform_when_migrated(tmp_path: Path) -> None:
    """Records made before keys were scoped by platform keep replaying on their client's platform."""
    url = f"sqlite:///{tmp_path / 'i.sqlite3'}"
    migrate.upgrade_sync(url, "0003")
    connection = sqlite3.connect(tmp_path / "i.sqlite3")
    connection.execute("INSERT INTO api_keys (id, client, platform, secret_hash, created_at) "
                       "VALUES ('k1', 'DISCORD-BFF', 'discord', 'h', '2026-01-01 00:00:00')")  # fmt: skip
    for client in ("DISCORD-BFF", "GONE-BFF"):
        connection.execute("INSERT INTO idempotency_keys (client, key, operation, request_hash, status, body, "
                           "created_at) VALUES (?, 'k', 'op', 'h', 201, '{}', '2026-01-01 00:00:00')", (client,))
    connection.commit()
    connection.close()
    migrate.upgrade_sync(url)
    connection = sqlite3.connect(tmp_path / "i.sqlite3")
    rows = connection.execute("SELECT client, platform, key FROM idempotency_keys ORDER BY client").fetchall()
    assert rows == [("DISCORD-BFF", "discord", "k"), ("GONE-BFF", "", "k")]
    connection.close()
