"""Every operation over HTTP, the role rules, API keys and platform namespacing."""

from __future__ import annotations

import asyncio

import httpx

from backend_impl import admin
from tests.backend.backend_support import Api, Key, create_war, is_problem, setup_clan, uid, user
from tests.backend.conftest import Backend


def test_health_needs_no_key_and_docs_are_served(backend: Backend) -> None:
    reply = httpx.get(f"{backend.url}/health")
    assert reply.status_code == 200
    assert reply.json()["status"] == "ok"
    assert reply.json()["database"] == "ok"
    spec = httpx.get(f"{backend.url}/openapi.json")
    assert spec.status_code == 200
    assert spec.json()["openapi"] == "3.0.3"
    assert httpx.get(f"{backend.url}/ui/").status_code == 200


def test_keys_and_client_header(backend: Backend, api: Api) -> None:
    assert httpx.get(f"{backend.url}/games").status_code == 401
    wrong_key = httpx.get(
        f"{backend.url}/games", headers={"x-api-key": "gmb_nope_nope", "client": "DISCORD-BFF"}
    )
    is_problem(wrong_key, 401)
    # a key issued to DISCORD-BFF cannot act as SLACK-BFF
    other = httpx.get(
        f"{backend.url}/games", headers={"x-api-key": api.key.key, "client": "SLACK-BFF"}
    )
    is_problem(other, 401)
    assert api.get("/games").status_code == 200


def test_catalogue_is_seeded(api: Api) -> None:
    games = api.get("/games").json()
    assert {g["id"]: g["name"] for g in games["items"]} == {
        4: "Mini Militia", 5: "Fortnite", 7: "CS GO", 8: "Rainbow Six Siege"
    }  # fmt: skip
    assert games["total"] == 4 and games["limit"] == 25 and games["offset"] == 0
    assert api.get("/games", limit=1, offset=1).json()["items"][0]["id"] == 5
    formats = api.get("/formats").json()["items"]
    assert formats[0] == {"id": "ft3", "name": "First to 3 wins", "default": True}
    assert any(f["name"] == "Knockout Single Match" for f in formats)


def test_setup_get_update_clan(api: Api) -> None:
    clan = setup_clan(api, "Alpha")
    got = api.get(f"/clans/{clan.server_id}").json()
    assert got["name"] == clan.name
    assert got["location"] == "International" and got["language"] == "en"
    assert got["leader"] == {**clan.leader, "role": "Leader"}
    assert got["platform"] == "discord"
    again = api.post("/clans", {"server": clan.server, "actor": clan.leader,
                                "channel": {"id": "1", "name": "x"}, "name": "Other"})  # fmt: skip
    assert is_problem(again, 409)["serverId"] == clan.server_id
    changed = api.patch(
        f"/clans/{clan.server_id}",
        {"actor": clan.leader, "location": "Europe", "language": "fr"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["location"] == "Europe" and changed.json()["name"] == clan.name
    member = user(uid("1"))
    refused = is_problem(
        api.patch(f"/clans/{clan.server_id}", {"actor": member, "name": "Hijack"}), 403
    )
    assert refused["requiredRoles"] == ["Leader"] and refused["actorRole"] == "Member"
    assert api.get(f"/clans/{clan.server_id}").json()["name"] == clan.name
    is_problem(api.get(f"/clans/{uid('9')}"), 404)


def test_roles_promote_demote_relinquish_availability(api: Api) -> None:
    clan = setup_clan(api, "Roles")
    path = f"/clans/{clan.server_id}"
    bob, carol = user(uid("1"), "bob"), user(uid("1"), "carol")
    is_problem(api.post(f"{path}/promote", {"actor": bob, "members": [carol]}), 403)
    promoted = api.post(f"{path}/promote", {"actor": clan.leader, "members": [bob, carol]})
    assert promoted.status_code == 200, promoted.text
    assert {m["name"]: m["role"] for m in promoted.json()["items"]} == {
        "bob": "Co-Leader",
        "carol": "Co-Leader",
    }
    # a Co-Leader may not promote or demote
    refused = is_problem(api.post(f"{path}/demote", {"actor": bob, "members": [carol]}), 403)
    assert refused["requiredRoles"] == ["Leader"] and refused["actorRole"] == "Co-Leader"
    demoted = api.post(f"{path}/demote", {"actor": clan.leader, "members": [carol]}).json()
    assert demoted["items"] == [{**carol, "role": "Member", "available": True}]
    is_problem(api.post(f"{path}/demote", {"actor": clan.leader, "members": [clan.leader]}), 409)
    members = api.get(f"{path}/members").json()
    assert [m["role"] for m in members["items"]] == ["Leader", "Co-Leader", "Member"]
    assert members["total"] == 3
    away = api.post(f"{path}/availability", {"actor": carol, "available": False})
    assert away.json() == {**carol, "role": "Unavailable", "available": False}
    handed = api.post(f"{path}/relinquish", {"actor": clan.leader, "member": bob}).json()["items"]
    assert {m["id"]: m["role"] for m in handed} == {
        bob["id"]: "Leader",
        clan.leader["id"]: "Co-Leader",
    }
    is_problem(api.post(f"{path}/relinquish", {"actor": clan.leader, "member": bob}), 403)
    assert api.get(f"{path}").json()["leader"]["id"] == bob["id"]


def test_subscriptions(api: Api) -> None:
    clan = setup_clan(api, "Subs")
    path = f"/clans/{clan.server_id}/subscriptions"
    member = user(uid("1"))
    is_problem(api.post(path, {"actor": member, "games": [4]}), 403)
    subscribed = api.post(path, {"actor": clan.leader, "games": [7, 4, 4]})
    assert [g["id"] for g in subscribed.json()["items"]] == [4, 7]
    unknown = is_problem(api.post(path, {"actor": clan.leader, "games": [5, 999]}), 422)
    assert unknown["unknownGames"] == [999]
    assert api.get(path).json()["total"] == 2
    removed = api.post(f"{path}/remove", {"actor": clan.leader, "games": [4]})
    assert [g["id"] for g in removed.json()["items"]] == [7]
    status = api.get(f"/clans/{clan.server_id}/status").json()
    assert [g["id"] for g in status["subscriptions"]] == [7]


def test_create_war_rules(api: Api) -> None:
    clan = setup_clan(api, "Host")
    war = create_war(api, clan, duration=1.5)
    assert len(war["id"]) == 4 and war["id"].isalnum() and war["id"] == war["id"].lower()
    assert war["status"] == "open" and war["format"]["id"] == "ft3" and war["duration"] == 1.5
    assert war["host"]["players"] == [{**clan.leader, "role": "Leader"}]
    assert api.get(f"/wars/{war['id']}").json() == war
    assert api.get(f"/wars/{war['id'].upper()}").json()["id"] == war["id"]
    body = {"server": clan.server, "actor": clan.leader, "game": 4}
    too_many = [user(uid("1")) for _ in range(5)]
    problem = is_problem(api.post("/wars", {**body, "players": too_many}), 422)
    assert problem["maxPlayers"] == 4 and problem["players"] == 5
    is_problem(api.post("/wars", {**body, "players": [clan.leader], "game": 6}), 422)
    is_problem(api.post("/wars", {**body, "players": [clan.leader], "format": "nope"}), 422)
    is_problem(api.post("/wars", {**body, "players": [clan.leader, clan.leader]}), 422)
    member = user(uid("1"))
    refused = is_problem(api.post("/wars", {**body, "actor": member, "players": [member]}), 403)
    assert refused["requiredRoles"] == ["Leader", "Co-Leader"]
    away = user(uid("1"))
    api.post(f"/clans/{clan.server_id}/availability", {"actor": away, "available": False})
    assert is_problem(api.post("/wars", {**body, "players": [away]}), 409)["unavailable"] == [
        away["id"]
    ]
    ko = create_war(api, clan, format="ko", game=7, players=[clan.leader, user(uid("1"))])
    assert ko["format"]["name"] == "Knockout Single Match" and len(ko["host"]["players"]) == 2
    no_clan = {**body, "server": {"id": uid("9"), "name": "x"}, "players": [clan.leader]}
    is_problem(api.post("/wars", no_clan), 404)


def test_private_war_is_not_broadcast_but_joinable(api: Api) -> None:
    host, rival = setup_clan(api, "Priv"), setup_clan(api, "Rival")
    api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [8]})
    after = api.get("/events", after=0, limit=1).json()
    cursor = _last_cursor(api, after["next"])
    reply = api.post(
        "/wars/private",
        {"server": host.server, "actor": host.leader, "players": [host.leader], "game": 8},
    )
    assert reply.status_code == 201, reply.text
    war = reply.json()
    assert war["private"] is True
    events = api.get("/events", after=cursor, limit=100).json()["items"]
    assert not [e for e in events if e["data"]["war"]["id"] == war["id"]]
    status = api.get(f"/clans/{rival.server_id}/status").json()
    assert war["id"] not in [w["id"] for w in status["requests"]]
    accepted = api.post(
        f"/wars/{war['id']}/accept",
        {"server": rival.server, "actor": rival.leader, "players": [rival.leader]},
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "ongoing"


def _last_cursor(api: Api, cursor: int) -> int:
    while True:
        page = api.get("/events", after=cursor, limit=100).json()
        if not page["items"]:
            return cursor
        cursor = page["next"]


def test_remove_war(api: Api) -> None:
    host, other = setup_clan(api, "Rm"), setup_clan(api, "Other")
    war = create_war(api, host)
    path = f"/wars/{war['id']}/remove"
    member = user(uid("1"))
    is_problem(api.post(path, {"server": host.server, "actor": member}), 403)
    is_problem(api.post(path, {"server": other.server, "actor": other.leader}), 403)
    removed = api.post(path, {"server": host.server, "actor": host.leader})
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    assert (
        is_problem(api.post(path, {"server": host.server, "actor": host.leader}), 409)["warStatus"]
        == "removed"
    )
    accept = {"server": other.server, "actor": other.leader, "players": [other.leader]}
    is_problem(api.post(f"/wars/{war['id']}/accept", accept), 409)
    assert api.get(f"/wars/{war['id']}").json()["status"] == "removed"


def test_accept_and_say(api: Api) -> None:
    host, rival, third = setup_clan(api, "H"), setup_clan(api, "R"), setup_clan(api, "T")
    war = create_war(api, host)
    accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
    is_problem(
        api.post(
            f"/wars/{war['id']}/accept", {**accept, "server": host.server, "actor": host.leader}
        ),
        409,
    )
    member = user(uid("1"))
    is_problem(api.post(f"/wars/{war['id']}/accept", {**accept, "actor": member}), 403)
    say = {"server": host.server, "actor": host.leader, "message": "ready?"}
    is_problem(api.post(f"/wars/{war['id']}/messages", say), 409)  # no opponent yet
    accepted = api.post(f"/wars/{war['id']}/accept", accept).json()
    assert accepted["opponent"]["server"] == {"id": rival.server_id, "name": rival.name}
    assert accepted["acceptedAt"] and accepted["endsAt"]
    again = is_problem(
        api.post(
            f"/wars/{war['id']}/accept", {**accept, "server": third.server, "actor": third.leader}
        ),
        409,
    )
    assert again["warStatus"] == "ongoing"
    relayed = api.post(f"/wars/{war['id']}/messages", say)
    assert relayed.status_code == 202, relayed.text
    assert relayed.json()["to"] == {"id": rival.server_id, "name": rival.name}
    assert relayed.json()["message"] == "ready?"
    outsider = {"server": third.server, "actor": third.leader, "message": "hi"}
    is_problem(api.post(f"/wars/{war['id']}/messages", outsider), 403)
    bystander = {"server": host.server, "actor": user(uid("1")), "message": "hi"}
    is_problem(api.post(f"/wars/{war['id']}/messages", bystander), 403)
    is_problem(api.get("/wars/zzzz"), 404)


def test_ids_are_namespaced_by_platform(api: Api, slack_api: Api) -> None:
    clan = setup_clan(api, "Disc")
    # the same server id on Slack is another clan
    is_problem(slack_api.get(f"/clans/{clan.server_id}"), 404)
    body = {
        "server": clan.server,
        "actor": user("U1"),
        "channel": {"id": "C1", "name": "general"},
        "name": "Slackers",
    }
    created = slack_api.post("/clans", body)
    assert created.status_code == 201, created.text
    assert created.json()["platform"] == "slack"
    assert api.get(f"/clans/{clan.server_id}").json()["name"] == clan.name
    assert slack_api.get(f"/clans/{clan.server_id}").json()["name"] == "Slackers"
    # a Discord event never reaches the Slack feed
    events = slack_api.get("/events", after=0, limit=100).json()["items"]
    assert all(
        e["serverId"] != clan.server_id or e["data"]["war"]["host"]["platform"] == "slack"
        for e in events
    )


def test_idempotent_post_replays(api: Api) -> None:
    clan = setup_clan(api, "Idem")
    body = {"server": clan.server, "actor": clan.leader, "players": [clan.leader], "game": 5}
    key = uid("k")
    first = api.post("/wars", body, idempotency_key=key)
    second = api.post("/wars", body, idempotency_key=key)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("idempotent-replayed") == "true"
    status = api.get(f"/clans/{clan.server_id}/status").json()
    assert [w["id"] for w in status["requests"]] == [first.json()["id"]]
    reused = api.post("/wars", {**body, "game": 4}, idempotency_key=key)
    is_problem(reused, 422)


def test_leaderboard_and_stats_shapes(api: Api) -> None:
    clan = setup_clan(api, "Stats")
    stats = api.get(f"/clans/{clan.server_id}/stats").json()
    assert stats == {"serverId": clan.server_id, "name": clan.name, "played": 0, "won": 0, "lost": 0,
                     "drawn": 0, "disputed": 0, "glory": 0, "rank": stats["rank"]}  # fmt: skip
    board = api.get("/leaderboard", limit=100).json()
    assert board["total"] >= 1 and board["limit"] == 100
    assert board["items"] == sorted(board["items"], key=lambda e: -e["glory"])


def test_a_clan_outside_the_war_is_told_so_not_about_roles(api: Api) -> None:
    host, rival, third = setup_clan(api, "In"), setup_clan(api, "Too"), setup_clan(api, "Out")
    war = create_war(api, host)
    accepted = api.post(f"/wars/{war['id']}/accept", {"server": rival.server, "actor": rival.leader,
                                                      "players": [rival.leader]})  # fmt: skip
    assert accepted.status_code == 200, accepted.text
    open_war = create_war(api, host)
    outsider = {"server": third.server, "actor": third.leader}
    refusals = {
        "removeWar": api.post(f"/wars/{open_war['id']}/remove", outsider),
        "castVote": api.post(f"/wars/{war['id']}/votes", {**outsider, "result": "win"}),
        "sayToOpponent": api.post(f"/wars/{war['id']}/messages", {**outsider, "message": "hi"}),
    }
    for operation, reply in refusals.items():
        problem = is_problem(reply, 403)
        # the Leader of another clan has every role needed: the reason is the war, and it is said
        assert "needs the role" not in problem["detail"] and "requiredRoles" not in problem, problem
        assert problem["detail"].startswith(f"{operation}: your clan"), problem
        assert problem["warId"] in (war["id"], open_war["id"]) and problem["actorId"] == third.leader["id"]


def test_an_idempotency_key_is_never_replayed_to_another_platform(backend: Backend) -> None:
    """One client with keys on two platforms (an explicit choice): the same Idempotency-Key
    on each is two requests, each replayed only to its own platform."""
    client = f"TWO-{uid()[:6]}"
    keys = {
        platform: asyncio.run(admin.create_key(backend.database_url, client, platform, shared_platform=True,
                                               second_platform=platform == "slack"))[1]
        for platform in ("discord", "slack")
    }  # fmt: skip
    apis = {platform: Api(backend.url, Key(client, platform, key)) for platform, key in keys.items()}
    try:
        server, leader = {"id": uid("9"), "name": "Twice HQ"}, user(uid("1"), "lead")
        setup = {"server": server, "actor": leader, "channel": {"id": uid("5"), "name": "wars"}, "name": "Twice"}
        war = {"server": server, "actor": leader, "players": [leader], "game": 4}
        for path, body in (("/clans", setup), ("/wars", war)):  # createWar: PostgreSQL's direct path too
            retry_key = f"k-{uid()}"
            first = {p: api.post(path, body, idempotency_key=retry_key) for p, api in apis.items()}
            for platform, reply in first.items():
                assert reply.status_code == 201, reply.text
                assert "Idempotent-Replayed" not in reply.headers, (platform, reply.json())
                made = reply.json()
                assert (made.get("host") or made)["platform"] == platform, (platform, made)
            for platform, api in apis.items():  # each platform's retry: its own reply
                again = api.post(path, body, idempotency_key=retry_key)
                assert again.headers.get("Idempotent-Replayed") == "true"
                assert again.json() == first[platform].json()
    finally:
        for api in apis.values():
            api.close()


def test_leadership_goes_only_to_a_member_of_the_clan(api: Api) -> None:
    clan, elsewhere = setup_clan(api, "Keep"), setup_clan(api, "Elsewhere")
    path = f"/clans/{clan.server_id}"
    stranger = user(uid("1"), "stranger")
    for never_here in (stranger, elsewhere.leader):  # unknown, or a member of another clan only
        refused = is_problem(api.post(f"{path}/relinquish", {"actor": clan.leader, "member": never_here}), 422)
        assert refused["memberId"] == never_here["id"] and "member of this clan" in refused["detail"], refused
    assert api.get(path).json()["leader"]["id"] == clan.leader["id"]
    members = api.get(f"{path}/members", limit=100).json()["items"]
    assert [m["id"] for m in members] == [clan.leader["id"]]  # the refusal recorded nobody
    # once they used one of the clan's commands, they are a member: leadership may go to them
    assert api.post(f"{path}/availability", {"actor": stranger, "available": True}).status_code == 200
    handed = api.post(f"{path}/relinquish", {"actor": clan.leader, "member": stranger})
    assert handed.status_code == 200, handed.text
    assert api.get(path).json()["leader"]["id"] == stranger["id"]
