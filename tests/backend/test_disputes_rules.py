"""Disputes' rules in-process on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL
is set), through the backend's own operations: a referee's verdict recomputes the season to
what a replay from scratch gives, with the clans' glory and record moved consistently; the
grace rule for unvoted wars at the exact moments the clock is set to; forfeits.
"""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from backend_impl import db, disputes, grace, replay, results, scheduler, wars
from backend_impl.clock import utcnow
from backend_impl.tables import Clan, ClanRating, War, WarResult
from generated import models as m
from gmbot.server.types import Problem, RequestContext
from tests.backend.ranked_support import (  # noqa: F401  (fixtures)
    Arena,
    ArenaClan,
    body,
    ranked_arena,
    ranked_database_url,
)
from tests.backend.test_ratings_maths import T0, _independent_replay, _random_season

OPERATOR = RequestContext(client="OPERATOR", platform="discord", request_id="operator")
REFEREE = {"id": "777000111", "name": "ref kim"}




async def appoint(games: list[int] | None = None, user: dict[str, str] = REFEREE) -> None:
    await disputes.appoint_referee(OPERATOR, body=m.AppointRefereeRequest.model_validate(
        {"platform": "discord", "user": user, "games": games}))  # fmt: skip


async def ticket_of(arena: Arena, war_id: str) -> dict[str, Any]:
    page = await disputes.list_tickets(arena.ctx(), war=war_id, status="all")
    [ticket] = page["items"]
    return dict(ticket)


async def settle(arena: Arena, ticket_id: int, verdict: str, actor: dict[str, str] = REFEREE) -> dict[str, Any]:
    reply = await disputes.settle_ticket(arena.ctx(), ticket_id=ticket_id, body=m.SettleRequest.model_validate(
        {"actor": actor, "verdict": verdict, "reason": f"the evidence says {verdict}"}))  # fmt: skip
    return dict(body(reply))


async def counters(arena: Arena) -> dict[int, tuple[int, ...]]:
    """Each clan's all-time counters as stored."""
    async with arena.database.read() as session:
        rows = await session.execute(select(Clan.id, Clan.played, Clan.won, Clan.lost, Clan.drawn, Clan.disputed,
                                            Clan.glory))  # fmt: skip
        return {r[0]: tuple(r[1:]) for r in rows}


async def counters_from_wars(arena: Arena) -> dict[int, tuple[int, ...]]:
    """The same counters derived from the wars as they are now (played = confirmed + disputed)."""
    found: dict[int, list[int]] = {}
    async with arena.database.read() as session:
        for war in await session.scalars(select(War).where(War.opponent_clan_id.is_not(None))):
            for clan_id, side, glory in ((war.host_clan_id, "host", war.host_glory),
                                         (war.opponent_clan_id, "opponent", war.opponent_glory)):  # fmt: skip
                c = found.setdefault(clan_id, [0] * 6)
                if war.status == "disputed":
                    c[0] += 1
                    c[4] += 1
                elif war.status == "confirmed":
                    c[0] += 1
                    c[{"draw": 3}.get(war.result or "", 1 if war.result == side else 2)] += 1
                    c[5] += glory
        return {k: tuple(v) for k, v in found.items()}


async def test_verdicts_recompute_the_season_as_a_replay_from_scratch(arena: Arena) -> None:
    await appoint()
    ids = await _random_season(arena, 24, seed=5)
    season = await arena.season(4, 1)
    rng = random.Random(3)
    async with arena.database.read() as session:
        statuses = dict((await session.execute(select(War.id, War.status).where(War.id.in_(ids)))).tuples().all())
    disputed = [w for w in ids if statuses[w] == "disputed"]
    assert disputed, "the seed gives disputed wars"
    # every disputed war got a ticket when its votes disagreed; settle them with random verdicts
    verdicts = {}
    for war_id in disputed:
        ticket = await ticket_of(arena, war_id)
        assert ticket["status"] == "open" and ticket["openedBy"] == "votes"
        verdicts[war_id] = rng.choice(["host", "opponent", "draw", "void"])
        settled = await settle(arena, ticket["id"], verdicts[war_id])
        assert settled["status"] == "settled" and settled["trail"][-1]["action"] == "settled"
        assert settled["war"]["status"] in ("confirmed", "void")
    # a confirmed war early in the season is contested by a clan and reversed
    early = next(w for w in ids[:6] if statuses[w] == "confirmed")
    async with arena.database.read() as session:
        war = await session.get(War, early)
        assert war is not None and war.result in ("host", "opponent", "draw")
        host = await session.get(Clan, war.host_clan_id)
        assert host is not None
        old_result = war.result
    leader = {"id": f"1{host.server_id[1:]}", "name": f"{host.name} leader"}
    filed = body(await disputes.file_dispute(arena.ctx(host.platform), war_id=early, body=m.DisputeRequest.model_validate(
        {"server": {"id": host.server_id, "name": "x"}, "actor": leader, "reason": "wrong vote",
         "evidence": ["https://example.com/score.png"]})))  # fmt: skip
    assert filed["openedBy"] == "clan", filed
    assert filed["evidence"] and filed["evidence"][0]["url"] == "https://example.com/score.png", filed["trail"]
    reversed_ = "opponent" if old_result == "host" else "host"
    await settle(arena, filed["id"], reversed_)
    live = await arena.snapshot(season.id)
    # the standings are what a replay of the whole season from scratch gives
    whole = await replay.recompute(arena.database, 4, 1, full=True)
    assert whole.rows == 0
    assert await arena.snapshot(season.id) == live
    stored = {row[1]: (row[2], row[3], row[7]) for row in live["standings"]}
    replayed = await _independent_replay(arena, season.id)
    assert {c: s for c, s in replayed.items() if c in stored} == stored
    # glory and records: the all-time counters are what the wars now say, and each season
    # standing's glory is the sum of its clan's war glory
    assert await counters(arena) == {k: v for k, v in (await counters_from_wars(arena)).items()}
    async with arena.database.read() as session:
        season_glory = dict((await session.execute(
            select(ClanRating.clan_id, ClanRating.glory).where(ClanRating.season_id == season.id))).tuples().all())
        war_glory = dict((await session.execute(
            select(WarResult.clan_id, func.sum(WarResult.glory)).where(WarResult.season_id == season.id)
            .group_by(WarResult.clan_id))).tuples().all())  # fmt: skip
        outcomes = dict((await session.execute(select(WarResult.war_id, WarResult.outcome))).tuples().all())
    assert season_glory == {c: g for c, g in war_glory.items() if c in season_glory}
    assert {w for w in disputed if outcomes[w] == "void"} == {w for w, v in verdicts.items() if v == "void"}


async def test_referee_scope_and_rights(arena: Arena) -> None:
    wolves, bears = await arena.clan("Wolves"), await arena.clan("Bears")
    war = await arena.play(wolves, bears, "disputed", T0)
    ticket = await ticket_of(arena, war["id"])
    # nobody appointed: 403 naming the role
    with pytest.raises(Problem) as refused:
        await settle(arena, ticket["id"], "host")
    assert refused.value.status == 403 and refused.value.extra["requiredRoles"] == ["Referee"]
    # a referee of another game: 403
    await appoint([5])
    with pytest.raises(Problem) as scope:
        await settle(arena, ticket["id"], "host")
    assert scope.value.status == 403 and "scope" in scope.value.detail
    # a referee who is a member of one of the clans (its leader): 403
    await appoint(None, wolves.leader)
    with pytest.raises(Problem) as own:
        await settle(arena, ticket["id"], "host", wolves.leader)
    assert own.value.status == 403 and "member of a clan" in own.value.detail
    # the operator only appoints: a bot's key is 403
    with pytest.raises(Problem) as bot:
        await disputes.appoint_referee(arena.ctx(), body=m.AppointRefereeRequest.model_validate(
            {"platform": "discord", "user": REFEREE}))  # fmt: skip
    assert bot.value.status == 403
    await appoint([4])
    done = await settle(arena, ticket["id"], "draw")
    assert done["verdict"] == "draw" and done["referee"]["id"] == REFEREE["id"]
    with pytest.raises(Problem) as again:
        await settle(arena, ticket["id"], "host")
    assert again.value.status == 409
    # removed: no longer a referee
    await disputes.remove_referee(OPERATOR, body=m.RemoveRefereeRequest.model_validate(
        {"platform": "discord", "userId": REFEREE["id"]}))  # fmt: skip
    war2 = await arena.play(wolves, bears, "disputed", T0 + timedelta(hours=1))
    with pytest.raises(Problem) as removed:
        await settle(arena, (await ticket_of(arena, war2["id"]))["id"], "host")
    assert removed.value.status == 403


async def _ended(arena: Arena, host: ArenaClan, opponent: ArenaClan) -> tuple[str, Any]:
    """A war ended by the scheduler at a chosen moment; its id and that moment."""
    created = body(await wars.create_war(arena.ctx(), body=m.CreateWarRequest.model_validate({
        "server": host.server, "actor": host.leader, "players": [host.leader], "game": 4, "duration": 1})))
    await wars.accept_war(arena.ctx(), war_id=created["id"], body=m.AcceptWarRequest.model_validate({
        "server": opponent.server, "actor": opponent.leader, "players": [opponent.leader]}))  # fmt: skip
    ended_at = utcnow() + timedelta(hours=2)
    assert created["id"] in await scheduler.end_due_wars(arena.database, ended_at)
    return created["id"], ended_at


async def _vote(arena: Arena, clan: ArenaClan, war_id: str, vote: str) -> None:
    await results.cast_vote(arena.ctx(), war_id=war_id, body=m.VoteRequest.model_validate(
        {"server": clan.server, "actor": clan.leader, "result": vote}))  # fmt: skip


async def _war(arena: Arena, war_id: str) -> War:
    async with arena.database.read() as session:
        found = await session.get(War, war_id)
        assert found is not None
        return found


async def test_the_grace_rule_settles_unvoted_wars_when_the_grace_runs_out(
    arena: Arena, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GMBOT_VOTE_GRACE_HOURS", "6")
    a, b, c = await arena.clan("Ash"), await arena.clan("Birch"), await arena.clan("Cedar")
    one_vote, ended = await _ended(arena, a, b)
    await _vote(arena, b, one_vote, "win")  # only the opponent voted: it won
    no_vote, _ = await _ended(arena, a, c)
    draw_vote, _ = await _ended(arena, b, c)
    await _vote(arena, b, draw_vote, "draw")
    contested, _ = await _ended(arena, c, a)
    await disputes.file_dispute(arena.ctx(), war_id=contested, body=m.DisputeRequest.model_validate(
        {"server": c.server, "actor": c.leader, "reason": "they left early"}))  # fmt: skip
    grace_ends = ended + timedelta(hours=6)
    # a second before the grace runs out: nothing
    assert await grace.settle_unvoted(arena.database, grace_ends - timedelta(seconds=1)) == []
    assert (await _war(arena, one_vote)).status == "ended"
    # when it runs out: one vote decides, no vote voids; a disputed war waits for its referee
    settled = await grace.settle_unvoted(arena.database, grace_ends + timedelta(seconds=1))
    assert sorted(settled) == sorted([one_vote, no_vote, draw_vote])
    first, second, third = [await _war(arena, w) for w in (one_vote, no_vote, draw_vote)]
    assert (first.status, first.result, first.host_glory, first.opponent_glory) == ("confirmed", "opponent", 0, 3)
    assert (second.status, second.result, second.host_glory, second.opponent_glory) == ("void", None, 0, 0)
    assert (third.status, third.result) == ("confirmed", "draw")
    assert (await _war(arena, contested)).status == "ended"
    # run again (another replica, a later round): nothing settled twice
    assert await grace.settle_unvoted(arena.database, grace_ends + timedelta(hours=1)) == []
    assert await counters(arena) == await counters_from_wars(arena)
    # the void war is in both clans' history as void, the confirmed one rated
    history = body(await disputes_history(arena, a))
    outcomes = {i["warId"]: i["outcome"] for i in history["items"]}
    assert outcomes[no_vote] == "void" and outcomes[one_vote] == "lost"


async def disputes_history(arena: Arena, clan: ArenaClan) -> Any:
    from backend_impl import ranked

    return await ranked.get_clan_history(arena.ctx(), server_id=clan.server_id)


async def test_a_leader_forfeits_and_the_opponent_wins(arena: Arena) -> None:
    a, b = await arena.clan("Oak"), await arena.clan("Pine")
    war_id, _ = await _ended(arena, a, b)
    co = {"id": "55501", "name": "co"}
    with pytest.raises(Problem) as member:  # a Member (anyone but the Leader) cannot
        await disputes.forfeit_war(arena.ctx(), war_id=war_id, body=m.ForfeitRequest.model_validate(
            {"server": b.server, "actor": co}))  # fmt: skip
    assert member.value.status == 403
    forfeited = body(await disputes.forfeit_war(arena.ctx(), war_id=war_id, body=m.ForfeitRequest.model_validate(
        {"server": b.server, "actor": b.leader, "reason": "two players dropped"})))  # fmt: skip
    assert forfeited["status"] == "confirmed" and forfeited["result"] == "host"
    assert forfeited["host"]["glory"] == 3 and forfeited["ranked"]["host"]["change"] > 0
    with pytest.raises(Problem) as twice:
        await disputes.forfeit_war(arena.ctx(), war_id=war_id, body=m.ForfeitRequest.model_validate(
            {"server": b.server, "actor": b.leader}))  # fmt: skip
    assert twice.value.status == 409
    assert await counters(arena) == await counters_from_wars(arena)


def test_the_admin_command_appoints_lists_and_removes_referees(tmp_path: Path) -> None:
    """`python -m backend_impl.referees` on the database itself (no key), with plain errors."""
    import subprocess
    import sys

    from tests.backend.backend_support import cli_environment

    url = f"sqlite+aiosqlite:///{tmp_path / 'admin.sqlite3'}"

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        root = Path(__file__).resolve().parents[2]
        return subprocess.run([sys.executable, "-m", "backend_impl.referees", "--database-url", url, *args],
                              cwd=root, env=cli_environment(), capture_output=True, text=True, timeout=60)  # fmt: skip

    appointed = run("appoint", "--platform", "slack", "--user", "U0REF", "--name", "kim", "--games", "5,4,5")
    assert appointed.returncode == 0, appointed.stderr
    assert "games 4, 5" in appointed.stdout
    unknown = run("appoint", "--platform", "slack", "--user", "U0X", "--name", "x", "--games", "99")
    assert unknown.returncode == 1 and "Unknown games [99]" in unknown.stderr and "Traceback" not in unknown.stderr
    assert "slack U0REF kim: games 4, 5; no channel yet" in run("list").stdout
    assert run("remove", "--platform", "slack", "--user", "U0REF").returncode == 0
    missing = run("remove", "--platform", "slack", "--user", "U0REF")
    assert missing.returncode == 1 and "not a referee" in missing.stderr
    assert run("list").stdout.strip() == ""


async def test_disagreeing_votes_after_a_filed_dispute_join_its_ticket(arena: Arena) -> None:
    a, b = await arena.clan("Elm"), await arena.clan("Fir")
    war_id, _ = await _ended(arena, a, b)
    filed = body(await disputes.file_dispute(arena.ctx(), war_id=war_id, body=m.DisputeRequest.model_validate(
        {"server": a.server, "actor": a.leader, "reason": "they cheated"})))  # fmt: skip
    await _vote(arena, a, war_id, "win")
    await _vote(arena, b, war_id, "win")
    assert (await _war(arena, war_id)).status == "disputed"
    ticket = await disputes.get_ticket(arena.ctx(), ticket_id=filed["id"])
    assert [s["action"] for s in ticket["trail"]] == ["opened", "evidence"]
    assert ticket["trail"][1]["data"]["votes"] == {"host": "win", "opponent": "win"}
    assert (await disputes.list_tickets(arena.ctx(), war=war_id, status="all"))["total"] == 1
    # the referee settles it; the grace rule never touches it
    await appoint()
    await settle(arena, filed["id"], "host")
    assert (await _war(arena, war_id)).result == "host"
    assert await counters(arena) == await counters_from_wars(arena)


async def test_two_replicas_settle_each_unvoted_war_once(arena: Arena, database_url: str) -> None:
    """Two schedulers (two connection pools, as two backend processes have) run the grace rule
    at once: every due war is settled by exactly one of them, and counted once."""
    import asyncio

    clans = [await arena.clan(f"R{i}") for i in range(4)]
    ids, ended = [], None
    for i in range(12):
        war_id, ended = await _ended(arena, clans[i % 4], clans[(i + 1) % 4])
        if i % 3 == 0:
            await _vote(arena, clans[i % 4], war_id, "win")
        ids.append(war_id)
    assert ended is not None
    other = db.Database(database_url)
    try:
        moment = ended + timedelta(hours=49)
        first, second = await asyncio.gather(grace.settle_unvoted(arena.database, moment),
                                             grace.settle_unvoted(other, moment))  # fmt: skip
    finally:
        await other.dispose()
    assert sorted(first + second) == sorted(ids) and not set(first) & set(second)
    statuses = [(await _war(arena, w)).status for w in ids]
    assert statuses.count("confirmed") == 4 and statuses.count("void") == 8
    assert await counters(arena) == await counters_from_wars(arena)
    async with arena.database.read() as session:
        recorded = await session.scalar(select(func.count()).select_from(WarResult).where(WarResult.war_id.in_(ids)))
    assert recorded == 2 * len(ids)  # one result row per clan and war: none twice
