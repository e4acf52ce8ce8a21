"""Ranked play's maths on a real database, in-process: the ratings a settled war writes are
openskill's own, draws, provisional clans, the anti-farming rule, season rollover and soft
reset, and a recompute equal to a replay from scratch (readers never see a mix).

Each test runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set. Wars are played
through the backend's own operations (tests/backend/ranked_support.py), each result settled
at a chosen moment.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import datetime, timedelta

import pytest
from openskill.models import PlackettLuce
from sqlalchemy import select, update

from backend_impl import ranked, ranks, replay, seasons, standings
from backend_impl.rating import DEFAULT_MU, DEFAULT_SIGMA, Ledger, WarInput, soft_reset
from backend_impl.tables import ClanRating, RatingBucket, Season, War, WarResult
from tests.backend.ranked_support import Arena, body, ranked_arena, ranked_database_url  # noqa: F401  (fixtures)

T0 = datetime(2026, 11, 2, 12, 0)
OPENSKILL = PlackettLuce()  # the library's own model, defaults: what docs/backend.md states




def openskill_rate(winner: tuple[float, float], loser: tuple[float, float], draw: bool = False) -> tuple[
        tuple[float, float], tuple[float, float]]:  # fmt: skip
    [[a], [b]] = OPENSKILL.rate([[OPENSKILL.rating(*winner)], [OPENSKILL.rating(*loser)]],
                                ranks=[1, 1] if draw else [1, 2])  # fmt: skip
    return (a.mu, a.sigma), (b.mu, b.sigma)


async def test_a_confirmed_war_rates_clans_and_players_as_openskill_does(arena: Arena) -> None:
    wolves, bears = await arena.clan("Wolves"), await arena.clan("Bears")
    ann, bob = arena.player(wolves, "ann"), arena.player(wolves, "bob")
    cid = arena.player(bears, "cid")
    war = await arena.play(wolves, bears, "host", T0, host_players=[ann, bob], opponent_players=[cid])
    season = await arena.season(4, 1)
    new = (DEFAULT_MU, DEFAULT_SIGMA)
    winner, loser = openskill_rate(new, new)
    host, rival = await arena.rating(wolves, season.id), await arena.rating(bears, season.id)
    assert (host.mu, host.sigma) == pytest.approx(winner, abs=1e-9)
    assert (rival.mu, rival.sigma) == pytest.approx(loser, abs=1e-9)
    assert host.ordinal == pytest.approx(winner[0] - 3 * winner[1])
    assert (host.played, host.won, host.glory, host.streak, host.ranked) == (1, 1, 3, 1, False)
    # the result carries the change, as the war.confirmed card shows it
    change = war["ranked"]
    assert change["repeat"] == 1 and change["factor"] == 1
    assert change["host"]["before"] == 0 and change["host"]["after"] == pytest.approx(winner[0] - 3 * winner[1], abs=0.01)
    assert change["opponent"]["change"] < 0 < change["host"]["change"]
    assert change["host"]["provisional"] and change["host"]["warsToRank"] == 1
    # players: the rosters as two teams
    [[a, b], [c]] = OPENSKILL.rate([[OPENSKILL.rating(), OPENSKILL.rating()], [OPENSKILL.rating()]], ranks=[1, 2])
    snapshot = await arena.snapshot(season.id)
    players = {row[2]: row for row in snapshot["players"]}  # (season, platform, user_id, name, mu, sigma, ...)
    assert players[ann["id"]][4:6] == pytest.approx((a.mu, a.sigma))
    assert players[bob["id"]][4:6] == pytest.approx((b.mu, b.sigma))
    assert players[cid["id"]][4:6] == pytest.approx((c.mu, c.sigma))
    # a second war starts from the stored ratings: still openskill's numbers
    await arena.play(bears, wolves, "draw", T0 + timedelta(hours=1))
    drawn_bears, drawn_wolves = openskill_rate(loser, winner, draw=True)
    host, rival = await arena.rating(wolves, season.id), await arena.rating(bears, season.id)
    assert (rival.mu, rival.sigma) == pytest.approx(drawn_bears, abs=1e-9)
    assert (host.mu, host.sigma) == pytest.approx(drawn_wolves, abs=1e-9)
    assert (host.drawn, host.streak, host.ranked, rival.ranked) == (1, 0, True, True)  # 2 wars: ranked


async def test_a_disputed_war_changes_no_rating_but_is_in_the_history(arena: Arena) -> None:
    wolves, bears = await arena.clan("Wolves"), await arena.clan("Bears")
    war = await arena.play(wolves, bears, "disputed", T0)
    assert war["status"] == "disputed" and "ranked" not in war
    season = await arena.season(4, 1)
    snapshot = await arena.snapshot(season.id)
    assert snapshot["standings"] == []
    assert [(row[6], row[11], row[13]) for row in snapshot["history"]] == [("disputed", DEFAULT_MU, DEFAULT_MU)] * 2


async def test_repeated_wins_over_one_opponent_count_less(arena: Arena) -> None:
    """The k-th win over the same opponent within the window scales both changes by 1/k."""
    wolves, bears, owls = await arena.clan("Wolves"), await arena.clan("Bears"), await arena.clan("Owls")
    season_id = None
    moments = [T0, T0 + timedelta(days=1), T0 + timedelta(days=2), T0 + timedelta(days=8, hours=1)]
    expected_repeats = [1, 2, 3, 2]  # the 4th: the 1st and 2nd wins left the 7-day window
    for moment, repeat in zip(moments, expected_repeats, strict=True):
        if season_id is None:
            before_w = (DEFAULT_MU, DEFAULT_SIGMA)
            before_b = (DEFAULT_MU, DEFAULT_SIGMA)
        else:
            w, b = await arena.rating(wolves, season_id), await arena.rating(bears, season_id)
            before_w, before_b = (w.mu, w.sigma), (b.mu, b.sigma)
        war = await arena.play(wolves, bears, "host", moment)
        season_id = season_id or (await arena.season(4, 1)).id
        assert war["ranked"]["repeat"] == repeat and war["ranked"]["factor"] == pytest.approx(1 / repeat, abs=1e-4)
        full_w, full_b = openskill_rate(before_w, before_b)
        w, b = await arena.rating(wolves, season_id), await arena.rating(bears, season_id)
        for (mu, sigma), before, full in (((w.mu, w.sigma), before_w, full_w), ((b.mu, b.sigma), before_b, full_b)):
            assert mu == pytest.approx(before[0] + (full[0] - before[0]) / repeat, abs=1e-9)
            assert sigma == pytest.approx(before[1] + (full[1] - before[1]) / repeat, abs=1e-9)
        # another opponent, a loss, a draw: none of them is a repeated win over the Bears
        await arena.play(owls, wolves, "draw", moment + timedelta(minutes=5))
    loss = await arena.play(bears, wolves, "host", T0 + timedelta(days=9))
    assert loss["ranked"]["repeat"] == 1  # the Bears' first win over the Wolves


async def test_a_season_rolls_over_with_archived_standings_and_a_soft_reset(arena: Arena) -> None:
    wolves, bears, owls = await arena.clan("Wolves"), await arena.clan("Bears"), await arena.clan("Owls")
    for i, (winner, loser) in enumerate([(wolves, bears), (wolves, owls), (bears, owls), (wolves, bears)]):
        await arena.play(winner, loser, "host", T0 + timedelta(days=i * 3))  # November
    november = await arena.season(4, 1)
    assert (november.name, november.status, november.ends_at) == ("2026-11", "active", datetime(2026, 12, 1))
    before = {c.name: await arena.rating(c, november.id) for c in (wolves, bears, owls)}
    # two processes' schedulers at once, and again: one rollover
    database = arena.database
    rolled = await asyncio.gather(*(seasons.roll_over(database, datetime(2026, 12, 1, 0, 0, 1)) for _ in range(2)))
    assert {s.number for batch in rolled for s in batch if s.game_id == 4} == {2}
    assert await seasons.roll_over(database, datetime(2026, 12, 1, 0, 0, 2)) == []
    closed = await arena.season(4, 1)
    assert closed.status == "closed" and closed.closed_at is not None
    december = await arena.season(4, 2)
    assert (december.status, december.starts_at, december.ends_at) == ("active", datetime(2026, 12, 1), datetime(2027, 1, 1))
    # archived: the final ranks of the ranked clans (2+ wars), by rating
    ranked_rows = sorted((r for r in before.values() if r.ranked), key=lambda r: -r.ordinal)
    archived = {c.name: (await arena.rating(c, november.id)).final_rank for c in (wolves, bears, owls)}
    assert [archived[name] for name in ("Wolves", "Bears", "Owls")] == [
        ranked_rows.index(before[name]) + 1 if before[name].ranked else None for name in ("Wolves", "Bears", "Owls")]
    # December: the first war starts both clans from a soft reset of November
    war = await arena.play(owls, wolves, "host", datetime(2026, 12, 3))
    assert war["ranked"]["season"] == {"number": 2, "name": "2026-12"}
    for clan, row in ((owls, before["Owls"]), (wolves, before["Wolves"])):
        start = await arena.rating(clan, december.id)
        assert (start.start_mu, start.start_sigma) == pytest.approx(soft_reset(row.mu, row.sigma))
        assert start.start_sigma > row.sigma and abs(start.start_mu - DEFAULT_MU) < abs(row.mu - DEFAULT_MU)
        assert start.played == 1 and not start.ranked
    # November is untouched and still readable, with its archive
    after = {c.name: (await arena.rating(c, november.id))._asdict() for c in (wolves, bears, owls)}
    assert after == {name: {**row._asdict(), "final_rank": archived[name]} for name, row in before.items()}
    reply = body(await ranked.get_rating_leaderboard(arena.ctx(), game_id=4, season=1))
    by_rating = sorted((n for n in before if before[n].ranked), key=lambda n: -before[n].ordinal)
    assert [item["name"] for item in reply["items"] if item["rank"]] == by_rating
    assert [item["finalRank"] for item in reply["items"] if item["rank"]] == list(range(1, len(by_rating) + 1))
    assert reply["season"]["status"] == "closed"


async def _random_season(arena: Arena, wars: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    clans = [await arena.clan(f"C{i}", "slack" if i % 3 == 0 else "discord") for i in range(6)]
    moment, ids = T0, []
    for i in range(wars):
        host, opponent = rng.sample(clans, 2)
        if i % 5 == 0:  # a rivalry: repeated wins within the window
            host, opponent = clans[0], clans[1]
        result = rng.choice(["host", "host", "opponent", "draw", "disputed"])
        players = [[arena.player(c, f"p{rng.randrange(3)}") for _ in range(1)] + [c.leader] for c in (host, opponent)]
        moment += timedelta(hours=rng.choice([1, 3, 12, 26]))  # all in November
        war = await arena.play(host, opponent, result, moment, host_players=players[0], opponent_players=players[1])
        ids.append(war["id"])
    return ids


async def test_recompute_from_a_war_equals_a_replay_from_scratch(arena: Arena, monkeypatch: pytest.MonkeyPatch) -> None:
    """On PostgreSQL the live updates take the direct path (standings_pg) but for players'
    first wars; on SQLite the portable one: both must write what the replay writes."""
    portable, calls = standings.record, []

    async def counted(*args: object) -> object:
        calls.append(args)
        return await portable(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(standings, "record", counted)
    ids = await _random_season(arena, 30, seed=19)
    if arena.database.direct is not None:
        assert 0 < len(calls) < 15  # the players' first wars only
    else:
        assert len(calls) == 30
    season = await arena.season(4, 1)
    live = await arena.snapshot(season.id)
    # the live updates are what a replay from scratch gives (every war rated again)
    whole = await replay.recompute(arena.database, 4, 1, full=True)
    assert (whole.wars, whole.rows) == (30, 0)
    assert await arena.snapshot(season.id) == live
    # nothing changed: a replay reaches the first war only, and writes nothing
    idle = await replay.recompute(arena.database, 4, 1, ids[5])
    assert (idle.wars, idle.rows) == (1, 0)
    # a referee's corrections: war 12 becomes a win of its opponent (it may have been
    # disputed), war 20 a draw, war 25 disputed (no longer rated)
    flips = {12: {"status": "confirmed", "result": "opponent", "host_glory": 0, "opponent_glory": 3},
             20: {"status": "confirmed", "result": "draw", "host_glory": 1, "opponent_glory": 1},
             25: {"status": "disputed", "result": None, "host_glory": 0, "opponent_glory": 0}}  # fmt: skip
    async with arena.database.transaction() as session:
        for index, values in flips.items():
            await session.execute(update(War).where(War.id == ids[index]).values(**values))
    partial = await replay.recompute(arena.database, 4, 1, ids[12])
    assert 0 < partial.wars <= 30 - 12 and partial.rows > 0
    corrected = await arena.snapshot(season.id)
    assert corrected != live
    # ... recomputed from that war (replaying only the wars it reaches) gives what a replay
    # of the whole season, every war rated again, gives
    again = await replay.recompute(arena.database, 4, 1, full=True)
    after = await arena.snapshot(season.id)
    for part in after:
        assert [r for r in after[part] if r not in corrected[part]] == [], repr((part, [r for r in corrected[part] if r not in after[part]], [r for r in after[part] if r not in corrected[part]]))
    assert again.rows == 0
    assert after == corrected
    # and both are what the wars stored give, applied in order from new ratings
    stored = {row[1]: (row[2], row[3], row[7]) for row in corrected["standings"]}  # clan: mu, sigma, played
    replayed = await _independent_replay(arena, season.id)
    assert {c: s for c, s in replayed.items() if c in stored} == stored
    assert all(s[2] == 0 for c, s in replayed.items() if c not in stored)


@pytest.mark.parametrize("seed", [6, 8])
async def test_random_corrections_recomputed_from_the_first_give_a_full_replay(arena: Arena, seed: int) -> None:
    """Rounds of random corrections (any war to a win of either side, a draw or disputed),
    each recomputed from the earliest corrected war, replaying only the wars it reaches: the
    standings, results and rosters are always those of a full replay (which then has nothing
    to write)."""
    ids = await _random_season(arena, 40, seed=seed)
    season = await arena.season(4, 1)
    rng = random.Random(seed * 7)
    outcomes = {"host": (3, 0), "opponent": (0, 3), "draw": (1, 1)}
    for _round in range(3):
        picks = rng.sample(range(len(ids)), 3)
        async with arena.database.transaction() as session:
            for index in picks:
                choice = rng.choice(["host", "opponent", "draw", "disputed"])
                host_glory, opponent_glory = outcomes.get(choice, (0, 0))
                await session.execute(update(War).where(War.id == ids[index]).values(
                    status="disputed" if choice == "disputed" else "confirmed",
                    result=None if choice == "disputed" else choice,
                    host_glory=host_glory, opponent_glory=opponent_glory))  # fmt: skip
        await replay.recompute(arena.database, 4, 1, ids[min(picks)])
        incremental = await arena.snapshot(season.id)
        full = await replay.recompute(arena.database, 4, 1, full=True)
        assert full.rows == 0
        assert await arena.snapshot(season.id) == incremental
        assert await _buckets(arena, season.id) == await _counted_buckets(arena, season.id)


async def _independent_replay(arena: Arena, season_id: int) -> dict[int, tuple[float, float, int]]:
    async with arena.database.read() as session:
        rows = list(await session.execute(
            select(WarResult.war_id, WarResult.seq, WarResult.settled_at, War.status, War.result, War.host_clan_id,
                   War.opponent_clan_id).join(War, War.id == WarResult.war_id)
            .where(WarResult.season_id == season_id, WarResult.clan_id == War.host_clan_id).order_by(WarResult.seq)))  # fmt: skip
    season = await seasons_by_id(arena, season_id)
    ledger = Ledger(season.window)
    for r in rows:
        ledger.apply(WarInput(r.war_id, r.settled_at, r.status == "confirmed", r.result, r.host_clan_id,
                              r.opponent_clan_id))  # fmt: skip
    return {c: (s.mu, s.sigma, s.played) for c, s in ledger.clans.items()}


async def seasons_by_id(arena: Arena, season_id: int) -> seasons.SeasonInfo:
    async with arena.database.read() as session:
        return await seasons.by_id(session, season_id)


@pytest.mark.postgres
async def test_readers_see_the_old_standings_or_the_new_never_a_mix(
    arena: Arena, monkeypatch: pytest.MonkeyPatch
) -> None:
    if arena.database.dialect != "postgresql":
        pytest.skip("one writer on SQLite: readers wait, there is nothing to mix")
    ids = await _random_season(arena, 24, seed=7)
    season = await arena.season(4, 1)
    old = await _board(arena, season.id)
    async with arena.database.transaction() as session:
        war = await session.get(War, ids[3])
        assert war is not None
        flipped = "opponent" if war.result == "host" else "host"
        await session.execute(update(War).where(War.id == ids[3]).values(status="confirmed", result=flipped))
    # the recompute waits, all its rows written but not committed, until readers have looked
    written, looked = asyncio.Event(), asyncio.Event()
    totals = replay.update_totals

    async def totals_then_wait(connection: object, season_id: int, joined: int, ranked: int) -> None:
        await totals(connection, season_id, joined, ranked)  # type: ignore[arg-type]
        written.set()
        await looked.wait()

    monkeypatch.setattr(replay, "update_totals", totals_then_wait)
    recompute = asyncio.create_task(replay.recompute(arena.database, 4, 1, ids[3]))
    await written.wait()
    during = [await _board(arena, season.id) for _ in range(3)]
    looked.set()
    await recompute
    new = await _board(arena, season.id)
    assert new != old
    assert during == [old] * 3


async def _board(arena: Arena, season_id: int) -> list[tuple[object, ...]]:
    async with arena.database.read() as session:
        return [tuple(r) for r in await session.execute(
            select(ClanRating.clan_id, ClanRating.mu, ClanRating.sigma, ClanRating.played)
            .where(ClanRating.season_id == season_id).order_by(ClanRating.clan_id))]  # fmt: skip


async def _buckets(arena: Arena, season_id: int) -> dict[tuple[bool, int], int]:
    async with arena.database.read() as session:
        rows = await session.execute(select(RatingBucket.ranked, RatingBucket.bucket, RatingBucket.clans)
                                     .where(RatingBucket.season_id == season_id))  # fmt: skip
        return {(bool(r.ranked), r.bucket): r.clans for r in rows if r.clans}


async def _counted_buckets(arena: Arena, season_id: int) -> dict[tuple[bool, int], int]:
    """The season's rating buckets as they should be: its standings counted."""
    async with arena.database.read() as session:
        rows = list(await session.execute(select(ClanRating.ranked, ClanRating.ordinal)
                                          .where(ClanRating.season_id == season_id)))  # fmt: skip
    return dict(Counter((bool(r.ranked), ranks.bucket(r.ordinal)) for r in rows))


async def test_the_season_totals_follow_the_results(arena: Arena) -> None:
    """The totals and the rating buckets (ranks.py) the results keep are the standings counted."""
    await _random_season(arena, 12, seed=3)
    season = await arena.season(4, 1)
    assert await _buckets(arena, season.id) == await _counted_buckets(arena, season.id)
    async with arena.database.read() as session:
        rows = list(await session.execute(select(ClanRating.ranked).where(ClanRating.season_id == season.id)))
        stored = (await session.execute(select(Season.clans, Season.ranked_clans).where(Season.id == season.id))).one()
    assert tuple(stored) == (len(rows), sum(1 for r in rows if r.ranked))


async def test_the_leaderboard_reads_the_same_on_postgresql_s_direct_path(arena: Arena) -> None:
    """PostgreSQL answers leaderboard pages with one statement (ranked_pg.py): the same pages,
    ranks and rank changes as the portable reads, from the first page to past the end, for page
    sizes from 1 to 100 (each its own statement: ranked_pg.board_statement)."""
    if arena.database.direct is None:
        pytest.skip("the direct path is PostgreSQL's")
    await _random_season(arena, 30, seed=5)
    direct, seen = arena.database.direct, []
    for limit, page in [(25, 1), (2, 1), (2, 2), (2, 3), (3, 2), (4, 2), (1, 6), (100, 1), (5, 9)]:
        arena.database.direct = direct
        fast = body(await ranked.get_rating_leaderboard(arena.ctx(), game_id=4, season=1, limit=limit, page=page))
        arena.database.direct = None
        try:
            portable = body(await ranked.get_rating_leaderboard(arena.ctx(), game_id=4, season=1, limit=limit,
                                                                page=page))
        finally:
            arena.database.direct = direct
        assert fast == portable, (limit, page)
        seen.append(fast)
    assert seen[0]["total"] == 6 and [i["rank"] for i in seen[0]["items"]] == [1, 2, 3, 4, 5, 6]
    assert any(i["rankChange"] for i in seen[0]["items"])
    assert [i["name"] for page in seen[1:4] for i in page["items"]] == [i["name"] for i in seen[0]["items"]]
    assert seen[-1]["items"] == []
