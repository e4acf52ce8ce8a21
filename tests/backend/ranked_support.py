"""Ranked play in-process: clans and wars through the backend's own operations (the very
functions the server routes to), on a real database, with the clock of each result chosen.

`Arena.play` creates, accepts, ends (the scheduler's function) and votes on a war; the vote
that settles it runs with `results.utcnow` at the moment given, so anti-farming windows and
season boundaries are crossed without waiting.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend_impl import clans, db, migrate, results, scheduler, seasons, wars
from backend_impl.clock import utcnow
from backend_impl.tables import ClanRating, PlayerRating, WarPlayer, WarResult
from generated import models as m
from gmbot.server.types import Reply, RequestContext
from tests.backend.conftest import PG_URL, create_pg_database, drop_pg_database

VOTES = {"host": ("win", "lose"), "opponent": ("lose", "win"), "draw": ("draw", "draw"),
         "disputed": ("win", "win")}  # fmt: skip
_ids = itertools.count(1)


@dataclass(frozen=True)
class ArenaClan:
    server_id: str
    name: str
    leader: dict[str, str]
    platform: str = "discord"

    @property
    def server(self) -> dict[str, str]:
        return {"id": self.server_id, "name": f"{self.name} HQ"}


def body(reply: Any) -> Any:
    return reply.body if isinstance(reply, Reply) else reply


class Arena:
    def __init__(self, database: db.Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.database = database
        self.monkeypatch = monkeypatch

    def ctx(self, platform: str = "discord") -> RequestContext:
        client = {"discord": "DISCORD-BFF", "slack": "SLACK-BFF"}[platform]
        return RequestContext(client=client, platform=platform, request_id=f"arena-{next(_ids)}")

    async def clan(self, name: str, platform: str = "discord") -> ArenaClan:
        n = next(_ids)
        clan = ArenaClan(f"9{n:06d}", name, {"id": f"1{n:06d}", "name": f"{name} leader"}, platform)
        request = m.SetupClanRequest.model_validate({
            "server": clan.server, "actor": clan.leader, "channel": {"id": f"5{n:06d}", "name": "wars"},
            "name": name,
        })  # fmt: skip
        await clans.setup_clan(self.ctx(platform), body=request)
        return clan

    def player(self, clan: ArenaClan, name: str) -> dict[str, str]:
        return {"id": f"{clan.leader['id']}{name}", "name": name}

    @contextmanager
    def clock(self, moment: datetime) -> Iterator[None]:
        with self.monkeypatch.context() as patch:
            patch.setattr(results, "utcnow", lambda: moment)
            yield

    async def play(
        self, host: ArenaClan, opponent: ArenaClan, result: str, at: datetime, *, game: int = 4,
        host_players: list[dict[str, str]] | None = None, opponent_players: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A war of `game` whose result (`host`, `opponent`, `draw` or `disputed`) is settled at `at`."""
        created = body(await wars.create_war(self.ctx(host.platform), body=m.CreateWarRequest.model_validate({
            "server": host.server, "actor": host.leader, "players": host_players or [host.leader],
            "game": game, "duration": 1,
        })))  # fmt: skip
        await wars.accept_war(self.ctx(opponent.platform), war_id=created["id"], body=m.AcceptWarRequest.model_validate({
            "server": opponent.server, "actor": opponent.leader, "players": opponent_players or [opponent.leader],
        }))  # fmt: skip
        await scheduler.end_due_wars(self.database, utcnow() + timedelta(days=3650))
        host_vote, opponent_vote = VOTES[result]
        with self.clock(at):
            await results.cast_vote(self.ctx(host.platform), war_id=created["id"], body=m.VoteRequest.model_validate(
                {"server": host.server, "actor": host.leader, "result": host_vote}))  # fmt: skip
            settled = body(await results.cast_vote(
                self.ctx(opponent.platform), war_id=created["id"], body=m.VoteRequest.model_validate(
                    {"server": opponent.server, "actor": opponent.leader, "result": opponent_vote})))  # fmt: skip
        return dict(settled)

    async def season(self, game: int, number: int) -> seasons.SeasonInfo:
        async with self.database.read() as session:
            found = await seasons.by_number(session, game, number)
        assert found is not None, f"no season {number} of game {game}"
        return found

    async def snapshot(self, season_id: int) -> dict[str, Any]:
        """Everything a season's replay rewrites: standings, players, results, rosters' ratings."""
        async with self.database.read() as session:
            standings = [tuple(r) for r in await session.execute(
                select(ClanRating.__table__).where(ClanRating.season_id == season_id).order_by(ClanRating.clan_id))]
            players = [tuple(r) for r in await session.execute(
                select(PlayerRating.__table__).where(PlayerRating.season_id == season_id)
                .order_by(PlayerRating.platform, PlayerRating.user_id))]
            history = [tuple(r) for r in await session.execute(
                select(WarResult.__table__).where(WarResult.season_id == season_id)
                .order_by(WarResult.seq, WarResult.clan_id))]
            rosters = [tuple(r) for r in await session.execute(
                select(WarPlayer.war_id, WarPlayer.clan_id, WarPlayer.user_id, WarPlayer.mu_before,
                       WarPlayer.sigma_before, WarPlayer.played_before, WarPlayer.mu_after, WarPlayer.sigma_after)
                .join(WarResult, (WarResult.war_id == WarPlayer.war_id) & (WarResult.clan_id == WarPlayer.clan_id))
                .where(WarResult.season_id == season_id)
                .order_by(WarPlayer.war_id, WarPlayer.clan_id, WarPlayer.user_id))]
        return {"standings": standings, "players": players, "history": history, "rosters": rosters}  # fmt: skip

    async def rating(self, clan: ArenaClan, season_id: int) -> Any:
        async with self.database.read() as session:
            found = await clans.find_clan(session, clan.platform, clan.server_id)
            return (await session.execute(
                select(ClanRating.__table__).where(ClanRating.season_id == season_id, ClanRating.clan_id == found.id)
            )).one()  # fmt: skip


async def open_arena(url: str, monkeypatch: pytest.MonkeyPatch) -> Arena:
    await migrate.upgrade(url)
    await db.close()
    return Arena(db.init(url), monkeypatch)


# The ranked tests' database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set) and an
# arena on it; a test module imports `ranked_database_url` and `ranked_arena` (named `database_url` and `arena`).
@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[
            pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")]),
    ],
    name="database_url",
)  # fmt: skip
def ranked_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ranked.sqlite3'}"
        return
    assert PG_URL
    url = create_pg_database(PG_URL)
    try:
        yield url
    finally:
        drop_pg_database(PG_URL, url)


@pytest.fixture(name="arena")
async def ranked_arena(database_url: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Arena]:
    monkeypatch.setenv("GMBOT_PROVISIONAL_WARS", "2")
    monkeypatch.setenv("GMBOT_FARMING_WINDOW_HOURS", str(7 * 24))
    opened = await open_arena(database_url, monkeypatch)
    try:
        yield opened
    finally:
        await db.close()
