"""Before/after on PostgreSQL: the backend of another commit beside this tree's, in one run.

Written for the move of the asyncpg direct path (createWar, getClanStatus) from its own
pool onto connections borrowed from SQLAlchemy's (docs/benchmarks.md#backend): both
servers run on one fresh database, one uvicorn process each (bench_backend.py's settings),
and their rounds are interleaved (base createWar, this createWar, base status, this
status, then again), so machine noise hits both. The table gives medians over rounds and
the median of the per-round ratios. Then, in this process, the CPU of taking a connection
and giving it back, and of getClanStatus's reads, on asyncpg's own pool (as the direct path
had) and on connections borrowed from SQLAlchemy's (as now), alternated in batches: the
difference the servers' numbers blur on a busy machine.

    .venv/bin/python bench/bench_pool.py --base 6d3c316 --seconds 4 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_backend import DEFAULT_PG, _make_key, _pg, run_round, start, summarize  # noqa: E402


def export(ref: str, into: Path) -> Path:
    """The tree of `ref` (committed files only), unpacked into `into`."""
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def bench(args: argparse.Namespace, scratch: Path, database_url: str) -> tuple[list[dict[str, Any]], str]:
    import httpx

    key = asyncio.run(_make_key(database_url))
    headers = {"x-api-key": key, "client": "BENCH-BFF"}
    server_id = str(uuid.uuid4().int % 10**15)
    leader = {"id": "100", "name": "leader"}
    war = {"server": {"id": server_id, "name": "bench"}, "actor": leader, "players": [leader], "game": 4,
           "duration": 1}  # fmt: skip
    trees = {"base": export(args.base, scratch / "base"), "this": ROOT}
    servers = {
        name: start("generated.server.app:app", "/health", database_url, scratch / f"{name}.log", root)
        for name, root in trees.items()
    }
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {(n, op): [] for n in trees for op in ("createWar", "status")}
    try:
        setup = {"server": {"id": server_id, "name": "bench"}, "actor": leader,
                 "channel": {"id": "1", "name": "wars"}, "name": "Bench"}  # fmt: skip
        assert httpx.post(f"{servers['this'].url}/clans", json=setup, headers=headers).status_code == 201
        for _ in range(args.rounds):
            for name, server in servers.items():
                runs[name, "createWar"].append(run_round(f"{server.url}/wars", "POST", war, headers, args, server, scratch))
            asyncio.run(_pg(database_url, "ANALYZE"))  # as bench_backend.py: statistics of a grown table
            for name, server in servers.items():
                status = f"{server.url}/clans/{server_id}/status"
                runs[name, "status"].append(run_round(status, "GET", None, headers, args, server, scratch))
    finally:
        for server in servers.values():
            server.stop()
    rows = []
    for operation in ("createWar", "status"):
        base, this = runs["base", operation], runs["this", operation]
        ratios = sorted(t["rps"] / b["rps"] for b, t in zip(base, this, strict=True))
        rows.append(summarize(base, tree=f"base {args.base}", operation=operation))
        rows.append(summarize(this, tree="this tree", operation=operation) | {"ratio": ratios[len(ratios) // 2]})
    return rows, server_id


async def _direct_cost(database_url: str, server_id: str, batches: int = 5) -> dict[str, dict[str, float]]:
    """CPU microseconds per call (median of batches, the kinds alternated batch by batch) of
    an acquire + release and of getClanStatus's reads (pg_direct.clan_status), on asyncpg's
    own pool (as the direct path had) and on connections borrowed from SQLAlchemy's (now)."""
    import statistics
    import time

    import asyncpg
    from sqlalchemy.ext.asyncio import create_async_engine

    from backend_impl import pg_direct
    from backend_impl.db import asyncpg_dsn

    async def no_reset(_connection: asyncpg.Connection) -> None:
        """As the former DirectPool: no reset query on release."""

    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
    own: Any = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=20, reset=no_reset)
    kinds = {"asyncpg pool (before)": own, "borrowed from SQLAlchemy (now)": pg_direct.DirectPool(engine)}

    async def acquire(pool: Any) -> None:
        async with pool.acquire():
            pass

    async def status(pool: Any) -> None:
        assert await pg_direct.clan_status(pool, "bench", server_id, 10) is not None

    calls = {"acquire + release": (acquire, 20000), "clan_status": (status, 1000)}
    samples: dict[str, dict[str, list[float]]] = {call: {kind: [] for kind in kinds} for call in calls}
    try:
        for batch in range(batches + 1):  # the first batch warms up
            for call, (function, each) in calls.items():
                for kind, pool in kinds.items():
                    started = time.process_time()
                    for _ in range(each):
                        await function(pool)
                    if batch:
                        samples[call][kind].append((time.process_time() - started) / each * 1e6)
        return {call: {kind: statistics.median(v) for kind, v in by_kind.items()} for call, by_kind in samples.items()}
    finally:
        await own.close()
        await engine.dispose()


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True, help="the commit to compare this tree with")
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--tool", choices=("wrk", "python"), default="wrk" if shutil.which("wrk") else "python")
    args = p.parse_args(argv)
    name = f"gmbot_bench_{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg(DEFAULT_PG, f'CREATE DATABASE "{name}"'))
    try:
        url = DEFAULT_PG.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
        with tempfile.TemporaryDirectory(prefix="gmbot-bench-pool-") as tmp:
            (Path(tmp) / "base").mkdir()
            rows, server_id = bench(args, Path(tmp), url)
        direct = asyncio.run(_direct_cost(url, server_id))
    finally:
        asyncio.run(_pg(DEFAULT_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{args.tool} load, {args.concurrency} connections, {args.rounds} interleaved rounds of {args.seconds:g} s")
    print("| tree | operation | requests/s (median) | per round | p50 ms | p99 ms | server CPU ms/request | non-2xx | this/base (median of rounds) |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['ratio']:.3f}" if "ratio" in r else ""
        print(f"| {r['tree']} | {r['operation']} | {r['rps']:.0f} | {r['rounds_rps']} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['cpu_ms']:.3f} | {r['bad']} | {ratio} |")  # fmt: skip
    print("\nIn this process, CPU per call (median of 5 batches):")
    for call, by_kind in direct.items():
        print(f"- {call}: " + ", ".join(f"{kind} {micros:.1f} us" for kind, micros in by_kind.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
