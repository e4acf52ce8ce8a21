"""Wars falling due while no backend runs are ended after the restart, each once, events kept."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from tests.backend.backend_support import Api, create_war, setup_clan
from tests.backend.conftest import prepare_database, start_server


def test_due_wars_end_after_a_restart(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'restart.sqlite3'}"
    keys = prepare_database(url)
    first = start_server(
        url, tmp_path / "first.log", GMBOT_SCHEDULER_INTERVAL="30"
    )  # too slow to end it
    api = Api(first.url, keys["discord"])
    try:
        host, rival = setup_clan(api, "Before"), setup_clan(api, "After")
        api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4]})
        war = create_war(api, host, duration=0.5 / 3600)
        accept = {"server": rival.server, "actor": rival.leader, "players": [rival.leader]}
        assert api.post(f"/wars/{war['id']}/accept", accept).status_code == 200
        before = api.get("/events", after=0, limit=100).json()["items"]
    finally:
        api.close()
        first.stop()
    time.sleep(1.0)  # the war falls due while the backend is down
    second = start_server(url, tmp_path / "second.log", GMBOT_SCHEDULER_INTERVAL="0.2")
    api = Api(second.url, keys["discord"])
    try:
        deadline = time.monotonic() + 15
        while api.get(f"/wars/{war['id']}").json()["status"] != "ended":
            assert time.monotonic() < deadline, "the war was not ended after the restart"
            time.sleep(0.1)
        time.sleep(0.5)
        after = api.get("/events", after=0, limit=100).json()["items"]
        assert after[: len(before)] == before  # nothing lost or rewritten across the restart
        kinds = Counter(e["type"] for e in after)
        assert kinds == {"war.requested": 1, "war.accepted": 2, "war.ended": 2}
        assert [e["id"] for e in after] == sorted(e["id"] for e in after)
    finally:
        api.close()
        second.stop()
