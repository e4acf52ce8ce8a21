"""Delivery leases, cursors and the feed's retention, over HTTP against a real `gmbot serve`."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.backend.backend_support import Api, create_war, is_problem, setup_clan
from tests.backend.conftest import Backend, Key, Server, prepare_database, start_server


def partition() -> str:
    return f"p-{uuid.uuid4().hex[:12]}"


def lease(api: Api, part: str, holder: str, seconds: float = 30, **extra: Any) -> httpx.Response:
    return api.post(f"/deliveries/{part}/lease", {"holder": holder, "seconds": seconds, **extra})


def advance(api: Api, part: str, generation: int, cursor: int) -> httpx.Response:
    return api.http.put(f"/deliveries/{part}/cursor", json={"generation": generation, "cursor": cursor},
                        headers=api.headers())


def new_events(api: Api, count: int = 1) -> None:
    """`count` war.requested events for a subscribed clan of `api`'s platform."""
    host, rival = setup_clan(api, "Host"), setup_clan(api, "Rival")
    body = {"actor": rival.leader, "games": [4]}
    assert api.post(f"/clans/{rival.server_id}/subscriptions", body).status_code == 200
    for _ in range(count):
        create_war(api, host)
    # the database is shared with the other tests: no subscribed clan left behind to hear their wars
    assert api.post(f"/clans/{rival.server_id}/subscriptions/remove", body).status_code == 200


def newest_id(api: Api) -> int:
    page = api.get("/events", after=0, limit=100).json()
    while page["items"]:
        page = api.get("/events", after=page["next"], limit=100).json()
    return int(page["next"])


def test_one_holder_at_a_time_and_a_replaced_holder_cannot_move_the_cursor(api: Api) -> None:
    part = partition()
    first = lease(api, part, "replica-a", seconds=1)
    assert first.status_code == 200, first.text
    held = first.json()
    assert held["holder"] == "replica-a" and held["generation"] == 1

    refused = is_problem(lease(api, part, "replica-b"), 409)
    assert refused["holder"] == "replica-a" and refused["expiresAt"] == held["expiresAt"]

    renewed = lease(api, part, "replica-a", seconds=1).json()
    assert renewed["generation"] == 1  # renewing keeps the token
    assert advance(api, part, 1, held["cursor"] + 5).json()["cursor"] == held["cursor"] + 5
    assert advance(api, part, 1, held["cursor"] + 2).json()["cursor"] == held["cursor"] + 5  # never back

    deadline = time.monotonic() + 10
    while (taken := lease(api, part, "replica-b")).status_code == 409 and time.monotonic() < deadline:
        time.sleep(0.2)  # replica-a stops renewing: its lease runs out
    assert taken.status_code == 200, taken.text
    assert taken.json()["generation"] == 2 and taken.json()["cursor"] == held["cursor"] + 5  # goes on from there

    stale = is_problem(advance(api, part, 1, held["cursor"] + 50), 409)
    assert stale["generation"] == 2 and stale["holder"] == "replica-b"
    assert lease(api, part, "replica-b").json()["cursor"] == held["cursor"] + 5  # not moved by the stale one
    assert is_problem(lease(api, part, "replica-a"), 409)["holder"] == "replica-b"


def test_a_new_partition_starts_now_unless_it_asks_for_another_start(api: Api) -> None:
    new_events(api)
    newest = newest_id(api)
    assert newest > 0
    assert lease(api, partition(), "r").json()["cursor"] == newest
    assert lease(api, partition(), "r", start="beginning").json()["cursor"] == 0
    assert lease(api, partition(), "r", start=str(newest - 1)).json()["cursor"] == newest - 1


def test_deliveries_are_per_client(api: Api, slack_api: Api) -> None:
    part = partition()
    assert lease(api, part, "discord-replica").status_code == 200
    assert lease(slack_api, part, "slack-replica").status_code == 200  # another client's partition
    assert is_problem(advance(slack_api, partition(), 1, 1), 404)["partition"]


@pytest.mark.parametrize("body", [{"holder": "", "seconds": 5}, {"holder": "r", "seconds": -1},
                                  {"holder": "r", "seconds": 5, "start": "yesterday"}, {"holder": "r"}])
def test_bad_lease_requests_are_400(api: Api, body: dict[str, Any]) -> None:
    is_problem(api.post(f"/deliveries/{partition()}/lease", body), 400)


@pytest.fixture
def short_retention(backend: Backend, tmp_path: Path) -> Iterator[tuple[Server, dict[str, Key]]]:
    """A server of its own database whose scheduler keeps events for one second."""
    if backend.kind != "sqlite":
        pytest.skip("retention is dialect-neutral SQL; one database kind is enough")
    url = f"sqlite+aiosqlite:///{tmp_path / 'retention.sqlite3'}"
    keys = prepare_database(url)
    server = start_server(url, tmp_path / "server.log", GMBOT_EVENTS_RETENTION="1s")
    try:
        yield server, keys
    finally:
        server.stop()


def test_retention_removes_only_delivered_events_and_says_so(short_retention: tuple[Server, dict[str, Key]]) -> None:
    server, keys = short_retention
    api = Api(server.url, keys["discord"])
    try:
        held = lease(api, "all", "r", seconds=300, start="beginning").json()
        new_events(api, 3)
        newest = newest_id(api)
        time.sleep(1.5)  # past retention, and several scheduler rounds (0.2 s) later
        assert api.get("/events", after=0).json()["items"], "an undelivered event was removed"

        advance(api, "all", held["generation"], newest)
        deadline = time.monotonic() + 15
        while (gone := api.get("/events", after=0)).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.2)
        problem = is_problem(gone, 410)
        assert problem["availableAfter"] == newest and problem["after"] == 0
        assert api.get("/events", after=problem["availableAfter"]).json() == {"items": [], "next": newest}
    finally:
        api.close()


def test_the_partitions_are_listed_with_their_cursor_and_whether_held(api: Api, slack_api: Api) -> None:
    held, released = partition(), partition()
    lease(api, held, "replica-a", start="7")
    taken = lease(api, released, "replica-b", start="5").json()
    assert advance(api, released, taken["generation"], 9).status_code == 200
    lease(api, released, "replica-b", seconds=0)  # a replica stopping gives its lease up
    lease(slack_api, partition(), "slack-replica")  # another client's: not listed
    listed = api.get("/deliveries")
    assert listed.status_code == 200, listed.text
    mine = {item["partition"]: item for item in listed.json()["items"] if item["partition"] in (held, released)}
    assert (mine[held]["cursor"], mine[held]["held"], mine[held]["holder"]) == (7, True, "replica-a")
    assert (mine[released]["cursor"], mine[released]["held"]) == (9, False)
    slack_parts = {item["partition"] for item in slack_api.get("/deliveries").json()["items"]}
    assert held not in slack_parts and released not in slack_parts
