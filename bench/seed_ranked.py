"""Seed a PostgreSQL database for the ranked-play benchmark (bench/bench_ranked.py).

`--clans` clans (each with its Leader, who is also its one player), `--wars` settled wars of
game 4 spread evenly over `--seasons` monthly seasons ending with the current month (the
last one active, the others closed with their final ranks), with the ratings, results and
standings the backend itself would have written: every season's wars are applied in order
with `rating.Ledger` (the live updates' and the recompute's code), each clan starting a
season from a soft reset of its last one. Clans are drawn uniformly per war; the winner by
a hidden strength; 8% draws, 3% disputed. Rows go in with COPY, season by season.

    .venv/bin/python bench/seed_ranked.py                           # 100,000 clans, 1,000,000 wars
    .venv/bin/python bench/seed_ranked.py --clans 10000 --wars 100000 --seasons 4
    --url postgresql://postgres@127.0.0.1:5432/gmbot_ranked (default): dropped and created again.

About 4 minutes for the full set on a quiet 2-core machine (most of it the ratings in Python).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from backend_impl import migrate, ranks, rating, seasons, settings  # noqa: E402
from backend_impl.clock import utcnow  # noqa: E402

GAME = 4
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/gmbot_ranked"


def war_id(n: int) -> str:
    """7 characters, never one of the 4-6 character ids the backend gives new wars."""
    text = ""
    for _ in range(6):
        n, r = divmod(n, len(ALPHABET))
        text = ALPHABET[r] + text
    return "s" + text


async def recreate(url: str) -> None:
    import asyncpg

    base, _, name = url.rpartition("/")
    admin = await asyncpg.connect(f"{base}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await migrate.upgrade(url.replace("postgresql://", "postgresql+asyncpg://", 1))


def season_bounds(count: int, now: datetime) -> list[tuple[datetime, datetime]]:
    start = seasons.month_start(now)
    bounds = []
    for _ in range(count):
        bounds.append((start, seasons.next_month(start)))
        start = seasons.month_start(start - timedelta(days=1))
    return bounds[::-1]


async def seed(url: str, clans: int, wars: int, season_count: int, seed_value: int) -> dict[str, Any]:
    import asyncpg

    rng = random.Random(seed_value)
    started = time.perf_counter()
    await recreate(url)
    connection = await asyncpg.connect(url)
    now = utcnow()
    created = now - timedelta(days=400)
    strength = [rng.gauss(0, 1) for _ in range(clans + 1)]
    server = [str(10**17 + i) for i in range(clans + 1)]
    leader = [str(2 * 10**17 + i) for i in range(clans + 1)]
    totals = defaultdict(lambda: [0, 0, 0, 0, 0, 0])  # played, won, lost, drawn, disputed, glory
    await connection.copy_records_to_table("clans", columns=[
        "id", "platform", "server_id", "server_name", "name", "location", "language", "channel_id", "channel_name",
        "created_at", "glory", "played", "won", "lost", "drawn", "disputed"], records=(
        (i, "discord", server[i], f"Server {i}", f"Clan {i}", "International", "English", str(3 * 10**17 + i),
         "wars", created, 0, 0, 0, 0, 0, 0) for i in range(1, clans + 1)))  # fmt: skip
    await connection.copy_records_to_table("members", columns=["clan_id", "user_id", "name", "role", "available"],
                                           records=((i, leader[i], f"Leader {i}", "Leader", True)
                                                    for i in range(1, clans + 1)))  # fmt: skip
    await connection.execute("SELECT setval('clans_id_seq', $1)", clans)
    last_ratings: dict[int, tuple[float, float]] = {}  # clan -> its latest season's final rating
    seq = 0
    per_season = wars // season_count
    bounds = season_bounds(season_count, now)
    provisional = settings.provisional_wars()
    window = timedelta(hours=settings.farming_window_hours())
    for number, (starts, ends) in enumerate(bounds, start=1):
        active = number == season_count
        t0 = time.perf_counter()
        season_id = await connection.fetchval(
            "INSERT INTO seasons (game_id, number, name, status, starts_at, ends_at, provisional_wars, "
            "farming_window_hours, created_at, closed_at, clans, ranked_clans) VALUES ($1, $2, $3, $4, $5, $6, $7, "
            "$8, $9, $10, 0, 0) RETURNING id",
            GAME, number, f"{starts:%Y-%m}", "active" if active else "closed", starts, ends, provisional,
            window.total_seconds() / 3600, starts, None if active else ends,
        )  # fmt: skip
        span = ((now if active else ends) - starts).total_seconds()
        moments = sorted(starts + timedelta(seconds=rng.uniform(0, span)) for _ in range(per_season))
        ledger = rating.Ledger(window)
        starts_of: dict[int, tuple[float, float]] = {}
        last_before: dict[int, rating.Standing] = {}
        war_rows, player_rows, result_rows = [], [], []
        for moment in moments:
            seq += 1
            host, opponent = rng.sample(range(1, clans + 1), 2)
            for clan in (host, opponent):
                if clan not in ledger.clans:
                    start = rating.soft_reset(*last_ratings[clan]) if clan in last_ratings else (
                        rating.DEFAULT_MU, rating.DEFAULT_SIGMA)
                    starts_of[clan] = start
                    ledger.clans[clan] = rating.Standing(*start)
                    ledger.players[("discord", leader[clan])] = rating.PlayerStanding(*start)
            roll = rng.random()
            p_host = 1 / (1 + math.exp(strength[opponent] - strength[host]))
            result = "disputed" if roll < 0.03 else "draw" if roll < 0.11 else "host" if rng.random() < p_host else "opponent"
            confirmed = result != "disputed"
            glory = {"host": (3, 0), "opponent": (0, 3), "draw": (1, 1), "disputed": (0, 0)}[result]
            applied = ledger.apply(rating.WarInput(
                war_id(seq), moment, confirmed, result if confirmed else None, host, opponent, *glory,
                (("discord", leader[host]),), (("discord", leader[opponent]),)))  # fmt: skip
            votes = {"host": ("win", "lose"), "opponent": ("lose", "win"), "draw": ("draw", "draw"),
                     "disputed": ("win", "win")}[result]  # fmt: skip
            wid = war_id(seq)
            war_rows.append((wid, "confirmed" if confirmed else "disputed", False, GAME, "ft3", 24.0, host, opponent,
                             leader[host], moment - timedelta(hours=25), moment - timedelta(hours=24, minutes=30),
                             moment - timedelta(minutes=30), moment - timedelta(minutes=30), votes[0], votes[1],
                             result if confirmed else None, glory[0], glory[1]))  # fmt: skip
            for side in (applied.host, applied.opponent):
                b, a = side.before, side.after
                result_rows.append((wid, side.clan_id, seq, season_id, GAME, side.opponent_id, side.outcome, moment,
                                    side.glory, applied.repeat, applied.factor, b.mu, b.sigma, a.mu, a.sigma, b.played,
                                    b.won, b.lost, b.drawn, b.glory, b.streak))  # fmt: skip
                key = ("discord", leader[side.clan_id])
                pb, pa = applied.players[key]
                player_rows.append((wid, side.clan_id, leader[side.clan_id], f"Leader {side.clan_id}", "Leader", 0,
                                    *((pb.mu, pb.sigma, pb.played, pa.mu, pa.sigma) if confirmed else (None,) * 5)))  # fmt: skip
                if confirmed:
                    last_before[side.clan_id] = b
                t = totals[side.clan_id]
                t[0] += 1
                t[{"won": 1, "lost": 2, "drawn": 3, "disputed": 4}[side.outcome]] += 1
                t[5] += side.glory
        await connection.copy_records_to_table("wars", columns=[
            "id", "status", "private", "game_id", "format_id", "duration", "host_clan_id", "opponent_clan_id",
            "created_by", "created_at", "accepted_at", "ends_at", "ended_at", "host_vote", "opponent_vote", "result",
            "host_glory", "opponent_glory"], records=war_rows)  # fmt: skip
        await connection.copy_records_to_table("war_players", columns=[
            "war_id", "clan_id", "user_id", "name", "role", "position", "mu_before", "sigma_before", "played_before",
            "mu_after", "sigma_after"], records=player_rows)  # fmt: skip
        await connection.copy_records_to_table("war_results", columns=[
            "war_id", "clan_id", "seq", "season_id", "game_id", "opponent_clan_id", "outcome", "settled_at", "glory",
            "repeat", "factor", "mu_before", "sigma_before", "mu_after", "sigma_after", "played_before", "won_before",
            "lost_before", "drawn_before", "glory_before", "streak_before"], records=result_rows)  # fmt: skip
        # standings: every clan rated this season (a clan whose wars were all disputed has none)
        standing_rows = []
        ranked_order = sorted((c for c, s in ledger.clans.items() if s.played >= provisional),
                              key=lambda c: (-ledger.clans[c].ordinal, -c))  # fmt: skip
        final = {c: i + 1 for i, c in enumerate(ranked_order)} if not active else {}
        for clan, s in ledger.clans.items():
            if s.played == 0:
                continue
            lb = last_before.get(clan)
            standing_rows.append((season_id, clan, s.mu, s.sigma, s.ordinal, *starts_of[clan], s.played, s.won,
                                  s.lost, s.drawn, s.glory, s.streak, s.played >= provisional,
                                  lb.ordinal if lb else None, bool(lb and lb.played >= provisional),
                                  final.get(clan)))  # fmt: skip
            last_ratings[clan] = (s.mu, s.sigma)
        await connection.copy_records_to_table("clan_ratings", columns=[
            "season_id", "clan_id", "mu", "sigma", "ordinal", "start_mu", "start_sigma", "played", "won", "lost",
            "drawn", "glory", "streak", "ranked", "last_ordinal_before", "last_ranked_before", "final_rank"],
            records=standing_rows)  # fmt: skip
        await connection.copy_records_to_table("player_ratings", columns=[
            "season_id", "platform", "user_id", "name", "mu", "sigma", "ordinal", "start_mu", "start_sigma", "played"],
            records=[(season_id, key[0], key[1], f"Leader {int(key[1]) - 2 * 10**17}", p.mu, p.sigma, rating.ordinal(p.mu, p.sigma),
                      *starts_of[int(key[1]) - 2 * 10**17], p.played)
                     for key, p in ledger.players.items() if p.played])  # fmt: skip
        buckets = Counter((row[13], ranks.bucket(row[4])) for row in standing_rows)  # (ranked, bucket of ordinal)
        await connection.copy_records_to_table("rating_buckets", columns=["season_id", "ranked", "bucket", "clans"],
                                               records=[(season_id, r, b, n) for (r, b), n in buckets.items()])  # fmt: skip
        await connection.execute(
            "UPDATE seasons SET clans = $2, ranked_clans = $3 WHERE id = $1",
            season_id, len(standing_rows), sum(1 for r in standing_rows if r[13]),
        )
        print(f"season {number} ({starts:%Y-%m}): {per_season} wars, {len(standing_rows)} clans rated, "
              f"{time.perf_counter() - t0:.0f} s", flush=True)  # fmt: skip
    await connection.execute("SELECT setval('war_result_seq', $1)", seq)
    ids = sorted(totals)
    await connection.execute(
        "UPDATE clans c SET played = v.p, won = v.w, lost = v.l, drawn = v.d, disputed = v.x, glory = v.g "
        "FROM unnest($1::int[], $2::int[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[]) AS v(id, p, w, l, d, x, g) "
        "WHERE c.id = v.id",
        ids, *([totals[i][k] for i in ids] for k in range(6)),
    )  # fmt: skip
    await connection.close()
    # the visibility map lets the leaderboard's counts and ranks be index-only scans
    vacuum = await asyncpg.connect(url)
    try:
        for table in ("clans", "members", "seasons", "wars", "war_players", "war_results", "clan_ratings", "player_ratings",
                      "rating_buckets"):
            await vacuum.execute(f"VACUUM (ANALYZE) {table}")
    finally:
        await vacuum.close()
    return {"clans": clans, "wars": per_season * season_count, "seasons": season_count,
            "seconds": round(time.perf_counter() - started)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=DEFAULT_URL, help="the database to (re)create (default: %(default)s)")
    parser.add_argument("--clans", type=int, default=100_000)
    parser.add_argument("--wars", type=int, default=1_000_000)
    parser.add_argument("--seasons", type=int, default=10, help="monthly seasons, the last one the current month")
    parser.add_argument("--seed", type=int, default=19)
    args = parser.parse_args()
    print(asyncio.run(seed(args.url, args.clans, args.wars, args.seasons, args.seed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
