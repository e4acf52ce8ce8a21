"""PostgreSQL + PgBouncer: eight backend replicas through PgBouncer in transaction mode, on a
PostgreSQL that allows the backend 50 connections, under concurrent load: no 5xx, and the
data adds up.

The limit is a role's CONNECTION LIMIT 50 (tests/backend/limited_role.py says why not a
second cluster). Without a pooler the replicas would want 8 x (10 + 10 + 1) = 168
connections. Through PgBouncer they need its server pool plus one LISTEN connection each,
straight to PostgreSQL (DATABASE_LISTEN_URL): POOL + REPLICAS <= 50, as docs/deployment.md
plans it. GMBOT_PGBOUNCER=1 turns off named prepared statements, which PgBouncer 1.18 cannot
carry from one transaction to the next.

The test starts its own pgbouncer (Debian's package: .ci/install-pgbouncer); it skips
without one, except in CI (GMBOT_REQUIRE_PGBOUNCER, set by .ci/run), where it must run.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import subprocess
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url

from tests.backend.backend_support import Api, ClanSetup, setup_clan
from tests.backend.conftest import PG_URL, Server, free_port, pg_admin_url, start_server
from tests.backend.limited_role import LimitedDatabase, limited_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PGBOUNCER = os.environ.get("GMBOT_PGBOUNCER_BIN") or shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
REQUIRED = bool(os.environ.get("GMBOT_REQUIRE_PGBOUNCER"))

MAX_CONNECTIONS = 50  # what PostgreSQL allows the backend (the role's limit)
REPLICAS = 8
POOL = 24  # PgBouncer's server connections: POOL + REPLICAS listeners <= MAX_CONNECTIONS
CLANS = 16
SUBSCRIBERS = 4  # clans subscribed to the game: each public war is an event for the others
CREATES, KEYED, READS = 240, 40, 120  # unkeyed createWars, keys each sent twice, status reads
CONCURRENCY = 64


@pytest.fixture
def limited() -> Iterator[LimitedDatabase]:
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL not set")
    if not Path(PGBOUNCER).exists():
        message = f"pgbouncer not found ({PGBOUNCER}): `apt-get install -y pgbouncer` (make and .ci/run do it)"
        if REQUIRED:  # CI: this test never silently skips
            pytest.fail(f"GMBOT_REQUIRE_PGBOUNCER is set but {message}")
        pytest.skip(message)
    with limited_database(PG_URL) as database:
        yield database


@contextmanager
def pgbouncer(database: LimitedDatabase, pool: int = POOL, extra: str = "") -> Iterator[tuple[int, Path]]:
    """PgBouncer in transaction mode on a free loopback port, in front of the database, with
    `pool` server connections (and `extra` settings); its port and log."""
    upstream = make_url(PG_URL or "")
    # pgbouncer refuses to run as root: it drops to `nobody`, who must read its files
    directory = Path(tempfile.mkdtemp(prefix="gmbot-pgbouncer-"))
    directory.chmod(0o755)
    port = free_port()
    users, config, log = directory / "users.txt", directory / "pgbouncer.ini", directory / "pgbouncer.log"
    users.write_text(f'"{database.role}" ""\n')
    config.write_text(
        f"""[databases]
{database.role} = host={upstream.host or "127.0.0.1"} port={upstream.port or 5432} dbname={database.role}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {users}
pool_mode = transaction
default_pool_size = {pool}
max_db_connections = {pool}
reserve_pool_size = 0
max_client_conn = {REPLICAS * 20 + 20}
server_login_retry = 1
{extra}"""
    )
    for path in (users, config):
        path.chmod(0o644)
    command = [PGBOUNCER, *(["-u", "nobody"] if os.geteuid() == 0 else []), str(config)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        failure = asyncio.run(_until_answers(database.as_url("127.0.0.1", port), process))
        assert failure is None, f"{failure}:\n{log.read_text()}"
        yield port, log
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(directory, ignore_errors=True)


async def _until_answers(url: str, process: subprocess.Popen[bytes]) -> str | None:
    """None once PgBouncer accepts a connection; else why not."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 20
    while process.poll() is None:
        try:
            connection = await asyncpg.connect(pg_admin_url(url), statement_cache_size=0)
        except (OSError, asyncpg.PostgresError):
            if loop.time() > deadline:
                return "pgbouncer does not answer"
            await asyncio.sleep(0.1)
            continue
        await connection.close()
        return None
    return "pgbouncer exited"


def _replicas(
    database: LimitedDatabase, port: int, directory: Path, count: int = REPLICAS, **more: str
) -> list[Server]:
    env = {
        "GMBOT_PGBOUNCER": "1",
        "DATABASE_LISTEN_URL": database.url,  # LISTEN straight to PostgreSQL
        "GMBOT_SCHEDULER_INTERVAL": "1",
        **more,
    }
    url = database.as_url("127.0.0.1", port)
    with ThreadPoolExecutor(count) as pool:
        starting = [pool.submit(start_server, url, directory / f"replica{n}.log", **env) for n in range(count)]
        servers: list[Server] = []
        for future in starting:
            with suppress(Exception):
                servers.append(future.result())
    if len(servers) < count:
        for server in servers:
            server.stop()
        for future in starting:
            future.result()  # raises the first failure, with its log
    return servers


async def _peak(database: LimitedDatabase, stop: asyncio.Event, seen: list[int]) -> None:
    """The role's open connections, sampled until `stop`."""
    while not stop.is_set():
        seen.append(await database.connections())
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.05)


async def _load(servers: list[Server], database: LimitedDatabase, clans: list[ClanSetup]) -> dict[str, Any]:
    key = database.keys["discord"]
    headers = {"x-api-key": key.key, "client": key.client}
    work: list[tuple[str, ClanSetup, str | None]] = [("createWar", clans[n % CLANS], None) for n in range(CREATES)]
    for n in range(KEYED):
        idempotency_key = uuid.uuid4().hex
        work += [("createWar keyed", clans[n % CLANS], idempotency_key)] * 2
    work += [("getClanStatus", clans[n % CLANS], None) for n in range(READS)]
    random.Random(15).shuffle(work)
    gate = asyncio.Semaphore(CONCURRENCY)
    stop, samples = asyncio.Event(), []

    async def send(n: int, what: str, clan: ClanSetup, idempotency_key: str | None) -> httpx.Response:
        base = servers[n % REPLICAS].url  # round robin: a key's two sends reach different replicas
        async with gate:
            if what == "getClanStatus":
                return await client.get(f"{base}/clans/{clan.server_id}/status", headers=headers)
            body = {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 4}
            extra = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
            return await client.post(f"{base}/wars", json=body, headers={**headers, **extra})

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=CONCURRENCY)) as client:
        sampler = asyncio.create_task(_peak(database, stop, samples))
        replies = await asyncio.gather(*(send(n, *item) for n, item in enumerate(work)))
        stop.set()
        await sampler
    return {"work": work, "replies": replies, "peak": max(samples)}


def test_eight_replicas_through_pgbouncer_no_5xx(limited: LimitedDatabase, tmp_path: Path) -> None:
    asyncio.run(limited.set_limit(MAX_CONNECTIONS))
    with pgbouncer(limited) as (port, bouncer_log):
        servers = _replicas(limited, port, tmp_path)
        try:
            api = Api(servers[0].url, limited.keys["discord"])
            try:
                clans = [setup_clan(api, f"Clan{n}") for n in range(CLANS)]
                for clan in clans[:SUBSCRIBERS]:
                    reply = api.post(f"/clans/{clan.server_id}/subscriptions", {"actor": clan.leader, "games": [4]})
                    assert reply.status_code == 200, reply.text
            finally:
                api.close()
            result = asyncio.run(_load(servers, limited, clans))
            _check(limited, servers, clans, result, bouncer_log)
        finally:
            for server in servers:
                server.stop()


def _check(
    database: LimitedDatabase, servers: list[Server], clans: list[ClanSetup], result: dict[str, Any], bouncer_log: Path
) -> None:
    work, replies = result["work"], result["replies"]
    failed = [(what, r.status_code, r.text[:300]) for (what, _, _), r in zip(work, replies, strict=True)
              if r.status_code >= 500]  # fmt: skip
    logs = "\n".join(s.log.read_text() for s in servers)
    assert not failed, f"{len(failed)} server errors, e.g. {failed[:3]}\n{logs[-6000:]}\n{bouncer_log.read_text()[-3000:]}"
    statuses = Counter((what, r.status_code) for (what, _, _), r in zip(work, replies, strict=True))
    assert statuses == {
        ("createWar", 201): CREATES, ("createWar keyed", 201): 2 * KEYED, ("getClanStatus", 200): READS,
    }, statuses  # fmt: skip

    # every war answered is in the database once; each key's two sends answered the same war
    created: dict[str, str] = {}  # war id -> host server id
    by_key: dict[str, set[str]] = {}
    for (what, clan, idempotency_key), reply in zip(work, replies, strict=True):
        if what.startswith("createWar"):
            created[reply.json()["id"]] = clan.server_id
            if idempotency_key:
                by_key.setdefault(idempotency_key, set()).add(reply.json()["id"])
    assert all(len(ids) == 1 for ids in by_key.values()), by_key
    assert len(created) == CREATES + KEYED
    rows = asyncio.run(_wars(database))
    assert rows == created
    # each public war is one event for each subscribed clan but its host (the direct path's
    # counter and rows, written through PgBouncer by eight processes at once)
    subscribed = {clan.server_id for clan in clans[:SUBSCRIBERS]}
    expected = sum(len(subscribed - {host}) for host in created.values())
    events = asyncio.run(database.fetchval("SELECT count(*) FROM events WHERE type = 'war.requested'"))
    assert events == expected
    # the budget held: PgBouncer's pool plus one LISTEN connection per replica, straight to PostgreSQL
    assert asyncio.run(database.connections("gmbot-listener")) == REPLICAS
    assert result["peak"] <= POOL + REPLICAS <= MAX_CONNECTIONS, result["peak"]
    assert "Traceback" not in logs, logs[-6000:]


async def _wars(database: LimitedDatabase) -> dict[str, str]:
    connection = await asyncpg.connect(database.admin_url)
    try:
        rows = await connection.fetch("SELECT w.id, c.server_id FROM wars w JOIN clans c ON c.id = w.host_clan_id")
    finally:
        await connection.close()
    return {row["id"]: row["server_id"] for row in rows}


async def _queue_full(database: LimitedDatabase, port: int, server: Server) -> None:
    key = database.keys["discord"]
    api = Api(server.url, key)
    try:
        clan = setup_clan(api, "Queued")
    finally:
        api.close()
    headers = {"x-api-key": key.key, "client": key.client}
    war = {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 4}
    # PgBouncer's only server connection, held in a transaction by another client
    holder = await asyncpg.connect(pg_admin_url(database.as_url("127.0.0.1", port)), statement_cache_size=0)
    transaction = holder.transaction()
    await transaction.start()
    await holder.execute("SELECT 1")
    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
        refused = {
            "createWar": await client.post("/wars", json=war, headers=headers),
            "getClanStatus": await client.get(f"/clans/{clan.server_id}/status", headers=headers),
            "subscribeGames": await client.post(
                f"/clans/{clan.server_id}/subscriptions", json={"actor": clan.leader, "games": [4]}, headers=headers
            ),
        }
        for what, reply in refused.items():
            assert reply.status_code == 503, (what, reply.status_code, reply.text)
            assert reply.headers["content-type"].startswith("application/problem+json"), what
            assert reply.headers["retry-after"].isdigit(), (what, reply.headers)
        await transaction.rollback()
        await holder.close()
        # nothing was written; PgBouncer closed the refused clients' connections, and the
        # pool replaces them: each request succeeds now
        count = "SELECT count(*) FROM wars w JOIN clans c ON c.id = w.host_clan_id WHERE c.server_id = $1"
        assert await database.fetchval(count, clan.server_id) == 0
        for _ in range(3):
            assert (await client.post("/wars", json=war, headers=headers)).status_code == 201
            assert (await client.get(f"/clans/{clan.server_id}/status", headers=headers)).status_code == 200
        assert await database.fetchval(count, clan.server_id) == 3


def test_pgbouncer_queue_timeout_is_503(limited: LimitedDatabase, tmp_path: Path) -> None:
    """PgBouncer refusing a client (query_wait_timeout: no server connection came free) is 503
    with Retry-After, as PostgreSQL refusing one is (tests/backend/test_pool_exhaustion.py)."""
    with pgbouncer(limited, pool=1, extra="query_wait_timeout = 1\n") as (port, _):
        # no scheduler round and no key check while the server connection is held: only the requests wait
        quiet = {"GMBOT_SCHEDULER_INTERVAL": "3600", "GMBOT_KEY_CACHE_SECONDS": "3600"}
        (server,) = _replicas(limited, port, tmp_path, count=1, **quiet)
        try:
            asyncio.run(_queue_full(limited, port, server))
        finally:
            server.stop()
        assert "Traceback" not in server.log.read_text(), server.log.read_text()[-4000:]
