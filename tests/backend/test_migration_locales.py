"""Migration 0008: a clan's free-text language becomes a locale code; events get a language."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from backend_impl import migrate

TYPED = {  # what Leaders typed at setup -> the locale code it becomes
    "English": "en", "english": "en", "es": "es", "Español": "es", "Spanish": "es", "castellano": "es",
    "pt-br": "pt_BR", "Português": "pt_BR", "Brazilian Portuguese": "pt_BR", "pt": "pt_BR",
    "French": "fr", "Deutsch": "de", "Klingon": "en", "  ": "en",
}


def test_free_text_languages_become_locale_codes_and_back(tmp_path: Path) -> None:
    path = tmp_path / "m.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade_sync(url, "0007")
    with sqlite3.connect(path) as connection:
        for i, typed in enumerate(TYPED):
            connection.execute(
                "INSERT INTO clans (platform, server_id, server_name, name, location, language, created_at, glory,"
                " played, won, lost, drawn, disputed) VALUES ('discord', ?, 's', 'c', 'l', ?, '2026-01-01', 0, 0, 0, 0,"
                " 0, 0)", (str(i), typed))
    migrate.upgrade_sync(url, "0008")
    with sqlite3.connect(path) as connection:
        got = dict(connection.execute("SELECT server_id, language FROM clans").fetchall())
        columns = {row[1] for row in connection.execute("PRAGMA table_info(events)")}
    assert {typed: got[str(i)] for i, typed in enumerate(TYPED)} == TYPED
    assert "language" in columns

    engine = sa.create_engine(url)
    with engine.begin() as connection:  # back: codes as their English names, no events.language
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0007")
    engine.dispose()
    with sqlite3.connect(path) as connection:
        back = {row[0] for row in connection.execute("SELECT DISTINCT language FROM clans")}
        columns = {row[1] for row in connection.execute("PRAGMA table_info(events)")}
    assert back == {"English", "Spanish", "Portuguese", "French", "German"} and "language" not in columns
