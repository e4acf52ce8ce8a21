"""The public pages and the rating chart over real HTTP: the same data as the API, ETags and
304, the chart's bytes the same from a second replica, hostile names escaped, bad input
answered as a page (never a 500), no key needed; and the links in the API's replies."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx
import pytest

from tests.backend.backend_support import is_problem, setup_clan
from tests.backend.conftest import start_server
from tests.backend.test_ratings import Side, play
from tests.pages.conftest import GAME, HOSTILE, PUBLIC, Site

PNG = b"\x89PNG\r\n\x1a\n"


def _web(site: Site, path: str, **headers: str) -> httpx.Response:
    return httpx.get(site.url + path, headers=headers, timeout=30)


def _relative(url: str) -> str:
    assert url.startswith(PUBLIC + "/web/"), url
    return url.removeprefix(PUBLIC)


def _rows(page: str) -> list[tuple[str, str]]:
    """(server id, rating) of each leaderboard row, in order."""
    rows = re.findall(r'data-server-id="([^"]+)">.*?<td class="num rating">([^<]+)</td>', page, re.S)
    return [(html.unescape(s), r) for s, r in rows]


def test_the_leaderboard_page_shows_the_api_board_with_an_etag(site: Site) -> None:
    board = site.api().get(f"/games/{GAME}/leaderboard", limit=25).json()
    assert board["pageUrl"] == f"{PUBLIC}/web/games/{GAME}/leaderboard?season={board['season']['number']}"
    page = _web(site, _relative(board["pageUrl"]))  # no key
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none': no script
    assert _rows(page.text) == [(i["serverId"], f"{i['rating']:.1f}") for i in board["items"]]
    assert len(board["items"]) == board["total"] == 5 and board["ranked"] == 4
    assert "1 provisional" in page.text and "1 more war to rank" in page.text
    tag = page.headers["etag"]
    again = _web(site, _relative(board["pageUrl"]), **{"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert _web(site, _relative(board["pageUrl"]), **{"If-None-Match": '"other"'}).status_code == 200
    # each clan's link leads to its profile, which the API's profile matches
    for item in board["items"]:
        href = f"/web/clans/{item['platform']}/{item['serverId']}?game={GAME}&amp;season={board['season']['number']}"
        assert href in page.text


def test_the_profile_page_shows_the_api_profile_and_its_chart(site: Site) -> None:
    api, wolves = site.clans["Wolves"]
    profile = api.get(f"/clans/{wolves.server_id}/profile", game=GAME, recent=10).json()
    page = _web(site, _relative(profile["pageUrl"]))
    assert page.status_code == 200, page.text
    text = page.text
    assert f"#{profile['rank']}" in text and f"{profile['rating']:.1f}" in text
    assert f"{profile['won']}W {profile['lost']}L {profile['drawn']}D" in text
    assert [html.unescape(w) for w in re.findall(r'data-war-id="([^"]+)"', text)] == \
        [w["warId"] for w in profile["recent"]]  # fmt: skip
    for war in profile["recent"]:
        if war["ratingChange"] is not None:
            assert f"{war['ratingChange']:+.2f}" in text
    assert "disputed" in text  # the disputed war is listed, without a rating change
    chart = re.search(r'<img src="([^"]+)"', text)
    assert chart and html.unescape(chart.group(1)) == _relative(profile["chartUrl"])
    picture = _web(site, html.unescape(chart.group(1)))
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert picture.content.startswith(PNG)
    assert _web(site, _relative(profile["pageUrl"]), **{"If-None-Match": page.headers["etag"]}).status_code == 304


def test_the_chart_has_an_etag_from_its_data_and_changes_with_the_next_war(site: Site) -> None:
    api = site.api()
    one, two = Side(api, setup_clan(api, "Charted")), Side(api, setup_clan(api, "Other"))
    play([(one, two, "host")], game=GAME)
    path = f"/clans/{one.clan.server_id}/rating-chart"
    first = api.get(path, game=GAME)
    assert first.status_code == 200 and first.headers["content-type"] == "image/png", first.text
    assert first.content.startswith(PNG) and len(first.content) > 5000
    tag = first.headers["etag"]
    assert api.get(path, game=GAME).content == first.content  # drawn once, same bytes
    held = api.http.get(path, params={"game": GAME}, headers=api.headers({"If-None-Match": tag}))
    assert held.status_code == 304 and held.content == b""
    # the public page's picture is the API's picture
    public = _web(site, f"/web/clans/discord/{one.clan.server_id}/chart.png?game={GAME}")
    assert public.content == first.content and public.headers["etag"] == tag
    play([(two, one, "host")], game=GAME)  # the clan's next war: a new chart
    after = api.http.get(path, params={"game": GAME}, headers=api.headers({"If-None-Match": tag}))
    assert after.status_code == 200 and after.headers["etag"] != tag and after.content != first.content
    # without a game: the game of its latest result; a clan without results must name one
    assert api.get(path).headers["etag"] == after.headers["etag"]
    lonely = setup_clan(api, "Lonely")
    is_problem(api.get(f"/clans/{lonely.server_id}/rating-chart"), 422)
    empty = api.get(f"/clans/{lonely.server_id}/rating-chart", game=GAME)
    assert empty.status_code == 200 and empty.content.startswith(PNG)  # its starting rating only
    is_problem(api.get("/clans/000404/rating-chart", game=GAME), 404)
    is_problem(api.get(path, game=GAME, season=999), 404)


def test_a_second_replica_draws_the_same_bytes_under_the_same_etag(site: Site, tmp_path: Any) -> None:
    if site.kind == "sqlite":
        pytest.skip("two servers on one SQLite file: the PostgreSQL run covers replicas")
    _, wolves = site.clans["Wolves"]
    path = f"/web/clans/discord/{wolves.server_id}/chart.png?game={GAME}"
    first = _web(site, path)
    other = start_server(site.server.database_url, tmp_path / "replica.log")
    try:
        second = httpx.get(other.url + path, timeout=30)
    finally:
        other.stop()
    assert second.status_code == 200 and second.headers["etag"] == first.headers["etag"]
    assert second.content == first.content


def test_a_hostile_clan_name_is_text_on_every_page(site: Site) -> None:
    api, hostile = site.clans["hostile"]
    profile = api.get(f"/clans/{hostile.server_id}/profile", game=GAME).json()
    assert profile["name"] == HOSTILE
    for url in (profile["pageUrl"], api.get(f"/games/{GAME}/leaderboard").json()["pageUrl"]):
        page = _web(site, _relative(url)).text
        assert HOSTILE in html.unescape(page)  # shown whole, as text (Jinja did not evaluate {{7*7}})
        assert "<script" not in page and "&lt;script&gt;window.pwned=1" in page
    # its chart draws the name as text (`$x$` is no mathtext, `{{7*7}}` no template)
    picture = _web(site, _relative(profile["chartUrl"]))
    assert picture.status_code == 200 and picture.content.startswith(PNG)
    # an opponent's page lists it as text too
    _, bears = site.clans["Bears"]
    page = _web(site, f"/web/clans/discord/{bears.server_id}?game={GAME}").text
    assert "<script" not in page and HOSTILE in html.unescape(page)


@pytest.mark.parametrize("path, status", [
    (f"/web/games/{GAME}/leaderboard?page=0", 400),
    (f"/web/games/{GAME}/leaderboard?page=abc", 400),
    (f"/web/games/{GAME}/leaderboard?season=%F0%9F%90%BA", 400),
    (f"/web/games/{GAME}/leaderboard?season=99", 404),
    ("/web/games/999/leaderboard", 404),
    ("/web/games/99999999999/leaderboard", 400),
    ("/web/games/four/leaderboard", 404),
    ("/web/clans/discord/000404", 404),
    ("/web/clans/DISCORD/000404", 404),
    ("/web/clans/discord/%3Cscript%3E", 404),
    ("/web/clans/discord/000404/chart.png", 404),
])  # fmt: skip
def test_bad_addresses_are_pages_not_errors(site: Site, path: str, status: int) -> None:
    page = _web(site, path)
    assert page.status_code == status, page.text
    if page.headers.get("content-type", "").startswith("text/html"):
        assert "<script" not in page.text


def test_the_index_links_every_game_and_the_stylesheet_is_cached(site: Site) -> None:
    games = site.api().get("/games").json()
    page = _web(site, "/web/")
    assert page.status_code == 200
    for game in games if isinstance(games, list) else games["items"]:
        assert f'href="/web/games/{game["id"]}/leaderboard"' in page.text
    style = _web(site, "/web/style.css")
    assert style.headers["content-type"].startswith("text/css") and "max-age" in style.headers["cache-control"]
    assert _web(site, "/web/style.css", **{"If-None-Match": style.headers["etag"]}).status_code == 304


def test_the_leaderboard_pages_through_the_board_as_the_api_does(site: Site) -> None:
    game = 8  # this test's board: 26 clans, one more than a page
    api = site.api()
    sides = [Side(api, setup_clan(api, f"Pager{i}")) for i in range(26)]
    play([(sides[i], sides[i + 1], "host") for i in range(0, 26, 2)], game=game)
    first = _web(site, f"/web/games/{game}/leaderboard")
    second = _web(site, f"/web/games/{game}/leaderboard?page=2")
    assert first.status_code == second.status_code == 200
    api_first = api.get(f"/games/{game}/leaderboard", limit=25).json()
    api_second = api.get(f"/games/{game}/leaderboard", limit=25, offset=25).json()
    assert _rows(first.text) == [(i["serverId"], f"{i['rating']:.1f}") for i in api_first["items"]]
    assert _rows(second.text) == [(i["serverId"], f"{i['rating']:.1f}") for i in api_second["items"]]
    assert len(_rows(first.text)) == 25 and len(_rows(second.text)) == 1
    assert "page 1 of 2" in first.text and 'rel="next"' in first.text and 'rel="prev"' not in first.text
    assert "page 2 of 2" in second.text and 'rel="prev"' in second.text
    assert first.headers["etag"] != second.headers["etag"]
    beyond = _web(site, f"/web/games/{game}/leaderboard?page=3")
    assert beyond.status_code == 200 and _rows(beyond.text) == [] and "on page 3" in beyond.text
    # the API's link for a page of 10 from offset 30 (page 4) points at the page of 25 holding it
    assert api.get(f"/games/{game}/leaderboard", limit=10, page=4).json()["pageUrl"].endswith(
        f"/web/games/{game}/leaderboard?season={api_first['season']['number']}&page=2")
