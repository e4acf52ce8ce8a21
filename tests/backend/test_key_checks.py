"""API keys at the wire: a key created while the backend runs works at once, a revoked one
stops within GMBOT_KEY_CACHE_SECONDS, and unknown keys cost no query each (PostgreSQL counts
them: `pg_stat_database`).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from backend_impl import admin
from tests.backend.backend_support import Key
from tests.backend.conftest import Backend, Server, start_server
from tests.backend.test_postgres_long_polls import _transactions

UNKNOWN = 300


def well_formed_unknown_key() -> str:
    return f"gmb_{secrets.token_hex(6)}_{secrets.token_urlsafe(32)}"


def test_a_new_key_works_at_once_and_a_revoked_one_stops(backend: Backend) -> None:
    info, key = asyncio.run(admin.create_key(backend.database_url, "KEYS-BFF", "keys"))
    headers = {"x-api-key": key, "client": "KEYS-BFF"}
    assert httpx.get(f"{backend.url}/games", headers=headers).status_code == 200
    assert asyncio.run(admin.revoke_key(backend.database_url, info.id))
    deadline = time.monotonic() + 5 + 2  # GMBOT_KEY_CACHE_SECONDS, and a margin
    while httpx.get(f"{backend.url}/games", headers=headers).status_code == 200:
        assert time.monotonic() < deadline, "a revoked key still works"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def pg_server(
    pg_database: tuple[str, dict[str, Key]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, str, dict[str, Key]]]:
    url, keys = pg_database
    directory: Path = tmp_path_factory.mktemp("key-checks")
    server = start_server(url, directory / "server.log", GMBOT_SCHEDULER_INTERVAL="1")
    try:
        yield server, url, keys
    finally:
        server.stop()


async def _cost_of_unknown_keys(server: Server, url: str, key: Key) -> tuple[float, float, list[int]]:
    """Transactions the database counted while `UNKNOWN` unknown keys were tried, and while
    none were, each per second: the server's scheduler commits every second meanwhile, and on a
    loaded machine the requests take longer, so totals alone would count its rounds too."""
    async def window(requests: int) -> tuple[float, list[int]]:
        before, started = await _transactions(url), time.monotonic()
        async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:
            replies = await asyncio.gather(*(
                client.get("/games", headers={"x-api-key": well_formed_unknown_key(), "client": key.client})
                for _ in range(requests)
            ))  # fmt: skip
            # a known key meanwhile: answered from memory too (and it keeps the windows alike)
            known = await client.get("/games", headers={"x-api-key": key.key, "client": key.client})
        await asyncio.sleep(1.2)  # backends publish their counts at most once a second
        seconds = time.monotonic() - started
        return (await _transactions(url) - before - 2) / seconds, [r.status_code for r in [*replies, known]]

    baseline, _ = await window(0)
    cost, statuses = await window(UNKNOWN)
    return baseline, cost, statuses


@pytest.mark.postgres
def test_unknown_keys_cost_no_query_each(pg_server: tuple[Server, str, dict[str, Key]]) -> None:
    server, url, keys = pg_server
    baseline, cost, statuses = asyncio.run(_cost_of_unknown_keys(server, url, keys["discord"]))
    assert statuses == [401] * UNKNOWN + [200]
    # Before: one read transaction per unknown key (300 more, in a window of a few seconds).
    # Now the keys are read again at most once a second however many unknown ones arrive.
    assert cost - baseline < 3, (baseline, cost)
