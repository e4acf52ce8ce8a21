"""PostgreSQL only: getClanProfile's one-statement path (ranked_pg.profile) answers exactly
what the portable path (ranked._profile_rows through SQLAlchemy) answers.

Two seasons of game 4 (last month and this one) and one of game 5 are played in-process
through the backend's own operations (tests/backend/ranked_support.py); then every clan's
profile is read for every game and season (the defaults too) with the direct path and
without it, and the bodies and ETags compared: ranked clans with rank changes, provisional
ones, a clan known from last season only (its soft-reset start), a clan with no war at all,
an archived season's final ranks, disputed wars in the recent list. Refusals (unknown clan,
game or season; no game to show) must be the same problems, and the direct path must have
answered every read it can answer itself.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from backend_impl import db, ranked, ranked_pg, ranked_reads
from backend_impl.clock import utcnow
from backend_impl.rating import DEFAULT_MU
from backend_impl.seasons import month_start, next_month
from gmbot.server.types import Problem, Reply
from tests.backend.conftest import PG_URL, create_pg_database, drop_pg_database
from tests.backend.ranked_support import Arena, ArenaClan, open_arena

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")]


@pytest.fixture
def database_url() -> Iterator[str]:
    assert PG_URL
    url = create_pg_database(PG_URL)
    try:
        yield url
    finally:
        drop_pg_database(PG_URL, url)


@pytest.fixture
async def arena(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Arena]:
    monkeypatch.setenv("GMBOT_PROVISIONAL_WARS", "2")
    opened = await open_arena(database_url, monkeypatch)
    try:
        yield opened
    finally:
        await db.close()


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each ranked_pg.profile call answered (False: the portable path had to)."""
    calls: list[bool] = []
    direct = ranked_pg.profile

    async def watched(*args: Any) -> Any:
        found = await direct(*args)
        calls.append(found is not None)
        return found

    monkeypatch.setattr(ranked_pg, "profile", watched)
    return calls


async def _answer(arena: Arena, clan: ArenaClan, game: int | None, season: int | None, recent: int) -> Any:
    """The reply's body and ETag, or the problem's every field."""
    try:
        reply = await ranked.get_clan_profile(arena.ctx(clan.platform), server_id=clan.server_id, game=game,
                                              season=season, recent=recent)  # fmt: skip
    except Problem as problem:
        return ("problem", problem.status, problem.title, problem.detail, problem.extra)
    assert isinstance(reply, Reply)
    return ("reply", reply.body, reply.headers["ETag"])


async def test_the_profile_reads_the_same_on_postgresql_s_direct_path(arena: Arena, answered: list[bool]) -> None:
    assert arena.database.direct is not None, "PostgreSQL's direct path is on by default"
    this_month = month_start(utcnow())
    last_month = month_start(this_month - timedelta(days=1))
    names = ["Wolves", "Bears", "Owls", "Foxes", "Hawks", "Gone"]
    clans = {n: await arena.clan(n, "slack" if n == "Hawks" else "discord") for n in names}
    wolves, bears, owls, foxes, hawks, gone = (clans[n] for n in names)
    # last month, game 4: five clans ranked (2 wars) with rank changes (3+), "Gone" among them
    moment = last_month + timedelta(days=1)
    pairs = itertools.cycle([(wolves, bears, "host"), (owls, foxes, "opponent"), (hawks, gone, "draw"),
                             (bears, owls, "host"), (foxes, wolves, "disputed"), (gone, wolves, "host"),
                             (hawks, bears, "opponent")])  # fmt: skip
    for host, opponent, result in itertools.islice(pairs, 16):
        moment += timedelta(hours=5)
        await arena.play(host, opponent, result, moment)
    # this month (the first result rolls game 4 over: last month's final ranks archived);
    # "Gone" does not play again: its profile starts where the soft reset puts it
    moment = this_month
    for host, opponent, result in [(bears, wolves, "host"), (owls, hawks, "draw"), (wolves, owls, "opponent"),
                                   (bears, hawks, "host"), (owls, bears, "host"), (foxes, owls, "disputed")]:
        moment += timedelta(minutes=1)
        await arena.play(host, opponent, result, moment)
    await arena.play(hawks, foxes, "host", moment + timedelta(minutes=1), game=5)  # the latest war: game 5
    idle = await arena.clan("Idle")  # no war at all
    unknown = ArenaClan("9999999999", "Nobody", {"id": "1", "name": "x"})

    pool, seen, game_8_created = arena.database.direct, [], False
    for clan in [*clans.values(), idle, unknown]:
        for game, season, recent in itertools.product([None, 4, 5, 8, 99], [None, 1, 2, 3], [5, 1, 0]):
            arena.database.direct = pool
            fast = await _answer(arena, clan, game, season, recent)
            took = answered.pop()
            arena.database.direct = None
            try:
                portable = await _answer(arena, clan, game, season, recent)
            finally:
                arena.database.direct = pool
            case = (clan.name, game, season, recent)
            assert fast == portable, case
            # the direct path answered every read it could: all but the refusals and game 8's
            # first read of its current season (there is none yet: the portable path creates it)
            creates = game == 8 and season is None and not game_8_created
            game_8_created |= creates
            assert took == (fast[0] == "reply" and not creates), case
            seen.append((case, fast))
    assert not answered

    replies = {case: found[1] for case, found in seen if found[0] == "reply"}
    problems = {case: found[1:3] for case, found in seen if found[0] == "problem"}
    # what was compared covers every kind of profile and refusal
    assert any(p["rank"] and p["rankChange"] for p in replies.values()), "a rank change"
    assert any(p["provisional"] and p["played"] for p in replies.values()), "a provisional clan"
    assert any(p["finalRank"] for p in replies.values()), "last season's archived ranks"
    assert any(i["outcome"] == "disputed" for p in replies.values() for i in p["recent"]), "a disputed war"
    soft = replies[("Gone", 4, None, 5)]
    assert soft["season"]["number"] == 2 and soft["played"] == 0 and soft["mu"] != round(DEFAULT_MU, 3)
    fresh = replies[("Idle", 4, None, 5)]
    assert (fresh["played"], fresh["mu"], fresh["rank"], fresh["recent"]) == (0, round(DEFAULT_MU, 3), None, [])
    assert replies[("Hawks", None, None, 5)]["game"]["id"] == 5  # its latest war's game
    assert len(replies[("Bears", 4, 1, 5)]["recent"]) == 5 and len(replies[("Bears", 4, 1, 1)]["recent"]) == 1
    assert problems[("Idle", None, None, 5)][0] == 422  # no war: name the game
    assert problems[("Nobody", 4, None, 5)][0] == 404
    assert problems[("Wolves", 99, None, 5)][0] == 404  # no such game
    assert problems[("Wolves", 4, 3, 5)][0] == 404  # no such season
    assert problems[("Wolves", 5, 2, 5)][0] == 404  # game 5 has one season


async def test_a_due_season_is_rolled_over_before_the_direct_path_reads_it(
    arena: Arena, answered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The current season's end has passed: the direct path leaves the read to the portable
    one, which rolls the season over first; the next read is the direct path's again."""
    wolves, bears = await arena.clan("Wolves"), await arena.clan("Bears")
    start = month_start(utcnow())
    for minutes in (1, 2, 3):
        await arena.play(wolves, bears, "host", start + timedelta(minutes=minutes))
    later = next_month(start) + timedelta(days=1)
    monkeypatch.setattr(ranked, "utcnow", lambda: later)
    monkeypatch.setattr(ranked_reads, "utcnow", lambda: later)
    first = await _answer(arena, wolves, 4, None, 5)
    assert answered == [False]
    assert first[0] == "reply" and first[1]["season"]["number"] == 2 and first[1]["played"] == 0
    assert first[1]["mu"] != round(DEFAULT_MU, 3)  # season 1's rating, soft-reset
    assert await _answer(arena, wolves, 4, None, 5) == first
    assert answered == [False, True]
    closed = await _answer(arena, wolves, 4, 1, 5)
    assert answered[-1] and closed[1]["finalRank"] == 1 and closed[1]["season"]["status"] == "closed"
