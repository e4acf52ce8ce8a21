"""Benchmark of the public pages and the rating chart on the seeded PostgreSQL database
(bench/seed_ranked.py first: 100,000 clans, 1,000,000 wars).

1. **Pages at the server**: `gmbot serve` on the database (one process, INFO log), one client
   (`--concurrency`) asking for leaderboard pages (the first 10, and any page of the whole
   board) and clan profile pages of game 4's current season, each interleaved with its
   baseline, the API operation the page reads through (getRatingLeaderboard with 25 a page,
   getClanProfile with 10 recent wars) for the same data. p50/p99 are the server's own timings (the `name -> 200 in x ms` lines of
   routing.py and web/pages.py: from the handler's start to its reply, HTTP parsing
   excluded). Also a profile page asked again with its ETag (304), and the profile's API read
   (one statement on PostgreSQL, ranked_pg.py) against its baseline, the portable path
   (SQLAlchemy, several round trips) of a second server with GMBOT_PG_DIRECT=0 on the same
   database, interleaved.
2. **Chart**: the chart's PNG through the page route for clans never drawn (the data read and
   the drawing), the same clans again (the cache), and with the ETag (304); and in-process,
   `chart.render` alone on a season of 10 and of 60 wars (p50/p99 of `--renders`, wall time
   and the thread's CPU time: on a loaded machine the wall time includes waiting for a core),
   the first render of the process (matplotlib's import) apart.

    .venv/bin/python bench/bench_pages.py                  # after seed_ranked.py, ~1 minute
    .venv/bin/python bench/bench_pages.py --seconds 5 --url postgresql://postgres@127.0.0.1:5432/gmbot_ranked
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ranked import DEFAULT_URL, _key, _pct, _season_facts, _serve  # noqa: E402

_TIMING = re.compile(r" (getRatingLeaderboard|getClanProfile|web-leaderboard|web-profile|web-chart) -> (200|304) in ([0-9.]+) ms")


async def _drive(base: str, headers: dict[str, str], paths: list[str], seconds: float, concurrency: int,
                 expect: int = 200, tags: dict[str, str] | None = None) -> int:  # fmt: skip
    import httpx

    sent = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal sent
            i = offset
            while (time.monotonic() < stop) if seconds > 0 else (i < len(paths)):  # 0: each path once
                path = paths[i % len(paths)]
                extra = {"If-None-Match": tags[path]} if tags else None
                reply = await client.get(path, headers=extra)
                assert reply.status_code == expect, (path, reply.status_code, reply.text[:300])
                sent += 1
                i += concurrency

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return sent


def _timings(log: Path, marker: int, name: str, status: str = "200") -> list[float]:
    with log.open("rb") as handle:
        handle.seek(marker)
        text = handle.read().decode(errors="replace")
    return [float(m.group(3)) for m in _TIMING.finditer(text) if m.group(1) == name and m.group(2) == status]


def _summary(times: list[float], sent: int) -> dict[str, Any]:
    return {"requests": sent, "p50_ms": round(_pct(times, 0.5), 2), "p99_ms": round(_pct(times, 0.99), 2)}


def server_runs(url: str, seconds: float, concurrency: int, facts: dict[str, Any]) -> dict[str, Any]:
    import httpx

    key = asyncio.run(_key(url))
    folder = Path(tempfile.mkdtemp())
    log, portable_log = folder / "server.log", folder / "portable.log"
    server, base = _serve(url, log)
    servers = [server]
    try:
        # the profile's baseline: the portable path (SQLAlchemy, several round trips) of a
        # second server on the same database, GMBOT_PG_DIRECT=0
        portable, portable_base = _serve(url, portable_log, GMBOT_PG_DIRECT="0")
        servers.append(portable)
        rng = random.Random(19)
        api = {"x-api-key": key, "client": "BENCH-BFF"}  # sent to the pages too: they ignore it
        number = facts["season"]["number"]
        pages = max(1, facts["season"]["clans"] // 25)
        top = [rng.randint(1, 10) for _ in range(500)]
        anywhere = [rng.randint(1, pages) for _ in range(500)]
        clans = [10**17 + rng.choice(facts["clans"]) for _ in range(500)]
        # each page beside the API operation it reads through, interleaved (one request of
        # each in turn) so that both see the same load on this shared machine
        runs: list[tuple[str, list[str], list[str], str]] = [
            ("leaderboard, top 10 pages", [f"/games/4/leaderboard?season={number}&page={p}&limit=25" for p in top],
             [f"/web/games/4/leaderboard?season={number}&page={p}" for p in top], "web-leaderboard"),
            ("leaderboard, any page", [f"/games/4/leaderboard?season={number}&page={p}&limit=25" for p in anywhere],
             [f"/web/games/4/leaderboard?season={number}&page={p}" for p in anywhere], "web-leaderboard"),
            ("clan profile", [f"/clans/{c}/profile?game=4&recent=10" for c in clans],
             [f"/web/clans/discord/{c}?game=4" for c in clans], "web-profile"),
        ]  # fmt: skip
        results: dict[str, Any] = {}
        for name, api_paths, page_paths, page_name in runs:
            operation = "getClanProfile" if "profile" in name else "getRatingLeaderboard"
            mixed = [p for pair in zip(api_paths, page_paths, strict=True) for p in pair]
            asyncio.run(_drive(base, api, mixed[:100], 2, concurrency))  # warm-up
            marker = log.stat().st_size
            sent = asyncio.run(_drive(base, api, mixed, seconds, concurrency))
            results[f"API {name}"] = _summary(_timings(log, marker, operation), sent // 2)
            results[f"page: {name}"] = _summary(_timings(log, marker, page_name), sent // 2)
            for label in (f"API {name}", f"page: {name}"):
                print(f"{label}: {results[label]}", flush=True)

        # the profile's API read in one statement against the portable path, interleaved
        direct_paths = [f"/clans/{c}/profile?game=4&recent=10" for c in clans]
        mixed = [p for path in direct_paths for p in (path, portable_base + path)]
        asyncio.run(_drive(base, api, mixed[:100], 2, concurrency))  # warm-up
        marker, portable_marker = log.stat().st_size, portable_log.stat().st_size
        sent = asyncio.run(_drive(base, api, mixed, seconds, concurrency))
        one = _summary(_timings(log, marker, "getClanProfile"), sent // 2)
        several = _summary(_timings(portable_log, portable_marker, "getClanProfile"), sent // 2)
        results["API clan profile, one statement"] = one
        results["API clan profile, portable path (GMBOT_PG_DIRECT=0)"] = several
        results["API clan profile, portable / one statement"] = {
            "p50": round(several["p50_ms"] / one["p50_ms"], 2), "p99": round(several["p99_ms"] / one["p99_ms"], 2)}
        for label in ("one statement", "portable path (GMBOT_PG_DIRECT=0)", "portable / one statement"):
            print(f"API clan profile, {label}: {results[f'API clan profile, {label}']}", flush=True)

        # revalidation: the profile pages again with the ETags they were given
        profile_paths = sorted({f"/web/clans/discord/{c}?game=4" for c in clans[:200]})
        tags = {p: httpx.get(base + p, timeout=30).headers["etag"] for p in profile_paths}
        marker = log.stat().st_size
        sent = asyncio.run(_drive(base, {}, profile_paths, seconds, concurrency, expect=304, tags=tags))
        results["page: clan profile, revalidated (304)"] = _summary(_timings(log, marker, "web-profile", "304"), sent)
        print(f"page: clan profile, revalidated (304): {results['page: clan profile, revalidated (304)']}", flush=True)

        # charts: never drawn (read + draw), drawn (cache), held (304)
        fresh = [f"/web/clans/discord/{10**17 + c}/chart.png?game=4" for c in rng.sample(facts["clans"], 200)]
        asyncio.run(_drive(base, {}, [f"/web/clans/discord/{clans[0]}/chart.png?game=4"], 0, 1))  # imports matplotlib
        for label, status, kwargs in (("chart, first request (read + render)", "200", {}),
                                      ("chart, cached", "200", {}),
                                      ("chart, revalidated (304)", "304", {"expect": 304})):  # fmt: skip
            if status == "304":
                kwargs["tags"] = {p: httpx.get(base + p, timeout=30).headers["etag"] for p in fresh}
            marker = log.stat().st_size
            sent = asyncio.run(_drive(base, {}, fresh, 0, 1, **kwargs))
            results[label] = _summary(_timings(log, marker, "web-chart", status), sent)
            print(f"{label}: {results[label]}", flush=True)
        return results
    finally:
        for process in servers:
            process.terminate()
            process.wait(10)


def renders(count: int) -> dict[str, Any]:
    """`chart.render` alone, in this process: the first call (matplotlib's import and font
    cache) apart, then `count` renders of a season of 10 and of 60 wars."""
    from backend_impl import chart

    rng = random.Random(3)

    def season(wars: int) -> chart.ChartData:
        rating, rows = 0.0, []
        for day in range(wars):
            outcome = rng.choice(("won", "won", "lost", "drawn"))
            rating += {"won": 1.2, "lost": -1.0, "drawn": 0.1}[outcome] * rng.random()
            rows.append((outcome, round(rating, 2), f"2026-12-{1 + day % 28:02d}"))
        return chart.ChartData(f"Clan {wars}", "Mini Militia", "2026-12", chart.points(0.0, rows))

    started = time.perf_counter()
    chart.render(season(10))
    results: dict[str, Any] = {"first render (import)": {"ms": round((time.perf_counter() - started) * 1000, 1)}}
    for wars in (10, 60):
        data = season(wars)
        times, cpu = [], []
        for _ in range(count):
            started, used = time.perf_counter(), time.thread_time()
            picture = chart.render(data)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - used) * 1000)
        results[f"render, {wars} wars"] = {
            "renders": count, "bytes": len(picture), "p50_ms": round(_pct(times, 0.5), 2),
            "p99_ms": round(_pct(times, 0.99), 2), "cpu_p50_ms": round(_pct(cpu, 0.5), 2),
            "cpu_p99_ms": round(_pct(cpu, 0.99), 2)}  # fmt: skip
        print(f"render, {wars} wars: {results[f'render, {wars} wars']}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=10, help="per read run (default %(default)s)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--renders", type=int, default=100)
    args = parser.parse_args()
    facts = asyncio.run(_season_facts(args.url))
    print(f"season {facts['season']['number']}: {facts['season']['clans']} clans, {facts['results']} results",
          flush=True)  # fmt: skip
    results = {"renders": renders(args.renders), "server": server_runs(args.url, args.seconds, args.concurrency, facts)}
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
