"""Benchmark of ranked play on a seeded PostgreSQL database (bench/seed_ranked.py first).

1. **Reads at the server**: `gmbot serve` on the database (one process, INFO log), a client
   (`--concurrency`, default 1) asking for leaderboard pages and clan profiles of game 4's
   current season; p50/p99 are the server's own timings of each operation (the `op -> 200 in
   x ms` line routing.py logs: from the handler's start to its reply, HTTP parsing excluded).
   Pages: the first 10 ("top") and any page of the whole board ("any"); profiles: clans
   drawn from the season's standings. `--baseline DIR`: a second server runs the code in DIR
   (another version) on the same database, and every request goes to both in turn.
2. **Settling with ratings vs without**, in-process, in the same run: wars between clans
   already in the season are put in `ended` with the host's vote cast; the opponent's vote
   (`results.cast_vote`, the operation's own function) is timed in process CPU, alternately
   with the ranked part (`results._settle`: the season, its lock, the read and the write)
   and with only the glory award it replaces. Also the first war of a season for two new
   clans (their players' first: the portable path).
3. **Recompute** after a referee's correction of the current season's first war (every later
   result replayed, what changed rewritten, one transaction), then with the war put back;
   and a replay of the whole season that changes nothing.
4. **A referee's settlement** through the operation (`disputes.settle_ticket`): the season's
   first confirmed war not yet disputed is disputed and settled the other way (the verdict,
   glory and the recompute in one transaction), then a full replay checks nothing is left.

    .venv/bin/python bench/bench_ranked.py                        # after seed_ranked.py, ~3 minutes
    .venv/bin/python bench/bench_ranked.py --seconds 5 --settles 200
    --url postgresql://postgres@127.0.0.1:5432/gmbot_ranked (default)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/gmbot_ranked"
_TIMING = re.compile(r" (getRatingLeaderboard|getClanProfile) -> 200 in ([0-9.]+) ms")


def _asyncpg_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+asyncpg://", 1)


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


async def _key(url: str) -> str:
    from backend_impl import apikeys, db

    database = db.Database(_asyncpg_url(url))
    try:
        _, secret = await apikeys.create(database, "BENCH-BFF", "discord", shared_platform=True)
    finally:
        await database.dispose()
    return secret


async def _season_facts(url: str) -> dict[str, Any]:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        season = await connection.fetchrow(
            "SELECT id, number, clans, ranked_clans FROM seasons WHERE game_id = 4 AND status = 'active'"
        )
        clans = [r["clan_id"] for r in await connection.fetch(
            "SELECT clan_id FROM clan_ratings WHERE season_id = $1", season["id"])]  # fmt: skip
        wars = await connection.fetchval("SELECT count(*) FROM war_results WHERE season_id = $1", season["id"])
        last = await connection.fetchval("SELECT max(id) FROM clans")
        return {"season": dict(season), "clans": clans, "results": wars, "last_clan": last}
    finally:
        await connection.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _drive(base: str, headers: dict[str, str], paths: list[str], seconds: float, concurrency: int) -> int:
    import httpx

    sent = 0
    stop = time.monotonic() + seconds
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal sent
            i = offset
            while time.monotonic() < stop:
                reply = await client.get(paths[i % len(paths)])
                assert reply.status_code == 200, reply.text
                sent += 1
                i += concurrency

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return sent


def _serve(url: str, log: Path, root: Path = ROOT, **extra: str) -> tuple[subprocess.Popen[bytes], str]:
    """`gmbot serve` of the code in `root` on the database, logging its timings to `log`; once
    it answers /health."""
    import httpx

    port = _free_port()
    environment = {**os.environ, "DATABASE_URL": _asyncpg_url(url), "PYTHONPATH": str(root), **extra}
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gmbot.cli", "serve", "--port", str(port), "--no-access-log", "--log-level", "info"],
            cwd=root, env=environment, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.terminate()
            raise RuntimeError(log.read_text()[-2000:])
        time.sleep(0.2)


def _cpu_seconds(pid: int) -> float:
    """A process's CPU time so far (user + system), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _backends(url: str, pid: int) -> list[int]:
    """The PostgreSQL backends serving process `pid`'s connections (matched by its sockets'
    local ports), so that a server's database CPU can be told from another's."""
    import asyncpg

    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    ports = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if parts[9] in inodes and int(parts[2].rsplit(":", 1)[1], 16) == make_url(url).port:
                    ports.append(int(parts[1].rsplit(":", 1)[1], 16))

    async def ask() -> list[int]:
        connection = await asyncpg.connect(url)
        try:
            return [r["pid"] for r in await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::integer[])", ports)]  # fmt: skip
        finally:
            await connection.close()

    return asyncio.run(ask())


def _cpu_of(url: str, server: subprocess.Popen[bytes]) -> dict[int, float]:
    """CPU seconds so far of a server process (key 0) and of each of its database backends."""
    found = {0: _cpu_seconds(server.pid)}
    for backend in _backends(url, server.pid):
        with contextlib.suppress(OSError):
            found[backend] = _cpu_seconds(backend)
    return found


def _server_times(log: Path, marker: int) -> list[float]:
    with log.open("rb") as handle:
        handle.seek(marker)
        return [float(m.group(2)) for m in _TIMING.finditer(handle.read().decode(errors="replace"))]


def reads(url: str, seconds: float, concurrency: int, facts: dict[str, Any], baseline: Path | None) -> dict[str, Any]:
    """Each read's p50/p99 at the server; with `baseline` (another source tree, e.g. the main
    branch's code), a second server of that code on the same database, each request sent to
    both in turn (the same pages, the same load on this shared machine)."""
    key = asyncio.run(_key(url))
    folder = Path(tempfile.mkdtemp())
    servers = []
    try:
        server, base = _serve(url, folder / "server.log")
        servers.append((server, base, folder / "server.log"))
        if baseline is not None:
            other, other_base = _serve(url, folder / "baseline.log", baseline)
            servers.append((other, other_base, folder / "baseline.log"))
        rng = random.Random(7)
        headers = {"x-api-key": key, "client": "BENCH-BFF"}
        pages = max(1, facts["season"]["clans"] // 25)
        number = facts["season"]["number"]
        runs = {
            "leaderboard, top 10 pages": [f"/games/4/leaderboard?season={number}&page={rng.randint(1, 10)}" for _ in range(500)],
            "leaderboard, any page": [f"/games/4/leaderboard?season={number}&page={rng.randint(1, pages)}" for _ in range(500)],
            "clan profile": [f"/clans/{10**17 + rng.choice(facts['clans'])}/profile?game=4" for _ in range(500)],
        }  # fmt: skip
        results: dict[str, Any] = {}
        for name, paths in runs.items():
            mixed = [b + p for p in paths for _, b, _ in servers]  # one server, then the other
            asyncio.run(_drive("", headers, mixed[:100], 2, concurrency))  # warm-up
            markers = [log.stat().st_size for _, _, log in servers]
            cpu = [_cpu_of(url, server) for server, _, _ in servers]
            sent = asyncio.run(_drive("", headers, mixed, seconds, concurrency)) // len(servers)
            for (server, _, log), marker, before, label in zip(servers, markers, cpu, ("", " (baseline)"), strict=False):
                times = _server_times(log, marker)
                after = _cpu_of(url, server)
                # CPU per request (not queueing): the server's own, and its backends' in PostgreSQL
                spent = {k: v - before.get(k, 0.0) for k, v in after.items()}
                results[name + label] = {
                    "requests": sent, "p50_ms": round(_pct(times, 0.5), 2), "p99_ms": round(_pct(times, 0.99), 2),
                    "server_cpu_ms": round(1000 * spent.pop(0) / max(1, sent), 3),
                    "postgres_cpu_ms": round(1000 * sum(spent.values()) / max(1, sent), 3),
                }  # fmt: skip
                print(f"{name + label}: {results[name + label]}", flush=True)
        return results
    finally:
        for server, _, _ in servers:
            server.terminate()
            server.wait(10)


async def _ended_wars(url: str, pairs: list[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Wars of game 4 between the pairs, ended, the host's `win` cast: the next vote settles."""
    import asyncpg

    from backend_impl.clock import utcnow
    from backend_impl.warids import new_war_id

    now = utcnow()
    connection = await asyncpg.connect(url)
    made = []
    try:
        for host, opponent in pairs:
            war_id = "b" + new_war_id(6)
            await connection.execute(
                "INSERT INTO wars (id, status, private, game_id, format_id, duration, host_clan_id, opponent_clan_id, "
                "created_by, created_at, accepted_at, ends_at, ended_at, host_vote, host_glory, opponent_glory) "
                "VALUES ($1, 'ended', false, 4, 'ft3', 1, $2, $3, $4, $5, $5, $5, $5, 'win', 0, 0)",
                war_id, host, opponent, str(2 * 10**17 + host), now - timedelta(hours=2),
            )  # fmt: skip
            await connection.executemany(
                "INSERT INTO war_players (war_id, clan_id, user_id, name, role, position) VALUES ($1, $2, $3, $4, 'Leader', 0)",
                [(war_id, c, str(2 * 10**17 + c), f"Leader {c}") for c in (host, opponent)],
            )  # fmt: skip
            made.append((war_id, host, opponent))
    finally:
        await connection.close()
    return made


async def settles(url: str, count: int, facts: dict[str, Any]) -> dict[str, Any]:
    from sqlalchemy import null

    from backend_impl import db, results, seasons
    from generated import models as m
    from gmbot.server.types import RequestContext

    rng = random.Random(11)
    rated = facts["clans"]
    pairs = [tuple(rng.sample(rated, 2)) for _ in range(2 * count)]
    listed = set(rated)
    newcomers = [c for c in range(1, facts["last_clan"] + 1) if c not in listed][: 2 * (count // 4)]
    fresh = list(zip(newcomers[::2], newcomers[1::2], strict=False))
    wars = await _ended_wars(url, [*pairs, *fresh])  # type: ignore[list-item]
    steady, first = wars[: len(pairs)], wars[len(pairs):]
    db.init(_asyncpg_url(url))
    ctx = RequestContext(client="BENCH-BFF", platform="discord", request_id="bench")
    # without ratings: the settle as before ranked play, the glory award alone (its clan
    # locks without the season's lock), no season, nothing recorded
    real = (results._settle, seasons.lock_shared_column)

    async def award_only(session: Any, war: Any, now: Any) -> None:
        await results._award(session, war, 0)

    def ranked(on: bool) -> None:
        results._settle, seasons.lock_shared_column = (  # type: ignore[assignment]
            real if on else (award_only, lambda _season_id: null())
        )

    async def vote(war: tuple[str, int, int]) -> float:
        war_id, _, opponent = war
        body = m.VoteRequest.model_validate({"server": {"id": str(10**17 + opponent), "name": "x"},
                                             "actor": {"id": str(2 * 10**17 + opponent), "name": f"Leader {opponent}"},
                                             "result": "lose"})  # fmt: skip
        started = time.process_time()
        reply = await results.cast_vote(ctx, war_id=war_id, body=body)
        spent = time.process_time() - started
        assert reply["status"] == "confirmed", reply  # type: ignore[index]
        return spent * 1000

    timings: dict[str, list[float]] = {"with ratings": [], "without ratings": [], "first war of the season": []}
    for war in steady[:10]:  # warm-up: prepared statements, caches
        ranked(True)
        await vote(war)
    for i, war in enumerate(steady[10:]):
        on = i % 2 == 0
        ranked(on)
        timings["with ratings" if on else "without ratings"].append(await vote(war))
    ranked(True)
    for war in first:
        timings["first war of the season"].append(await vote(war))
    await db.close()
    summary = {name: {"settles": len(v), "median_cpu_ms": round(statistics.median(v), 3),
                      "p90_cpu_ms": round(_pct(v, 0.9), 3)} for name, v in timings.items() if v}  # fmt: skip
    summary["extra cpu of ratings (median)"] = round(
        summary["with ratings"]["median_cpu_ms"] - summary["without ratings"]["median_cpu_ms"], 3)  # fmt: skip
    for name, value in summary.items():
        print(f"{name}: {value}", flush=True)
    return summary


async def recomputes(url: str, facts: dict[str, Any]) -> dict[str, Any]:
    """A referee's correction: the season's first confirmed war gets the other result, and the
    season is recomputed from it (every later result replayed, what changed rewritten);
    then the war is put back and recomputed again. And replays of the whole season that
    change nothing: as a recompute does (only the wars a change reaches), and rating every
    war again (`full`)."""
    import asyncpg
    from sqlalchemy import update

    from backend_impl import db, replay
    from backend_impl.tables import War

    connection = await asyncpg.connect(url)
    try:
        first = await connection.fetchrow(
            "SELECT w.id, w.result FROM war_results r JOIN wars w ON w.id = r.war_id "
            "WHERE r.season_id = $1 AND w.status = 'confirmed' AND w.result <> 'draw' ORDER BY r.seq LIMIT 1",
            facts["season"]["id"],
        )
    finally:
        await connection.close()
    flipped = "opponent" if first["result"] == "host" else "host"
    database = db.init(_asyncpg_url(url))
    number = facts["season"]["number"]
    out = {}
    runs = (("correction of the first war", flipped, False), ("correction undone", first["result"], False),
            ("whole season, nothing changed", None, False), ("whole season, every war rated again", None, True))
    for name, result, full in runs:
        if result is not None:
            async with database.transaction() as session:
                await session.execute(
                    update(War).where(War.id == first["id"]).values(result=result)
                )
        started = time.perf_counter()
        done = await replay.recompute(database, 4, number, first["id"] if result else None, full=full)
        out[name] = {"wars": done.wars, "rows_rewritten": done.rows, "seconds": round(time.perf_counter() - started, 2)}
        print(f"recompute, {name}: {out[name]}", flush=True)
    await db.close()
    return out


async def settlement(url: str, facts: dict[str, Any]) -> dict[str, Any]:
    """A referee's settlement through the operation itself (`disputes.settle_ticket`): the
    season's first confirmed war not disputed yet is disputed by its host's Leader
    (`fileDispute`), and an appointed referee settles the ticket with the other result; the
    verdict, the clans' glory and the recompute of the season from that war commit in one
    transaction, timed from the call to its reply. Then a full replay of the season checks
    that nothing is left to change (the standings are what a replay from scratch gives)."""
    import asyncpg

    from backend_impl import db, disputes, replay
    from generated import models as m
    from gmbot.server.types import RequestContext

    connection = await asyncpg.connect(url)
    try:
        first = await connection.fetchrow(
            "SELECT w.id, w.result, w.host_clan_id FROM war_results r JOIN wars w ON w.id = r.war_id "
            "WHERE r.season_id = $1 AND w.status = 'confirmed' AND w.result <> 'draw' "
            "AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.war_id = w.id) ORDER BY r.seq LIMIT 1",
            facts["season"]["id"],
        )
        later = await connection.fetchval(
            "SELECT count(*) FROM war_results WHERE season_id = $1 AND seq >= "
            "(SELECT seq FROM war_results WHERE war_id = $2 LIMIT 1)", facts["season"]["id"], first["id"])  # fmt: skip
    finally:
        await connection.close()
    database = db.init(_asyncpg_url(url))
    bot = RequestContext(client="BENCH-BFF", platform="discord", request_id="bench")
    operator = RequestContext(client="OPERATOR", platform="discord", request_id="bench-operator")
    referee = {"id": "3" + "0" * 17, "name": "bench referee"}
    await disputes.appoint_referee(operator, body=m.AppointRefereeRequest.model_validate(
        {"platform": "discord", "user": referee}))  # fmt: skip
    host = first["host_clan_id"]
    ticket = await disputes.file_dispute(bot, war_id=first["id"], body=m.DisputeRequest.model_validate({
        "server": {"id": str(10**17 + host), "name": "x"}, "actor": {"id": str(2 * 10**17 + host), "name": "Leader"},
        "reason": "bench: the other clan won", "evidence": ["https://example.com/bench.png"]}))  # fmt: skip
    verdict = "opponent" if first["result"] == "host" else "host"
    started = time.perf_counter()
    settled = await disputes.settle_ticket(bot, ticket_id=ticket["id"], body=m.SettleRequest.model_validate(  # type: ignore[index]
        {"actor": referee, "verdict": verdict, "reason": "bench"}))  # fmt: skip
    seconds = time.perf_counter() - started
    assert settled["war"]["result"] == verdict, settled  # type: ignore[index]
    started = time.perf_counter()
    check = await replay.recompute(database, 4, facts["season"]["number"], full=True)
    out = {"war": first["id"], "results_from_it": later // 2, "settle_seconds": round(seconds, 2),
           "full_replay_rows_changed": check.rows, "full_replay_seconds": round(time.perf_counter() - started, 2)}
    print(f"referee settlement: {out}", flush=True)
    await db.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=10, help="per read benchmark")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="clients at once (1: the server's own time, no queueing behind other requests)")
    parser.add_argument("--settles", type=int, default=400, help="settled wars timed (half with ratings)")
    parser.add_argument("--skip", nargs="*", default=[], choices=["reads", "settles", "recompute", "settlement"])
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a source tree to compare the reads with, served beside this one and asked in turn "
                             "(e.g. `git archive main | tar -x -C /tmp/base`)")
    args = parser.parse_args()
    facts = asyncio.run(_season_facts(args.url))
    print(f"season {facts['season']}: {facts['results'] // 2} wars", flush=True)
    report: dict[str, Any] = {"season": facts["season"], "wars_in_season": facts["results"] // 2}
    if "reads" not in args.skip:
        report["reads"] = reads(args.url, args.seconds, args.concurrency, facts, args.baseline)
    if "settles" not in args.skip:
        report["settles"] = asyncio.run(settles(args.url, args.settles, facts))
    if "recompute" not in args.skip:
        report["recompute"] = asyncio.run(recomputes(args.url, facts))
    if "settlement" not in args.skip:
        report["settlement"] = asyncio.run(settlement(args.url, facts))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
