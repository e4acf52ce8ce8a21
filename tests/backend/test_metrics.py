"""GET /metrics: Prometheus text with the per-operation request counts and latencies, and
the backend's pool, scheduler and events metrics, moving as requests are made."""

from __future__ import annotations

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.backend.backend_support import Api, create_war, setup_clan
from tests.backend.conftest import Backend


def samples(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = httpx.get(f"{url}/metrics")
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(reply.text)
        for s in family.samples
    }


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_follow_requests(api: Api, backend: Backend) -> None:
    before = samples(backend.url)
    host, rival = setup_clan(api, "Metric"), setup_clan(api, "Gauge")
    api.post(f"/clans/{rival.server_id}/subscriptions", {"actor": rival.leader, "games": [4]})
    for _ in range(3):
        assert api.get("/games").status_code == 200
    assert api.get("/clans/nope-nope").status_code in (400, 404)
    create_war(api, host)  # war.requested to the subscriber: one event
    time.sleep(1)  # a scheduler round samples the pool and the lag
    after = samples(backend.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("gmbot_http_requests_total", operation="listGames", status="200") == 3
    assert grew("gmbot_http_requests_total", operation="createWar", status="201") == 1
    assert grew("gmbot_http_request_duration_seconds_count", operation="listGames") == 3
    assert grew("gmbot_http_request_duration_seconds_bucket", operation="listGames", le="+Inf") == 3
    assert grew("gmbot_events_written_total") >= 1
    for gauge in ("gmbot_db_pool_connections_in_use", "gmbot_db_pool_connections_open",
                  "gmbot_scheduler_due_wars", "gmbot_scheduler_lag_seconds"):  # fmt: skip
        assert (gauge, ()) in after, gauge
    assert value(after, "gmbot_db_pool_connections_open") >= 1
    assert value(after, "gmbot_scheduler_lag_seconds") < 60
