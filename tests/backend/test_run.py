"""`gmbot run`, the README's main job: the backend alone without a token, and the
API key it keeps for the bot."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from backend_impl import admin, apikeys, db
from gmbot import run
from tests.backend.backend_support import cli_environment, wait_for_health
from tests.backend.conftest import free_port


@pytest.mark.slow
def test_run_without_a_token_serves_the_backend(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gmbot.cli", "run", "--port", str(port)],
        cwd=tmp_path, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        reply = wait_for_health(process, port)
        assert reply.json()["status"] == "ok"
        assert (tmp_path / "gmbot.sqlite3").exists()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "serving the backend only" in output


async def test_the_bot_key_is_minted_once_and_reminted_when_unknown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.sqlite3'}"
    first = await run._bot_key(admin, url, "DISCORD-BFF", "discord")
    assert await run._bot_key(admin, url, "DISCORD-BFF", "discord") == first  # kept in .gmbot/
    database = db.Database(url)
    try:
        found = await apikeys.verify(database, first)
        assert found is not None and found.client == "DISCORD-BFF"
    finally:
        await database.dispose()
    # A key of another database (or another client) is not reused.
    other = await run._bot_key(admin, f"sqlite+aiosqlite:///{tmp_path / 'other.sqlite3'}", "DISCORD-BFF", "discord")
    assert other != first
    assert (tmp_path / ".gmbot" / "discord-bff-api-key").read_text().strip() == other
