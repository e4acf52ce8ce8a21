"""searchClans (GET /clans?search=) at the server, on the seeded PostgreSQL database of
bench/seed_ranked.py (100,000 clans, named "Clan 1" to "Clan 100000").

`gmbot serve` on the database (one process, INFO log); a client (`--concurrency`) types clan
names the way a chat user does, one request per keystroke ("c", "cl", ..., "clan 4582",
"clan 45822", of random clans), interleaved with its baseline, listGames?search= for the
same keystrokes (the other autocomplete's operation: the catalogue, held in memory, no
database read), and with searchClans on the portable path (SQLAlchemy's read transaction:
begin, the statement, commit) of a second server with GMBOT_PG_DIRECT=0 on the same database.
p50/p99 are the servers' own timings (`op -> 200 in x ms`, routing.py), with the CPU per
request of the first server and of its PostgreSQL backends (bench_ranked.py).

    .venv/bin/python bench/bench_clan_search.py --url postgresql://postgres@127.0.0.1:5432/gmbot_ranked
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ranked import DEFAULT_URL, _cpu_of, _drive, _key, _pct, _serve  # noqa: E402

_TIMING = re.compile(r" (searchClans|listGames) -> 200 in ([0-9.]+) ms")


def keystrokes(rng: random.Random, clans: int, count: int) -> list[str]:
    """What users type, keystroke by keystroke, into a clan option."""
    typed: list[str] = []
    while len(typed) < count:
        name = f"clan {rng.randint(1, clans)}"
        typed.extend(name[:end] for end in range(1, len(name) + 1))
    return typed[:count]


def run(url: str, seconds: float, concurrency: int) -> dict[str, Any]:
    key = asyncio.run(_key(url))
    folder = Path(tempfile.mkdtemp())
    server, base = _serve(url, folder / "server.log")
    servers = [server]
    try:
        portable, portable_base = _serve(url, folder / "portable.log", GMBOT_PG_DIRECT="0")
        servers.append(portable)
        rng = random.Random(17)
        typed = keystrokes(rng, 100_000, 2000)
        # each keystroke to: searchClans (one statement), listGames, and searchClans on the
        # portable path (SQLAlchemy's read transaction) of a second server, in turn
        paths = [p for t in typed for p in (f"{base}/clans?search={t}&limit=25", f"{base}/games?search={t}&limit=25",
                                            f"{portable_base}/clans?search={t}&limit=25")]  # fmt: skip
        headers = {"x-api-key": key, "client": "BENCH-BFF"}
        asyncio.run(_drive("", headers, paths[:300], 2, concurrency))  # warm-up
        logs = (folder / "server.log", folder / "portable.log")
        markers = [log.stat().st_size for log in logs]
        before = _cpu_of(url, server)
        sent = asyncio.run(_drive("", headers, paths, seconds, concurrency))
        after = _cpu_of(url, server)
        texts = []
        for log, marker in zip(logs, markers, strict=True):
            with log.open("rb") as handle:
                handle.seek(marker)
                texts.append(handle.read().decode(errors="replace"))
        results: dict[str, Any] = {}
        for label, text, operation in (("searchClans", texts[0], "searchClans"), ("listGames (baseline)", texts[0], "listGames"),
                                       ("searchClans, portable path (baseline)", texts[1], "searchClans")):  # fmt: skip
            times = [float(m.group(2)) for m in _TIMING.finditer(text) if m.group(1) == operation]
            results[label] = {"requests": len(times), "p50_ms": round(_pct(times, 0.5), 2),
                              "p99_ms": round(_pct(times, 0.99), 2)}  # fmt: skip
        spent = {k: v - before.get(k, 0.0) for k, v in after.items()}
        served = max(1, 2 * sent // 3)  # the first server's share: searchClans and listGames
        results["first server, CPU per request"] = {
            "server_ms": round(1000 * spent.pop(0) / served, 3),
            "postgres_ms": round(1000 * sum(spent.values()) / served, 3),
        }
        return results
    finally:
        for process in servers:
            process.terminate()
            process.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args()
    print(json.dumps(run(args.url, args.seconds, args.concurrency), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
