"""Where a createWar's CPU goes: py-spy samples one server process under wrk, summed by package.

Starts an app (default: the generated Connexion app, what `gmbot serve` runs) on a fresh
PostgreSQL database (or SQLite), sets up a clan as bench/bench_backend.py does, drives
createWar (or the status listing) with wrk for `--seconds`, and meanwhile records the
server with `py-spy record --format raw` (py-spy is in the dev extra; it needs ptrace,
which root has). Each sample is charged to the package of its innermost Python frame
(self time): SQLAlchemy, asyncpg, Connexion, Starlette, uvicorn, backend_impl, gmbot,
asyncio (the event loop's Python side), ... The table gives the share of samples and,
with the server's CPU time per request measured over the same run, milliseconds per
request.

    .venv/bin/python bench/profile_backend.py                      # gmbot createWar, PostgreSQL
    .venv/bin/python bench/profile_backend.py --app bench.limit_baseline:app
    .venv/bin/python bench/profile_backend.py --operation status --database sqlite
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_backend as bb  # noqa: E402

_FRAME = re.compile(r"\((.*?):\d+\)$")
_PROJECT = ("backend_impl", "gmbot", "generated", "bench")


def package_of(frame: str) -> str:
    """The innermost frame's package: py-spy names files relative to their sys.path entry
    (`asyncpg/connection.py`, `asyncio/runners.py`), or by full path for the project's."""
    match = _FRAME.search(frame)
    path = match.group(1) if match else frame
    for marker in ("site-packages/", "/lib/python3."):
        if marker in path:
            path = path.split(marker, 1)[1]
            if marker.startswith("/lib"):
                path = path.split("/", 1)[-1]
    parts = [x for x in path.split("/") if x]
    for part in parts:
        if part in _PROJECT:
            return part
    if not parts:
        return "?"
    return parts[0].removesuffix(".py") if len(parts) > 1 or parts[0].endswith(".py") else parts[0]


def summarize(raw: str, by_function: bool = False, by_file: bool = False) -> collections.Counter[str]:
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        innermost = stack.split(";")[-1]
        if by_file:
            found = _FRAME.search(innermost)
            key = found.group(1) if found else innermost
        else:
            key = innermost if by_function else package_of(innermost)
        counts[key] += int(number)
    return counts


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--app", default="generated.server.app:app")
    p.add_argument("--ready", default="/health")
    p.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--operation", choices=("createWar", "status"), default="createWar")
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    p.add_argument("--functions", type=int, default=0, help="also list the N busiest functions")
    p.add_argument("--files", type=int, default=0, help="also list the N busiest source files")
    a = p.parse_args(argv)
    import httpx

    with tempfile.TemporaryDirectory(prefix="gmbot-profile-") as tmp:
        scratch = Path(tmp)
        name = f"gmbot_profile_{uuid.uuid4().hex[:8]}"
        if a.database == "postgres":
            asyncio.run(bb._pg(bb.DEFAULT_PG, f'CREATE DATABASE "{name}"'))
            url = bb.DEFAULT_PG.rpartition("/")[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{name}"
        else:
            url = f"sqlite+aiosqlite:///{scratch / 'profile.sqlite3'}"
        try:
            key = asyncio.run(bb._make_key(url))
            headers = {"x-api-key": key, "client": "BENCH-BFF"}
            server_id = str(uuid.uuid4().int % 10**15)
            leader = {"id": "100", "name": "leader"}
            setup = {"server": {"id": server_id, "name": "bench"}, "actor": leader,
                     "channel": {"id": "1", "name": "wars"}, "name": "Bench"}  # fmt: skip
            war = {"server": {"id": server_id, "name": "bench"}, "actor": leader, "players": [leader],
                   "game": 4, "duration": 1}  # fmt: skip
            # the clan is set up through gmbot (any app may be profiled)
            helper = bb.start("generated.server.app:app", "/health", url, scratch / "setup.log")
            try:
                assert httpx.post(f"{helper.url}/clans", json=setup, headers=headers).status_code == 201
                for _ in range(200):  # the status listing has wars to render
                    httpx.post(f"{helper.url}/wars", json=war, headers=headers)
            finally:
                helper.stop()
            server = bb.start(a.app, a.ready, url, scratch / "server.log")
            try:
                if a.operation == "createWar":
                    target, method, body = f"{server.url}/wars", "POST", war
                else:
                    target, method, body = f"{server.url}/clans/{server_id}/status", "GET", None
                bb.wrk_load(target, method, body, headers, a.concurrency, 2, scratch)  # warm-up
                raw_path = scratch / "profile.txt"
                spy = subprocess.Popen(
                    ["py-spy", "record", "--pid", str(server.process.pid), "--format", "raw",
                     "--rate", str(a.rate), "--duration", str(a.seconds), "--output", str(raw_path),
                     "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                before = bb.cpu_seconds(server.process.pid)
                result: dict[str, object] = {}
                loader = threading.Thread(target=lambda: result.update(
                    bb.wrk_load(target, method, body, headers, a.concurrency, a.seconds, scratch)))  # fmt: skip
                loader.start()
                loader.join()
                cpu = bb.cpu_seconds(server.process.pid) - before
                spy.wait(60)
                raw = raw_path.read_text()
                counts = summarize(raw)
            finally:
                server.stop()
        finally:
            if a.database == "postgres":
                asyncio.run(bb._pg(bb.DEFAULT_PG, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    requests = int(result["requests"])  # type: ignore[call-overload]
    cpu_ms = cpu * 1000 / max(requests, 1)
    total = sum(counts.values()) or 1
    print(f"{a.app} {a.operation} on {a.database}: {result['rps']:.0f} requests/s, "
          f"server CPU {cpu_ms:.3f} ms/request, {total} samples\n")  # fmt: skip
    print("| package (innermost Python frame) | share of samples | ms of CPU per request |")
    print("|---|---:|---:|")
    for package, n in counts.most_common(15):
        print(f"| {package} | {n / total:.1%} | {cpu_ms * n / total:.3f} |")
    if a.files:
        print("\n| source file (innermost frame) | share of samples | ms of CPU per request |\n|---|---:|---:|")
        for file, n in summarize(raw, by_file=True).most_common(a.files):
            print(f"| {file} | {n / total:.1%} | {cpu_ms * n / total:.3f} |")
    if a.functions:
        print("\n| function (innermost frame) | share of samples |\n|---|---:|")
        for function, n in summarize(raw, by_function=True).most_common(a.functions):
            print(f"| {function} | {n / total:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
