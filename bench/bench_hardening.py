"""Benchmark of the hardening (issue 9): each measure against a baseline in the same run.

1. memory: a backend's RSS while 50 clients each POST a 10 MB body at once, and after;
   the code before the body limit (a source tree given with --baseline) against this one.
2. long-polls: PostgreSQL transactions per second with 500 idle long-polls
   (GET /events?wait=30) on one backend, baseline tree against this one, minus the
   rate with none (the scheduler's own), counted by PostgreSQL (pg_stat_database).
3. metrics: createWar throughput with /metrics on (the default) against GMBOT_METRICS=0,
   this tree only, rounds interleaved so machine noise hits both.

    git archive d470651 | (mkdir -p /tmp/gmbot-before && tar -x -C /tmp/gmbot-before)
    .venv/bin/python bench/bench_hardening.py --baseline /tmp/gmbot-before
    .venv/bin/python bench/bench_hardening.py --only metrics --rounds 7

Servers run under uvicorn with the same settings as bench/bench_backend.py (one process,
uvloop, httptools), each tree on its own database (SQLite; PostgreSQL for long-polls at
BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432/postgres, a fresh database per
server, dropped at the end). Load comes from this process (memory, long-polls: httpx) or
from bench_backend's aiohttp load process (metrics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_backend import (  # noqa: E402
    DEFAULT_PG,
    UVICORN,
    Running,
    cpu_seconds,
    free_port,
    python_load,
    wait_ready,
)

APP = "generated.server.app:app"
MIB = 1024 * 1024


def start(root: Path, database_url: str, log: Path, **env: str) -> Running:
    """The app of source tree `root` under uvicorn, on `database_url` (migrated by its lifespan)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *UVICORN, "--port", str(port), APP],
        cwd=root,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(root),
             "GMBOT_SCHEDULER_INTERVAL": "1", **env},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + "/health", process, log)
    return Running(process, url)


def make_key(root: Path, database_url: str) -> str:
    """A key issued by tree `root`'s own code (its schema may differ from this tree's)."""
    code = (
        "import asyncio, sys\n"
        "from backend_impl import apikeys, db, migrate\n"
        "async def main():\n"
        "    await migrate.upgrade(sys.argv[1])\n"
        "    database = db.Database(sys.argv[1])\n"
        "    _, key = await apikeys.create(database, 'BENCH-BFF', 'bench')\n"
        "    await database.dispose()\n"
        "    print(key)\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", code, database_url], cwd=root, check=True,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(root)})  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------- 1. memory under big bodies


async def _big_bodies(url: str, headers: dict[str, str], clients: int, size: int) -> dict[int, int]:
    import httpx

    padding = "x" * size
    body = json.dumps({"server": {"id": "1", "name": "x"}, "padding": padding}).encode()
    statuses: dict[int, int] = {}
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=clients)) as client:

        async def one() -> None:
            try:
                reply = await client.post(f"{url}/wars", content=body,
                                          headers={**headers, "Content-Type": "application/json"})  # fmt: skip
                statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
            except Exception:  # the server may close on a refused body before reading it all
                statuses[0] = statuses.get(0, 0) + 1

        await asyncio.gather(*(one() for _ in range(clients)))
    return statuses


def memory_round(root: Path, scratch: Path, name: str, clients: int, size: int) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{scratch / f'{name}-{uuid.uuid4().hex[:6]}.sqlite3'}"
    key = make_key(root, url)
    server = start(root, url, scratch / f"{name}.log")
    try:
        headers = {"x-api-key": key, "client": "BENCH-BFF"}
        asyncio.run(_big_bodies(server.url, headers, 2, 1024))  # warm up the path
        idle = rss(server.process.pid)
        peak = [idle]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss(server.process.pid))
                time.sleep(0.02)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.perf_counter()
        statuses = asyncio.run(_big_bodies(server.url, headers, clients, size))
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        time.sleep(2)
        after = rss(server.process.pid)
        return {"tree": name, "idle_mb": idle / MIB, "peak_mb": peak[0] / MIB, "after_mb": after / MIB,
                "seconds": seconds, "statuses": statuses}  # fmt: skip
    finally:
        server.stop()


# ---------------------------------------------------------------- 2. idle long-polls


async def _pg(url: str, statement: str) -> Any:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await connection.fetchval(statement)
    finally:
        await connection.close()


async def _transactions(url: str) -> int:
    await _pg(url, "SELECT pg_stat_force_next_flush()")
    return int(await _pg(url, "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                              "WHERE datname = current_database()"))  # fmt: skip


async def _rate(url: str, seconds: float) -> float:
    before = await _transactions(url)
    await asyncio.sleep(seconds)
    await asyncio.sleep(1.2)  # backends publish their counts at most once a second
    return (await _transactions(url) - before - 2) / seconds


async def _long_polls(server_url: str, db_url: str, headers: dict[str, str], waiters: int,
                      seconds: float) -> tuple[float, float]:  # fmt: skip
    import httpx

    idle = await _rate(db_url, seconds)
    limits = httpx.Limits(max_connections=waiters + 10, max_keepalive_connections=waiters + 10)
    async with httpx.AsyncClient(base_url=server_url, timeout=120, limits=limits) as client:
        polls = [asyncio.create_task(client.get("/events", params={"after": 2**40, "wait": 30}, headers=headers))
                 for _ in range(waiters)]  # fmt: skip
        assert seconds + 12 + 2 < 30, "the long-polls must outlast the measure"
        # all connected and waiting, and their first reads published: an idle backend
        # publishes its transaction counts only every 10 s (PostgreSQL 15)
        await asyncio.sleep(12)
        waiting = await _rate(db_url, seconds)
        for poll in polls:
            poll.cancel()
        await asyncio.gather(*polls, return_exceptions=True)
    return idle, waiting


def long_poll_round(root: Path, scratch: Path, name: str, admin_url: str, waiters: int,
                    seconds: float) -> dict[str, Any]:  # fmt: skip
    database = f"gmbot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(admin_url, f'CREATE DATABASE "{database}"'))
    url = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{database}"
    try:
        key = make_key(root, url)
        server = start(root, url, scratch / f"{name}-pg.log")
        try:
            headers = {"x-api-key": key, "client": "BENCH-BFF"}
            idle, waiting = asyncio.run(_long_polls(server.url, url, headers, waiters, seconds))
        finally:
            server.stop()
    finally:
        asyncio.run(_pg(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    return {"tree": name, "idle_tps": idle, "waiting_tps": waiting, "extra_tps": waiting - idle}


# ---------------------------------------------------------------- 3. metrics on / off


def metrics_rounds(scratch: Path, rounds: int, seconds: float, concurrency: int) -> list[dict[str, Any]]:
    import httpx

    servers: dict[str, tuple[Running, dict[str, str]]] = {}
    war_server = str(uuid.uuid4().int % 10**15)
    leader = {"id": "100", "name": "leader"}
    war = {"server": {"id": war_server, "name": "bench"}, "actor": leader, "players": [leader], "game": 4,
           "duration": 1}  # fmt: skip
    setup = {"server": {"id": war_server, "name": "bench"}, "actor": leader,
             "channel": {"id": "1", "name": "wars"}, "name": "Bench"}  # fmt: skip
    try:
        for name, flag in (("metrics on", "1"), ("metrics off", "0")):
            url = f"sqlite+aiosqlite:///{scratch / f'metrics-{flag}.sqlite3'}"
            key = make_key(ROOT, url)
            server = start(ROOT, url, scratch / f"metrics-{flag}.log", GMBOT_METRICS=flag)
            headers = {"x-api-key": key, "client": "BENCH-BFF"}
            assert httpx.post(f"{server.url}/clans", json=setup, headers=headers).status_code == 201
            servers[name] = (server, headers)
        assert httpx.get(f"{servers['metrics on'][0].url}/metrics").status_code == 200
        assert httpx.get(f"{servers['metrics off'][0].url}/metrics").status_code == 404
        results: list[dict[str, Any]] = []
        for n in range(rounds):
            order = ("metrics on", "metrics off") if n % 2 == 0 else ("metrics off", "metrics on")
            row: dict[str, Any] = {}
            for name in order:
                server, headers = servers[name]
                python_load(f"{server.url}/wars", "POST", war, headers, concurrency, 1)  # warm-up
                cpu = cpu_seconds(server.process.pid)
                row[name] = python_load(f"{server.url}/wars", "POST", war, headers, concurrency, seconds)
                # server CPU per request: what metrics cost, less disturbed by the machine's other work
                row[name]["cpu_ms"] = (cpu_seconds(server.process.pid) - cpu) * 1000 / max(row[name]["requests"], 1)
            results.append(row)
        return results
    finally:
        for server, _ in servers.values():
            server.stop()


def middleware_cost(calls: int = 20000, repeats: int = 7) -> tuple[float, float]:
    """Microseconds per request of a trivial ASGI app alone and behind HttpMetrics (in
    process, no network, no database): the metrics' own cost, free of the machine's noise."""
    from gmbot.server.metrics import HttpMetrics

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        scope["extensions"]["connexion_routing"] = {"operation_id": "createWar"}
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def plain(scope: Any, receive: Any, send: Any) -> None:
        scope.setdefault("extensions", {})
        await endpoint(scope, receive, send)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Any) -> None:
        return None

    async def run(app: Any) -> float:
        started = time.perf_counter()
        for _ in range(calls):
            await app({"type": "http", "method": "POST", "path": "/wars", "headers": []}, receive, send)
        return (time.perf_counter() - started) / calls * 1e6

    measured = HttpMetrics(plain)
    alone: list[float] = []
    metered: list[float] = []
    for _ in range(repeats):
        alone.append(asyncio.run(run(plain)))
        metered.append(asyncio.run(run(measured)))
    return statistics.median(alone), statistics.median(metered)


# ---------------------------------------------------------------- report


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--baseline", type=Path, help="a source tree of the code before (memory, long-polls)")
    p.add_argument("--only", choices=["memory", "long-polls", "metrics"], action="append")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--body-mb", type=float, default=10)
    p.add_argument("--waiters", type=int, default=500)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--concurrency", type=int, default=16)
    args = p.parse_args(argv)
    only = set(args.only or ["memory", "long-polls", "metrics"])
    trees = [("this tree", ROOT)] + ([("baseline", args.baseline.resolve())] if args.baseline else [])
    report: dict[str, Any] = {"machine": f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start"}
    with tempfile.TemporaryDirectory(prefix="gmbot-bench-") as directory:
        scratch = Path(directory)
        if "memory" in only:
            runs = [memory_round(root, scratch, name, args.clients, int(args.body_mb * MIB))
                    for _ in range(args.rounds) for name, root in trees]  # fmt: skip
            report["memory"] = runs
            for name, _ in trees:
                mine = [r for r in runs if r["tree"] == name]
                print(f"memory, {name}: idle {statistics.median(r['idle_mb'] for r in mine):.0f} MB, "
                      f"peak {statistics.median(r['peak_mb'] for r in mine):.0f} MB, "
                      f"after {statistics.median(r['after_mb'] for r in mine):.0f} MB, "
                      f"{statistics.median(r['seconds'] for r in mine):.2f} s; statuses {mine[0]['statuses']}")  # fmt: skip
        if "long-polls" in only:
            admin = DEFAULT_PG
            runs = [long_poll_round(root, scratch, name, admin, args.waiters, args.seconds)
                    for _ in range(args.rounds) for name, root in trees]  # fmt: skip
            report["long_polls"] = runs
            for name, _ in trees:
                mine = [r for r in runs if r["tree"] == name]
                print(f"long-polls, {name}: {args.waiters} waiting: "
                      f"{statistics.median(r['waiting_tps'] for r in mine):.1f} tx/s, none: "
                      f"{statistics.median(r['idle_tps'] for r in mine):.1f} tx/s, the long-polls' share "
                      f"{statistics.median(r['extra_tps'] for r in mine):.1f} tx/s "
                      f"(rounds {[round(r['extra_tps'], 1) for r in mine]})")  # fmt: skip
        if "metrics" in only:
            rows = metrics_rounds(scratch, args.rounds, args.seconds, args.concurrency)
            report["metrics"] = rows
            on = [r["metrics on"]["rps"] for r in rows]
            off = [r["metrics off"]["rps"] for r in rows]
            ratios = [a / b for a, b in zip(on, off, strict=True)]
            print(f"createWar, metrics on: {statistics.median(on):.0f} req/s {[round(x) for x in on]}; "
                  f"off: {statistics.median(off):.0f} req/s {[round(x) for x in off]}; "
                  f"on/off median of per-round ratios {statistics.median(ratios):.3f} "
                  f"({[round(x, 3) for x in ratios]})")  # fmt: skip
            cpu_on = [r["metrics on"]["cpu_ms"] for r in rows]
            cpu_off = [r["metrics off"]["cpu_ms"] for r in rows]
            cpu_ratios = [a / b for a, b in zip(cpu_on, cpu_off, strict=True)]
            alone, metered = middleware_cost()
            report["metrics_middleware_us"] = {"alone": alone, "metered": metered}
            print(f"metrics middleware, in process: {metered - alone:.1f} us per request "
                  f"({alone:.1f} us a trivial app alone, {metered:.1f} us behind HttpMetrics), "
                  f"{(metered - alone) / 10 / statistics.median(cpu_off):.2f} % of createWar's server CPU")  # fmt: skip
            print(f"createWar server CPU per request, metrics on: {statistics.median(cpu_on):.2f} ms; "
                  f"off: {statistics.median(cpu_off):.2f} ms; on/off median of per-round ratios "
                  f"{statistics.median(cpu_ratios):.3f} ({[round(x, 3) for x in cpu_ratios]})")  # fmt: skip
    print(json.dumps(report, default=str), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
