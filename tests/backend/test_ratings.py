"""Ranked play over real HTTP with the real server: the rating in a settled war (reply, event,
getWar), leaderboards by rating with rank changes, profiles, history with its filters and
paging, head-to-head, ETags, and seasons planned by the operator with the old season still
readable. SQLite, and PostgreSQL when TEST_DATABASE_URL is set.

One server per database for this module, with GMBOT_PROVISIONAL_WARS=2 (a clan is ranked
after 2 wars). Each test uses its own clans, and its own game where it reads a whole board.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend_impl import apikeys, db
from tests.backend.backend_support import Api, ClanSetup, Key, is_problem, setup_clan
from tests.backend.conftest import (
    PG_URL,
    Server,
    create_pg_database,
    drop_pg_database,
    prepare_database,
    start_server,
)
from tests.backend.test_lifecycle import current_cursor, feed_until

PROVISIONAL = 2
SECONDS = 0.4  # how long each war lasts once accepted


@dataclass
class Ranked:
    server: Server
    keys: dict[str, Key]


async def _operator_key(url: str) -> Key:
    database = db.Database(url)
    try:
        _, secret = await apikeys.create(database, "OPERATOR")
    finally:
        await database.dispose()
    return Key("OPERATOR", "operator", secret)


@pytest.fixture(
    scope="module",
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[
            pytest.mark.postgres, pytest.mark.skipif(not PG_URL, reason="TEST_DATABASE_URL not set")]),
    ],
)  # fmt: skip
def ranked_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ranked]:
    with ranked_server(request.param, tmp_path_factory.mktemp(f"ranked-{request.param}"),
                       GMBOT_PROVISIONAL_WARS=str(PROVISIONAL)) as ranked:
        yield ranked


@contextmanager
def ranked_server(kind: str, directory: Path, **env: str) -> Iterator[Ranked]:
    """A real `gmbot serve` on a fresh SQLite file or PostgreSQL database (`kind`), with the
    usual keys and an operator's, its environment extended by `env`; its log in `directory`."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{directory / 'gmbot.sqlite3'}"
    else:
        assert PG_URL
        url = create_pg_database(PG_URL)
    keys = prepare_database(url)
    keys["operator"] = asyncio.run(_operator_key(url))
    server = start_server(url, directory / "server.log", **env)
    try:
        yield Ranked(server, keys)
    finally:
        server.stop()
        if kind == "postgres":
            assert PG_URL
            drop_pg_database(PG_URL, url)


@pytest.fixture
def api(ranked_backend: Ranked) -> Iterator[Api]:
    client = Api(ranked_backend.server.url, ranked_backend.keys["discord"])
    yield client
    client.close()


@pytest.fixture
def slack(ranked_backend: Ranked) -> Iterator[Api]:
    client = Api(ranked_backend.server.url, ranked_backend.keys["slack"])
    yield client
    client.close()


@pytest.fixture
def operator(ranked_backend: Ranked) -> Iterator[Api]:
    client = Api(ranked_backend.server.url, ranked_backend.keys["operator"])
    yield client
    client.close()


VOTES = {"host": ("win", "lose"), "opponent": ("lose", "win"), "draw": ("draw", "draw"), "disputed": ("win", "win")}


@dataclass
class Side:
    api: Api
    clan: ClanSetup


def play(wars: list[tuple[Side, Side, str]], game: int = 4) -> list[dict[str, Any]]:
    """Play the wars at once (created, accepted, ended by the scheduler), then settle them
    in the order given; each settling vote's reply."""
    ids = []
    for host, opponent, _ in wars:
        created = host.api.post("/wars", {"server": host.clan.server, "actor": host.clan.leader,
                                          "players": [host.clan.leader], "game": game, "duration": SECONDS / 3600})
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
        accepted = opponent.api.post(f"/wars/{ids[-1]}/accept", {
            "server": opponent.clan.server, "actor": opponent.clan.leader, "players": [opponent.clan.leader]})
        assert accepted.status_code == 200, accepted.text
    deadline = time.monotonic() + 20
    for war_id in ids:
        while wars[0][0].api.get(f"/wars/{war_id}").json()["status"] != "ended":
            assert time.monotonic() < deadline, "the scheduler did not end the wars"
            time.sleep(0.05)
    settled = []
    for war_id, (host, opponent, result) in zip(ids, wars, strict=True):
        host_vote, opponent_vote = VOTES[result]
        first = host.api.post(f"/wars/{war_id}/votes", {"server": host.clan.server, "actor": host.clan.leader,
                                                        "result": host_vote})
        assert first.status_code == 200, first.text
        second = opponent.api.post(f"/wars/{war_id}/votes", {
            "server": opponent.clan.server, "actor": opponent.clan.leader, "result": opponent_vote})
        assert second.status_code == 200, second.text
        settled.append(second.json())
    return settled  # fmt: skip


def board(api: Api, game: int, **params: Any) -> dict[str, Any]:
    reply = api.get(f"/games/{game}/leaderboard", limit=100, **params)
    assert reply.status_code == 200, reply.text
    return dict(reply.json())


def test_a_confirmed_war_shows_the_rating_changes_in_the_reply_the_event_and_the_war(api: Api) -> None:
    wolves, bears = Side(api, setup_clan(api, "Wolves")), Side(api, setup_clan(api, "Bears"))
    cursor = current_cursor(api)
    [won] = play([(wolves, bears, "host")], game=5)
    change = won["ranked"]
    assert change["repeat"] == 1 and change["factor"] == 1 and change["windowHours"] == 168
    assert change["host"]["before"] == change["opponent"]["before"] == 0
    assert change["host"]["change"] > 0 > change["opponent"]["change"]
    assert change["host"]["provisional"] and change["host"]["warsToRank"] == PROVISIONAL - 1
    assert api.get(f"/wars/{won['id']}").json()["ranked"] == change
    events, _ = feed_until(api, cursor, 6)  # requested/accepted/ended x2 ... and confirmed for both
    confirmed = [e for e in events if e["type"] == "war.confirmed" and e["data"]["war"]["id"] == won["id"]]
    assert len(confirmed) == 2 and all(e["data"]["war"]["ranked"] == change for e in confirmed)
    # the second win over the same opponent within the window counts half
    [again] = play([(wolves, bears, "host")], game=5)
    assert again["ranked"]["repeat"] == 2 and again["ranked"]["factor"] == 0.5
    assert not again["ranked"]["host"]["provisional"]
    # a disputed war has no rating change
    [disputed] = play([(wolves, bears, "disputed")], game=5)
    assert disputed["status"] == "disputed" and disputed.get("ranked") is None


def test_the_leaderboard_ranks_by_rating_with_rank_changes_and_provisional_clans_last(api: Api, slack: Api) -> None:
    game = 8  # this test's board
    a, b, c = (Side(api, setup_clan(api, n)) for n in ("Alpha", "Bravo", "Charlie"))
    d = Side(slack, setup_clan(slack, "Delta"))
    newcomer = Side(api, setup_clan(api, "Echo"))
    play([(a, b, "host"), (a, c, "host"), (b, c, "host"), (d, c, "draw"), (d, b, "host"), (c, a, "draw"),
          (newcomer, c, "host")], game=game)  # fmt: skip
    standings = board(api, game)
    items = standings["items"]
    assert standings["total"] == len(items) == 5 and standings["ranked"] == 4
    ranked = [i for i in items if i["rank"] is not None]
    assert [i["rank"] for i in ranked] == [1, 2, 3, 4]
    assert [i["rating"] for i in ranked] == sorted((i["rating"] for i in ranked), reverse=True)
    assert items[-1]["name"] == newcomer.clan.name and items[-1]["provisional"] and items[-1]["warsToRank"] == 1
    assert {i["platform"] for i in items} == {"discord", "slack"}
    for item in items:
        profile = api.get(f"/clans/{item['serverId']}/profile", game=game) if item["platform"] == "discord" else \
            slack.get(f"/clans/{item['serverId']}/profile", game=game)
        body = profile.json()
        assert {k: body[k] for k in ("rank", "rating", "played", "won", "lost", "drawn", "glory", "streak",
                                     "provisional", "rankChange")} == \
            {k: item[k] for k in ("rank", "rating", "played", "won", "lost", "drawn", "glory", "streak",
                                  "provisional", "rankChange")}  # fmt: skip
        assert body["recent"][0]["ratingAfter"] == item["rating"]  # its latest war left it there
    # Charlie (last) beats Alpha (first): it moves up, and its rank change says by how much
    play([(c, a, "host")], game=game)
    after = {i["name"]: i for i in board(api, game)["items"]}
    charlie = after[c.clan.name]
    before = api.get(f"/clans/{c.clan.server_id}/history", game=game, limit=1).json()["items"][0]["ratingBefore"]
    others_above = sum(1 for n, i in after.items() if n != c.clan.name and i["rank"] and i["rating"] > before)
    assert charlie["rankChange"] == (others_above + 1) - charlie["rank"]
    assert charlie["rankChange"] > 0 and charlie["streak"] == 1
    assert after[a.clan.name]["streak"] == -1
    # paging: page 2 of 2 is offset 2
    second = api.get(f"/games/{game}/leaderboard", limit=2, page=2).json()
    assert second["offset"] == 2 and [i["name"] for i in second["items"]] == [
        i["name"] for i in board(api, game)["items"][2:4]]


def test_history_newest_first_with_filters_and_paging(api: Api, slack: Api) -> None:
    home = Side(api, setup_clan(api, "Home"))
    near, far = Side(api, setup_clan(api, "Near")), Side(api, setup_clan(api, "Far"))
    foreign = Side(slack, setup_clan(slack, "Foreign"))
    settled = play([(home, near, "host"), (near, home, "host"), (home, far, "draw"), (foreign, home, "opponent"),
                    (home, near, "disputed")], game=4)  # fmt: skip
    settled += play([(home, far, "host"), (home, near, "host")], game=5)
    ids = [w["id"] for w in settled]
    path = f"/clans/{home.clan.server_id}/history"
    everything = api.get(path).json()
    assert everything["total"] == 7 and [i["warId"] for i in everything["items"]] == ids[::-1]
    outcomes = [i["outcome"] for i in everything["items"]][::-1]
    assert outcomes == ["won", "lost", "drawn", "won", "disputed", "won", "won"]
    disputed = everything["items"][2]
    assert disputed["ratingChange"] is None and disputed["glory"] == 0
    first = everything["items"][-1]
    assert first["ratingBefore"] == 0 and first["ratingChange"] == round(first["ratingAfter"] - 0, 2)
    # paging: limit/offset and page agree, total stays
    page2 = api.get(path, limit=3, page=2).json()
    assert page2["total"] == 7 and page2["offset"] == 3 and page2["items"] == everything["items"][3:6]
    assert api.get(path, limit=3, offset=3).json() == page2
    # filters
    assert [i["warId"] for i in api.get(path, game=5).json()["items"]] == ids[5:][::-1]
    versus = api.get(path, opponent=near.clan.server_id).json()
    assert versus["total"] == 4 and {i["opponent"]["serverId"] for i in versus["items"]} == {near.clan.server_id}
    assert api.get(path, opponent=near.clan.server_id, game=4).json()["total"] == 3
    abroad = api.get(path, opponent=foreign.clan.server_id, opponentPlatform="slack").json()
    assert [i["warId"] for i in abroad["items"]] == [ids[3]] and abroad["items"][0]["opponent"]["platform"] == "slack"
    assert api.get(path, game=4, season=1).json()["total"] == 5
    moments = [i["settledAt"] for i in everything["items"]][::-1]  # oldest first
    since, until = moments[2], moments[5]
    window = api.get(path, since=since, until=until).json()
    assert [i["warId"] for i in window["items"]] == [ids[i] for i in range(7) if since <= moments[i] < until][::-1]
    # the slack clan sees the same war from its side
    theirs = slack.get(f"/clans/{foreign.clan.server_id}/history").json()["items"]
    assert [(i["warId"], i["outcome"], i["opponent"]["name"]) for i in theirs] == [(ids[3], "lost", home.clan.name)]
    # bad input: clear 4xx
    assert "needs its game" in is_problem(api.get(path, season=1), 422)["detail"]
    is_problem(api.get(path, page=2, offset=5), 422)
    is_problem(api.get(path, opponent="nobody"), 404)
    assert is_problem(api.get(path, game=4, season=99), 404)["latestSeason"] >= 1
    is_problem(api.get(path, game=999), 404)
    is_problem(api.get(path, since="yesterday"), 400)


def test_head_to_head_counts_both_ways(api: Api) -> None:
    one, two = Side(api, setup_clan(api, "One")), Side(api, setup_clan(api, "Two"))
    play([(one, two, "host"), (two, one, "host"), (one, two, "host"), (one, two, "draw"), (two, one, "disputed")])
    mine = api.get(f"/clans/{one.clan.server_id}/head-to-head/{two.clan.server_id}", last=3).json()
    assert (mine["played"], mine["wins"], mine["losses"], mine["draws"], mine["disputed"]) == (5, 2, 1, 1, 1)
    assert len(mine["last"]) == 3 and mine["last"][0]["outcome"] == "disputed"
    theirs = api.get(f"/clans/{two.clan.server_id}/head-to-head/{one.clan.server_id}").json()
    assert (theirs["wins"], theirs["losses"], theirs["draws"]) == (mine["losses"], mine["wins"], mine["draws"])
    history = api.get(f"/clans/{one.clan.server_id}/history", opponent=two.clan.server_id, limit=3).json()
    assert history["items"] == mine["last"]
    is_problem(api.get(f"/clans/{one.clan.server_id}/head-to-head/unknown1"), 404)


def test_reads_answer_304_to_the_etag_they_gave_until_something_changes(api: Api) -> None:
    x, y = Side(api, setup_clan(api, "Etag-X")), Side(api, setup_clan(api, "Etag-Y"))
    play([(x, y, "host")], game=7)
    reads = [
        ("/games/7/leaderboard", {}), ("/games/7/seasons", {}), (f"/clans/{x.clan.server_id}/profile", {"game": 7}),
        (f"/clans/{x.clan.server_id}/history", {}), (f"/clans/{x.clan.server_id}/head-to-head/{y.clan.server_id}", {}),
    ]  # fmt: skip
    tags = {}
    for path, params in reads:
        first = api.get(path, **params)
        assert first.status_code == 200 and first.headers["etag"].startswith('"'), path
        tags[path] = first.headers["etag"]
        again = api.http.get(path, params=params, headers=api.headers({"If-None-Match": tags[path]}))
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tags[path], path
        weak_list = api.http.get(path, params=params, headers=api.headers({"If-None-Match": f'"other", W/{tags[path]}'}))
        assert weak_list.status_code == 304, path
        stale = api.http.get(path, params=params, headers=api.headers({"If-None-Match": '"stale"'}))
        assert stale.status_code == 200 and stale.json() == first.json(), path
    play([(y, x, "host")], game=7)
    for path, params in reads:
        if path.endswith("/seasons"):
            continue  # seasons did not change
        changed = api.http.get(path, params=params, headers=api.headers({"If-None-Match": tags[path]}))
        assert changed.status_code == 200 and changed.headers["etag"] != tags[path], path


def test_the_operator_plans_seasons_and_old_seasons_stay_readable(api: Api, operator: Api) -> None:
    game = 7
    p, q = Side(api, setup_clan(api, "Season-P")), Side(api, setup_clan(api, "Season-Q"))
    play([(p, q, "host"), (p, q, "draw"), (q, p, "opponent")], game=game)
    old_board = board(api, game)
    old_profile = api.get(f"/clans/{p.clan.server_id}/profile", game=game).json()
    old_number = old_board["season"]["number"]
    # only the operator's key may plan
    refused = is_problem(api.post(f"/games/{game}/seasons", {}), 403)
    assert refused["operatorClients"] == ["OPERATOR"]
    # a season planned for later ends the current one then
    later = (datetime.utcnow() + timedelta(days=2)).replace(microsecond=0)
    planned = operator.post(f"/games/{game}/seasons", {"name": "Cup", "startsAt": later.isoformat() + "Z"})
    assert planned.status_code == 201, planned.text
    assert planned.json()["status"] == "planned" and planned.json()["number"] == old_number + 1
    seasons = api.get(f"/games/{game}/seasons").json()["items"]
    assert seasons[0]["name"] == "Cup" and seasons[1]["endsAt"] == later.isoformat() + "Z"
    is_problem(operator.post(f"/games/{game}/seasons", {"startsAt": "2020-01-01T00:00:00Z"}), 422)
    is_problem(operator.post(f"/games/{game}/seasons", {"endsAt": "2020-01-01T00:00:00Z"}), 422)
    is_problem(operator.post("/games/999/seasons", {}), 404)
    is_problem(operator.post(f"/games/{game}/seasons", {"startsAt": "9999-12-31T12:00:00Z"}), 422)  # no month after
    # starting now replaces the plan: the current season closes at once, archived
    now = operator.post(f"/games/{game}/seasons", {"name": "Cup"})
    assert now.status_code == 201, now.text
    assert now.json()["status"] == "active" and now.json()["number"] == old_number + 1
    fresh = board(api, game)
    assert fresh["season"]["name"] == "Cup" and fresh["items"] == [] and fresh["total"] == 0
    archived = board(api, game, season=old_number)
    assert archived["season"]["status"] == "closed"
    assert [(i["name"], i["rating"], i["rank"]) for i in archived["items"]] == [
        (i["name"], i["rating"], i["rank"]) for i in old_board["items"]]
    assert [i["finalRank"] for i in archived["items"] if i["rank"]] == [i["rank"] for i in archived["items"] if i["rank"]]
    # the old season's profile and history stay as they were
    kept = api.get(f"/clans/{p.clan.server_id}/profile", game=game, season=old_number).json()
    assert {k: kept[k] for k in ("rating", "played", "won", "rank")} == {k: old_profile[k] for k in ("rating", "played", "won", "rank")}
    # the new season starts every clan from a soft reset: uncertainty up, rating down toward 0
    start = api.get(f"/clans/{p.clan.server_id}/profile", game=game).json()
    assert start["played"] == 0 and start["provisional"] and start["sigma"] > old_profile["sigma"]
    assert start["rating"] < old_profile["rating"]
    [first] = play([(p, q, "host")], game=game)
    assert first["ranked"]["season"] == {"number": old_number + 1, "name": "Cup"}
    assert first["ranked"]["host"]["before"] == start["rating"]
    assert api.get(f"/clans/{p.clan.server_id}/history", game=game, season=old_number).json()["total"] == 3


def test_unknown_games_and_seasons_are_404s(api: Api, ranked_backend: Ranked) -> None:
    assert is_problem(api.get("/games/999/leaderboard"), 404)["knownGames"] == [4, 5, 7, 8]
    assert is_problem(api.get("/games/4/leaderboard", season=5000), 404)["season"] == 5000
    is_problem(api.get("/games/4/seasons", limit=0), 400)
    clan = setup_clan(api, "Newborn")
    assert "name the game" in is_problem(api.get(f"/clans/{clan.server_id}/profile"), 422)["detail"]
    blank = api.get(f"/clans/{clan.server_id}/profile", game=4).json()
    assert (blank["played"], blank["rating"], blank["rank"], blank["provisional"]) == (0, 0, None, True)
    assert httpx.get(f"{ranked_backend.server.url}/games/4/leaderboard").status_code == 401

