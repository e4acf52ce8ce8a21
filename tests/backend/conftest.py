"""Fixtures for the backend tests: a real `gmbot serve` process on loopback, per database.

Every test using `backend`/`api` runs on SQLite, and again on PostgreSQL when
TEST_DATABASE_URL is set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test):
each session creates a fresh database next to it and drops it at the end.
GMBOT_TEST_APP picks the ASGI app (default generated.server.app:app).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend.backend_support import Api, Key
from tests.support import ROOT, free_port

APP = os.environ.get("GMBOT_TEST_APP", "generated.server.app:app")
PG_URL = os.environ.get("TEST_DATABASE_URL")



def pg_admin_url(url: str) -> str:
    """asyncpg's URL spelling of TEST_DATABASE_URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


async def _pg(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(pg_admin_url(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def create_pg_database(url: str) -> str:
    name = f"gmbot_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg(url, f'CREATE DATABASE "{name}"'))
    return with_database(url, name)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = url.rpartition("/")[2]
    asyncio.run(_pg(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _prepare(url: str) -> dict[str, Key]:
    from backend_impl import apikeys, db, migrate

    await migrate.upgrade(url)
    database = db.Database(url)
    try:
        keys = {}
        for client, platform in (("DISCORD-BFF", "discord"), ("SLACK-BFF", "slack")):
            _, secret = await apikeys.create(database, client, platform)
            keys[platform] = Key(client, platform, secret)
        return keys
    finally:
        await database.dispose()


def prepare_database(url: str) -> dict[str, Key]:
    """Migrate and issue one key per test client."""
    return asyncio.run(_prepare(url))


@dataclass
class Server:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start_server(database_url: str, log: Path, **env: str) -> Server:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GMBOT_SCHEDULER_INTERVAL": "0.2",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **env,
    }
    command = [sys.executable, "-m", "gmbot.cli", "serve", "--port", str(port), "--asgi-app", APP,
               "--no-access-log", "--log-level", "warning"]  # fmt: skip
    handle = log.open("ab")
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=handle, stderr=subprocess.STDOUT
    )
    server = Server(f"http://127.0.0.1:{port}", database_url, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gmbot serve exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{server.url}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"gmbot serve did not start:\n{log.read_text()[-3000:]}")


@dataclass
class Backend:
    kind: str  # "sqlite" or "postgres"
    database_url: str
    server: Server
    keys: dict[str, Key]
    extra: list[Server] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url


def _database_params() -> list[Any]:
    return [
        pytest.param("sqlite", id="sqlite"),
        pytest.param(
            "postgres",
            id="postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set"),
            ],
        ),
    ]


@pytest.fixture(scope="session", params=_database_params())
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    kind = request.param
    directory = tmp_path_factory.mktemp(f"backend-{kind}")
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'gmbot.sqlite3'}"
    else:
        assert PG_URL
        url = create_pg_database(PG_URL)
    keys = prepare_database(url)
    server = start_server(url, directory / "server.log")
    try:
        yield Backend(kind, url, server, keys)
    finally:
        server.stop()
        if kind == "postgres":
            assert PG_URL
            drop_pg_database(PG_URL, url)


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, Key]]]:
    """A fresh PostgreSQL database (migrated, with keys) for the PostgreSQL-only tests."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    url = create_pg_database(PG_URL)
    try:
        yield url, prepare_database(url)
    finally:
        drop_pg_database(PG_URL, url)


@pytest.fixture
def api(backend: Backend) -> Iterator[Api]:
    client = Api(backend.url, backend.keys["discord"])
    yield client
    client.close()


@pytest.fixture
def slack_api(backend: Backend) -> Iterator[Api]:
    client = Api(backend.url, backend.keys["slack"])
    yield client
    client.close()
