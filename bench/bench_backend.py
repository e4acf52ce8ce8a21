"""Benchmark of the backend: createWar and the status listing, one uvicorn process, over loopback.

For each database (SQLite file; PostgreSQL when reachable) it starts `gmbot serve`
(one uvicorn worker), sets up a clan, and drives it with a load generator running
in a separate process (aiohttp, N concurrent connections, fixed duration, after a
warm-up). Then it starts the minimal FastAPI baseline (bench/fastapi_baseline.py) on
the same database and drives its createWar the same way. Prints a Markdown table.

    .venv/bin/python bench/bench_backend.py                       # both databases, ~2.5 minutes
    .venv/bin/python bench/bench_backend.py --databases sqlite --seconds 5
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres (default) picks the server;
    a fresh database is created there and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_PG = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


# ---------------------------------------------------------------- load generator (child process)


async def _load(url: str, method: str, body: Any, headers: dict[str, str], concurrency: int,
                seconds: float, warmup: float) -> dict[str, Any]:  # fmt: skip
    import aiohttp

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = [0]
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    payload = json.dumps(body).encode() if body is not None else None
    send_headers = {**headers, **({"Content-Type": "application/json"} if payload else {})}
    async with aiohttp.ClientSession(connector=connector) as session:
        start = time.perf_counter()
        measure_from = start + warmup
        stop = measure_from + seconds

        async def worker() -> None:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop:
                    return
                async with session.request(
                    method, url, data=payload, headers=send_headers
                ) as reply:
                    await reply.read()
                    status = reply.status
                t1 = time.perf_counter()
                sent[0] += 1
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    statuses[status] = statuses.get(status, 0) + 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()

    def pct(p: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0.0
        )

    return {"requests": len(latencies), "sent": sent[0], "seconds": seconds, "rps": len(latencies) / seconds,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "statuses": statuses,
            "latencies": [round(x * 1000, 3) for x in latencies]}  # fmt: skip


def load_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--method", default="GET")
    p.add_argument("--body", default=None)
    p.add_argument("--headers", default="{}")
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--seconds", type=float, default=8)
    p.add_argument("--warmup", type=float, default=2)
    a = p.parse_args(argv)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    body = json.loads(a.body) if a.body else None
    result = asyncio.run(
        _load(a.url, a.method, body, json.loads(a.headers), a.concurrency, a.seconds, a.warmup)
    )
    print(json.dumps(result))
    return 0


# ---------------------------------------------------------------- orchestration


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start:\n{log.read_text()[-2000:]}")


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT)}


def start_gmbot(database_url: str, log: Path) -> Running:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gmbot.cli",
        "serve",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(database_url),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/health", process, log)
    return Running(process, url)


def start_baseline(database_url: str, log: Path) -> Running:
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "bench.fastapi_baseline:app", "--port", str(port),
               "--no-access-log", "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment(database_url),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(f"{url}/docs", process, log)
    return Running(process, url)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_load(url: str, method: str, body: Any, headers: dict[str, str], args: argparse.Namespace,
             server: Running | None = None) -> dict[str, Any]:  # fmt: skip
    """Drive `url` from a separate process; with `server`, also its CPU time per request."""
    before = cpu_seconds(server.process.pid) if server else 0.0
    command = [sys.executable, __file__, "load", "--url", url, "--method", method, "--headers", json.dumps(headers),
               "--concurrency", str(args.concurrency), "--seconds", str(args.seconds), "--warmup", str(args.warmup)]  # fmt: skip
    if body is not None:
        command += ["--body", json.dumps(body)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if server:
        result["cpu_ms"] = (
            (cpu_seconds(server.process.pid) - before) * 1000 / max(result["sent"], 1)
        )
    return result


async def _make_key(database_url: str) -> str:
    from backend_impl import apikeys, db, migrate

    await migrate.upgrade(database_url)
    database = db.Database(database_url)
    try:
        _, key = await apikeys.create(database, "BENCH-BFF", "bench")
        return key
    finally:
        await database.dispose()


async def _pg(admin_url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def merge(runs: list[dict[str, Any]], **labels: str) -> dict[str, Any]:
    """Rounds of one scenario -> one row: total requests / total seconds, percentiles of all latencies."""
    latencies = sorted(x for r in runs for x in r["latencies"])
    statuses: dict[str, int] = {}
    for r in runs:
        for code, count in r["statuses"].items():
            statuses[str(code)] = statuses.get(str(code), 0) + count
    seconds = sum(r["seconds"] for r in runs)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return {**labels, "requests": len(latencies), "rps": len(latencies) / seconds, "p50_ms": pct(0.5),
            "p99_ms": pct(0.99), "statuses": statuses, "rounds_rps": [round(r["rps"]) for r in runs],
            "cpu_ms": sorted(r["cpu_ms"] for r in runs)[len(runs) // 2]}  # fmt: skip


def bench_database(
    kind: str, database_url: str, args: argparse.Namespace, logs: Path
) -> list[dict[str, Any]]:
    """Both apps up at once; their runs interleaved round by round, so machine noise hits both alike."""
    import httpx

    key = asyncio.run(_make_key(database_url))
    headers = {"x-api-key": key, "client": "BENCH-BFF"}
    server = str(uuid.uuid4().int % 10**15)
    leader = {"id": "100", "name": "leader"}
    war = {
        "server": {"id": server, "name": "bench"},
        "actor": leader,
        "players": [leader],
        "game": 4,
        "duration": 1,
    }
    gmbot = start_gmbot(database_url, logs / f"gmbot-{kind}.log")
    baseline = start_baseline(database_url, logs / f"baseline-{kind}.log")
    runs: dict[str, list[dict[str, Any]]] = {"gmbot": [], "baseline": [], "status": []}
    try:
        setup = {
            "server": {"id": server, "name": "bench"},
            "actor": leader,
            "channel": {"id": "1", "name": "wars"},
            "name": "Bench",
        }
        assert httpx.post(f"{gmbot.url}/clans", json=setup, headers=headers).status_code == 201
        for _ in range(args.rounds):
            runs["gmbot"].append(run_load(f"{gmbot.url}/wars", "POST", war, headers, args, gmbot))
            runs["baseline"].append(
                run_load(f"{baseline.url}/wars", "POST", war, headers, args, baseline)
            )
            runs["status"].append(
                run_load(f"{gmbot.url}/clans/{server}/status", "GET", None, headers, args, gmbot)
            )
    finally:
        gmbot.stop()
        baseline.stop()
    return [
        merge(runs["gmbot"], database=kind, app="gmbot", operation="createWar"),
        merge(runs["baseline"], database=kind, app="FastAPI baseline", operation="createWar"),
        merge(runs["status"], database=kind, app="gmbot", operation="getClanStatus"),
    ]


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| database | app | operation | requests/s | per round | p50 ms | p99 ms | server CPU ms/request | statuses |",
             "|---|---|---|---:|---|---:|---:|---:|---|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['database']} | {r['app']} | {r['operation']} | {r['rps']:.0f} | {r['rounds_rps']} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['cpu_ms']:.2f} | {r['statuses']} |")  # fmt: skip
    for kind in sorted({r["database"] for r in rows}):
        ours = next(
            (
                r
                for r in rows
                if r["database"] == kind and r["app"] == "gmbot" and r["operation"] == "createWar"
            ),
            None,
        )
        base = next((r for r in rows if r["database"] == kind and r["app"] != "gmbot"), None)
        if ours and base and base["rps"]:
            lines.append(f"\n{kind}: gmbot createWar = {ours['rps'] / base['rps']:.2f}x the FastAPI baseline's "
                         f"throughput; by server CPU per request {base['cpu_ms'] / ours['cpu_ms']:.2f}x")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "load":
        return load_main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--databases", default="sqlite,postgres")
    p.add_argument("--seconds", type=float, default=4, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--rounds", type=int, default=3, help="interleaved runs per scenario")
    p.add_argument("--concurrency", type=int, default=32)
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = p.parse_args(argv)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="gmbot-bench-") as tmp:
        logs = Path(tmp)
        for kind in args.databases.split(","):
            if kind == "sqlite":
                rows += bench_database(
                    "sqlite", f"sqlite+aiosqlite:///{logs / 'bench.sqlite3'}", args, logs
                )
            elif kind == "postgres":
                name = f"gmbot_bench_{uuid.uuid4().hex[:8]}"
                try:
                    asyncio.run(_pg(DEFAULT_PG, f'CREATE DATABASE "{name}"'))
                except OSError as exc:
                    print(
                        f"PostgreSQL not reachable at {DEFAULT_PG}: {exc}; skipped", file=sys.stderr
                    )
                    continue
                try:
                    url = DEFAULT_PG.rpartition("/")[0] + f"/{name}"
                    rows += bench_database(
                        "postgres",
                        url.replace("postgresql://", "postgresql+asyncpg://", 1),
                        args,
                        logs,
                    )
                finally:
                    asyncio.run(_pg(DEFAULT_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"one uvicorn process per app, {args.concurrency} connections, {args.rounds} interleaved rounds of "
          f"{args.seconds:g} s measured after {args.warmup:g} s warm-up\n")  # fmt: skip
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
