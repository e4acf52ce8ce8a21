"""Benchmark of the backend: createWar and the status listing, one uvicorn process, over loopback.

For each database (SQLite file; PostgreSQL when reachable) it starts the generated
Connexion app (`generated.server.app:app`, what `gmbot serve` runs) and the minimal
FastAPI baseline (bench/fastapi_baseline.py) on the same database, both with the same
uvicorn settings (one process, uvloop, httptools, no access log), sets up a clan, and
drives them in interleaved rounds (gmbot createWar, baseline createWar, gmbot status,
then again) so machine noise hits both. Load comes from `wrk` (C, one thread, a Lua
script for the POST body) when it is installed, else from a Python aiohttp process.
Each round: a warm-up run, then a measured run; the table gives medians over rounds.

    .venv/bin/python bench/bench_backend.py                       # both databases, ~3 minutes
    .venv/bin/python bench/bench_backend.py --databases sqlite --seconds 3 --rounds 3
    BENCH_PG_URL=postgresql://postgres@127.0.0.1:5432/postgres (default) picks the server;
    a fresh database is created there and dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
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
            "p50_ms": pct(0.50), "p99_ms": pct(0.99), "statuses": statuses}  # fmt: skip


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


# ---------------------------------------------------------------- wrk


WRK_SCRIPT = """
wrk.method = %(method)s
wrk.body = %(body)s
%(headers)s
%(keyed)s
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {"requests": %%d, "micros": %%d, "p50_us": %%d, "p99_us": %%d, "non2xx": %%d, "errors": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for this ASCII content


# A fresh Idempotency-Key per request (a Lua `request` function): every request is a first one.
KEYED = """
local sent = 0
request = function()
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = %s .. sent
  return wrk.format()
end
"""


def wrk_load(url: str, method: str, body: Any, headers: dict[str, str], concurrency: int,
             seconds: float, script_dir: Path, keyed: bool = False) -> dict[str, Any]:  # fmt: skip
    """One wrk run (one thread: the load tool should take little of the 2 CPUs)."""
    all_headers = {**headers, **({"Content-Type": "application/json"} if body is not None else {})}
    script = script_dir / "request.lua"
    script.write_text(WRK_SCRIPT % {
        "method": _lua(method),
        "body": _lua(json.dumps(body)) if body is not None else "nil",
        "headers": "\n".join(f"wrk.headers[{_lua(k)}] = {_lua(v)}" for k, v in all_headers.items()),
        "keyed": KEYED % _lua(f"bench-{uuid.uuid4().hex}-") if keyed else "",
    })  # fmt: skip
    command = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
               "-s", str(script), url]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    measured = raw["micros"] / 1e6
    return {"requests": raw["requests"], "seconds": measured, "rps": raw["requests"] / measured,
            "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
            "non2xx": raw["non2xx"], "errors": raw["errors"]}  # fmt: skip


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


# The same uvicorn settings for both apps: one process, uvloop, httptools, no access log.
UVICORN = ["-m", "uvicorn", "--host", "127.0.0.1", "--workers", "1", "--loop", "uvloop",
           "--http", "httptools", "--no-access-log", "--log-level", "warning"]  # fmt: skip


def start(app: str, ready_path: str, database_url: str, log: Path, root: Path = ROOT) -> Running:
    """`app` under uvicorn, its code from `root`; the database is already migrated (what
    `gmbot serve` adds)."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, *UVICORN, "--port", str(port), app],
        cwd=root,
        env={**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(root)},
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    wait_ready(url + ready_path, process, log)
    return Running(process, url)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def python_load(url: str, method: str, body: Any, headers: dict[str, str], concurrency: int,
                seconds: float) -> dict[str, Any]:  # fmt: skip
    """The fallback load generator: this file's `load` mode in a separate process."""
    command = [sys.executable, __file__, "load", "--url", url, "--method", method, "--headers", json.dumps(headers),
               "--concurrency", str(concurrency), "--seconds", str(seconds), "--warmup", "0"]  # fmt: skip
    if body is not None:
        command += ["--body", json.dumps(body)]
    done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    ok = sum(n for code, n in result["statuses"].items() if str(code).startswith("2"))
    return {**result, "non2xx": result["requests"] - ok, "errors": 0}


def run_round(url: str, method: str, body: Any, headers: dict[str, str], args: argparse.Namespace,
              server: Running, scratch: Path, keyed: bool = False) -> dict[str, Any]:  # fmt: skip
    """A warm-up run, then a measured one; with the server's CPU time per measured request."""

    def load(seconds: float) -> dict[str, Any]:
        if args.tool == "wrk":
            return wrk_load(url, method, body, headers, args.concurrency, seconds, scratch, keyed)
        return python_load(url, method, body, headers, args.concurrency, seconds)

    if args.warmup > 0:
        load(args.warmup)
    before = cpu_seconds(server.process.pid)
    result = load(args.seconds)
    result["cpu_ms"] = (cpu_seconds(server.process.pid) - before) * 1000 / max(result["requests"], 1)
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


def summarize(runs: list[dict[str, Any]], **labels: str) -> dict[str, Any]:
    """Rounds of one scenario -> one row of medians (each round is one sample)."""

    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    return {**labels, "rps": median("rps"), "p50_ms": median("p50_ms"), "p99_ms": median("p99_ms"),
            "cpu_ms": median("cpu_ms"), "rounds_rps": [round(r["rps"]) for r in runs],
            "rounds_p99": [round(r["p99_ms"], 1) for r in runs],
            "requests": sum(r["requests"] for r in runs),
            "bad": sum(r["non2xx"] + r["errors"] for r in runs)}  # fmt: skip


def bench_database(
    kind: str, database_url: str, args: argparse.Namespace, scratch: Path
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
    gmbot = start("generated.server.app:app", "/health", database_url, scratch / f"gmbot-{kind}.log")
    baseline = start("bench.fastapi_baseline:app", "/docs", database_url, scratch / f"base-{kind}.log")
    # The limit baseline is asyncpg only: PostgreSQL runs have it as a third app.
    limit = (
        start("bench.limit_baseline:app", "/health", database_url, scratch / f"limit-{kind}.log")
        if kind == "postgres"
        else None
    )
    runs: dict[str, list[dict[str, Any]]] = {"gmbot": [], "baseline": [], "limit": [], "status": [],
                                             "keyed": []}  # fmt: skip
    try:
        setup = {
            "server": {"id": server, "name": "bench"},
            "actor": leader,
            "channel": {"id": "1", "name": "wars"},
            "name": "Bench",
        }
        assert httpx.post(f"{gmbot.url}/clans", json=setup, headers=headers).status_code == 201
        for _ in range(args.rounds):
            runs["gmbot"].append(run_round(f"{gmbot.url}/wars", "POST", war, headers, args, gmbot, scratch))
            runs["baseline"].append(
                run_round(f"{baseline.url}/wars", "POST", war, headers, args, baseline, scratch)
            )
            if limit is not None:
                runs["limit"].append(
                    run_round(f"{limit.url}/wars", "POST", war, headers, args, limit, scratch)
                )
            if args.keyed:
                runs["keyed"].append(
                    run_round(f"{gmbot.url}/wars", "POST", war, headers, args, gmbot, scratch, keyed=True)
                )
            if kind == "postgres":
                # The rounds add thousands of wars a second, faster than autovacuum's ANALYZE
                # follows (it looks every 60 s); with statistics of almost empty tables the
                # planner scans all of war_players and sorts every open war of the clan (PostgreSQL
                # then takes ~6 ms of CPU a request). A deployed database has its statistics.
                asyncio.run(_pg(database_url, "ANALYZE"))
            runs["status"].append(
                run_round(f"{gmbot.url}/clans/{server}/status", "GET", None, headers, args, gmbot, scratch)
            )
    finally:
        gmbot.stop()
        baseline.stop()
        if limit is not None:
            limit.stop()

    def paired(other: str) -> float:
        pairs = zip(runs["gmbot"], runs[other], strict=True)
        return float(statistics.median(g["rps"] / b["rps"] for g, b in pairs))

    rows = [
        summarize(runs["gmbot"], database=kind, app="gmbot", operation="createWar")
        | {"paired_ratio": paired("baseline")}
        | ({"paired_limit_ratio": paired("limit")} if runs["limit"] else {}),
        summarize(runs["baseline"], database=kind, app="FastAPI baseline", operation="createWar"),
    ]
    if runs["limit"]:
        rows.append(summarize(runs["limit"], database=kind, app="limit baseline", operation="createWar"))
    if runs["keyed"]:
        rows.append(summarize(runs["keyed"], database=kind, app="gmbot", operation="createWar, Idempotency-Key"))
    rows.append(summarize(runs["status"], database=kind, app="gmbot", operation="getClanStatus"))
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| database | app | operation | requests/s (median) | per round | p50 ms | p99 ms (median) | p99 per round | server CPU ms/request | non-2xx |",
             "|---|---|---|---:|---|---:|---:|---|---:|---:|"]  # fmt: skip
    for r in rows:
        lines.append(f"| {r['database']} | {r['app']} | {r['operation']} | {r['rps']:.0f} | {r['rounds_rps']} | "
                     f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['rounds_p99']} | {r['cpu_ms']:.2f} | {r['bad']} |")  # fmt: skip
    for kind in sorted({r["database"] for r in rows}):
        ours = next(r for r in rows if r["database"] == kind and r["app"] == "gmbot" and r["operation"] == "createWar")
        base = next(r for r in rows if r["database"] == kind and r["app"] == "FastAPI baseline")
        lines.append(f"\n{kind}: gmbot createWar = {ours['rps'] / base['rps']:.2f}x the FastAPI baseline's median throughput "
                     f"(median of per-round ratios {ours['paired_ratio']:.2f}x); "
                     f"by server CPU per request {base['cpu_ms'] / ours['cpu_ms']:.2f}x")  # fmt: skip
        limit = next((r for r in rows if r["database"] == kind and r["app"] == "limit baseline"), None)
        if limit is not None:
            lines.append(f"{kind}: gmbot createWar = **{ours['rps'] / limit['rps']:.2f}x the limit baseline's** median "
                         f"throughput (median of per-round ratios {ours['paired_limit_ratio']:.2f}x); "
                         f"by server CPU per request {limit['cpu_ms'] / ours['cpu_ms']:.2f}x")  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv and argv[0] == "load":
        return load_main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--databases", default="sqlite,postgres")
    p.add_argument("--seconds", type=float, default=4, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=1, help="warm-up seconds before each run (whole seconds with wrk)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved runs per scenario")
    p.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    p.add_argument("--tool", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    p.add_argument("--json", type=Path, default=None, help="also write the rows here")
    p.add_argument("--keyed", action="store_true",
                   help="also gmbot createWar with a fresh Idempotency-Key per request (wrk only)")
    args = p.parse_args(argv)
    if args.keyed and args.tool != "wrk":
        p.error("--keyed needs wrk")
    rows: list[dict[str, Any]] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gmbot-bench-") as tmp:
        scratch = Path(tmp)
        for kind in args.databases.split(","):
            if kind == "sqlite":
                rows += bench_database(
                    "sqlite", f"sqlite+aiosqlite:///{scratch / 'bench.sqlite3'}", args, scratch
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
                        scratch,
                    )
                finally:
                    asyncio.run(_pg(DEFAULT_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    tool = "wrk -t1" if args.tool == "wrk" else "Python aiohttp load generator (wrk not installed)"
    print(f"{tool}, {args.concurrency} connections, {args.rounds} interleaved rounds of {args.seconds:g} s "
          f"measured after {args.warmup:g} s warm-up; one uvicorn process per app (uvloop, httptools, "
          f"no access log); {os.cpu_count()} CPUs, load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after\n")  # fmt: skip
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
