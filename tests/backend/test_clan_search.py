"""searchClans (GET /clans?search=): clans of a platform by the beginning of their name, any
case, in name order, on SQLite and PostgreSQL (the index of migration 0009)."""

from __future__ import annotations

from tests.backend.backend_support import Api, is_problem, setup_clan, uid
from tests.backend.conftest import Backend


def _names(reply_items: list[dict[str, str]]) -> list[str]:
    return [item["name"] for item in reply_items]


def test_clans_are_found_by_the_start_of_their_name_in_any_case(api: Api, slack_api: Api) -> None:
    stem = f"Qz{uid()[:6]}"  # no other test's clan starts with it
    made = [setup_clan(api, f"{stem} wolves"), setup_clan(api, f"{stem.upper()} Bears"),
            setup_clan(api, f"{stem}%_pack"), setup_clan(api, f"{stem.lower()}axe")]  # fmt: skip
    elsewhere = setup_clan(slack_api, f"{stem} night owls")
    expected = sorted((c.name for c in made), key=lambda name: (name.lower(), name))

    reply = api.get("/clans", search=stem.lower())
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert _names(body["items"]) == expected and body["limit"] == 25
    found = {item["name"]: item for item in body["items"]}
    for clan in made:  # what an opponent option takes, on the caller's platform
        assert found[clan.name]["serverId"] == clan.server["id"] and found[clan.name]["platform"] == "discord"

    assert _names(api.get("/clans", search=f"  {stem.upper()} W").json()["items"]) == [made[0].name]
    assert _names(api.get("/clans", search=stem, limit=2).json()["items"]) == expected[:2]
    # the search's characters are text, never patterns
    assert _names(api.get("/clans", search=f"{stem}%").json()["items"]) == [made[2].name]
    assert api.get("/clans", search=f"{stem}_").json()["items"] == []
    # another platform's clans: only when asked for
    assert _names(api.get("/clans", search=stem, platform="slack").json()["items"]) == [elsewhere.name]
    assert _names(slack_api.get("/clans", search=stem).json()["items"]) == [elsewhere.name]
    assert api.get("/clans", search=f"{stem}zzz").json()["items"] == []


def test_an_empty_search_lists_clans_in_name_order(api: Api) -> None:
    setup_clan(api, "Aardvarks")
    items = api.get("/clans", limit=5).json()["items"]
    assert 1 <= len(items) <= 5
    keys = [(item["name"].lower(), item["name"]) for item in items]
    assert keys == sorted(keys)


def test_a_bad_search_is_a_400(backend: Backend, api: Api) -> None:
    is_problem(api.get("/clans", search="x", limit=26), 400)
    is_problem(api.get("/clans", search="x" * 65), 400)
    is_problem(api.get("/clans", search="a\x00b"), 400)  # no name holds one (PostgreSQL's text cannot)
    is_problem(api.get("/clans", search="x", platform="Not A Platform"), 400)
