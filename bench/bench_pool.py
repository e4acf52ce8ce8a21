"""Before/after on PostgreSQL: the backend of another commit beside this tree's, in one run.

Written for the move of the asyncpg direct path (createWar, getClanStatus) from its own
pool onto connections borrowed from SQLAlchemy's (docs/benchmarks.md#backend): both
servers run on one fresh database, one uvicorn process each (bench_backend.py's settings),
and their rounds are interleaved (base createWar, this createWar, base status, this
status, then again), so machine noise hits both. The table gives medians over rounds and
the median of the per-round ratios. Then, in this process, what taking a connection and
giving it back costs in CPU: from asyncpg's own pool (as the direct path did) and borrowed
from SQLAlchemy's (as it does now), alternated in batches.

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


def bench(args: argparse.Namespace, scratch: Path, database_url: str) -> list[dict[str, Any]]:
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
    return rows


async def _checkout_cost(database_url: str, batches: int = 5, each: int = 20000) -> dict[str, float]:
    """CPU microseconds per acquire + release (median of batches): asyncpg's pool vs borrowing."""
    import statistics
    import time

    import asyncpg
    from sqlalchemy.ext.asyncio import create_async_engine

    from backend_impl.db import asyncpg_dsn
    from backend_impl.pg_direct import DirectPool

    async def no_reset(_connection: asyncpg.Connection) -> None:
        """As the former DirectPool: no reset query on release."""

    engine = create_async_engine(database_url, pool_size=10, max_overflow=10)
    own = await asyncpg.create_pool(asyncpg_dsn(database_url), min_size=1, max_size=20, reset=no_reset)
    borrowed = DirectPool(engine)
    try:
        kinds = {"asyncpg pool (before)": own.acquire, "borrowed from SQLAlchemy (now)": borrowed.acquire}
        samples: dict[str, list[float]] = {name: [] for name in kinds}
        for batch in range(batches + 1):  # the first batch warms up
            for name, acquire in kinds.items():
                started = time.process_time()
                for _ in range(each):
                    async with acquire():
                        pass
                if batch:
                    samples[name].append((time.process_time() - started) / each * 1e6)
        return {name: statistics.median(values) for name, values in samples.items()}
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
            rows = bench(args, Path(tmp), url)
        checkout = asyncio.run(_checkout_cost(url))
    finally:
        asyncio.run(_pg(DEFAULT_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    print(f"{args.tool} load, {args.concurrency} connections, {args.rounds} interleaved rounds of {args.seconds:g} s")
    print("| tree | operation | requests/s (median) | per round | p50 ms | p99 ms | server CPU ms/request | non-2xx | this/base (median of rounds) |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['ratio']:.3f}" if "ratio" in r else ""
        print(f"| {r['tree']} | {r['operation']} | {r['rps']:.0f} | {r['rounds_rps']} | {r['p50_ms']:.2f} | "
              f"{r['p99_ms']:.2f} | {r['cpu_ms']:.3f} | {r['bad']} | {ratio} |")  # fmt: skip
    print("\nCPU per connection acquire + release, median of 5 batches of 20,000:")
    for name, micros in checkout.items():
        print(f"- {name}: {micros:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
