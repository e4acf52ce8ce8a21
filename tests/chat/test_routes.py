"""The generated route table: what the runtime uses instead of openapi.yaml."""

from __future__ import annotations

import pytest

from generated.chat.routes import ROUTES
from generator.render_model import bot_operations
from gmbot.chat.backend import BackendClient
from gmbot.chat.request import MisconfiguredSpec, build_request
from gmbot.chat.routes import EVENTS_OPERATION, BackendRoute
from gmbot.spec.model import BotSpec, Request


def test_routes_cover_exactly_what_the_bot_calls(spec: BotSpec) -> None:
    assert set(ROUTES) == bot_operations(spec)
    assert EVENTS_OPERATION in ROUTES  # the spec has events: the feed is polled
    assert "castVote" in ROUTES  # only reachable through event-card buttons
    assert ROUTES["acceptWar"] == BackendRoute("POST", "/wars/{warId}/accept", path_params=("warId",))
    assert "limit" in ROUTES["getLeaderboard"].query_params


def test_build_request_fills_the_route() -> None:
    route = BackendRoute("GET", "/api/wars/{warId}", path_params=("warId",), query_params=("limit",))
    request = Request(path={"warId": "$war"}, query={"limit": "$n"})
    built = build_request("getWar", route, request, {"war": "a b", "n": 5})
    assert (built.method, built.path, built.query) == ("GET", "/api/wars/a%20b", {"limit": 5})


def test_build_request_refuses_a_spec_the_routes_do_not_fit() -> None:
    route = BackendRoute("GET", "/api/wars/{warId}", path_params=("warId",))
    with pytest.raises(MisconfiguredSpec, match="no query parameter 'limit'"):
        build_request("getWar", route, Request(path={"warId": "x"}, query={"limit": 1}), {})
    with pytest.raises(MisconfiguredSpec, match="no path parameter 'id'"):
        build_request("getWar", route, Request(path={"id": "x"}), {})


async def test_an_operation_without_a_route_is_a_spec_error() -> None:
    backend = BackendClient("http://backend.test", "k", "DISCORD-BFF", routes={})
    try:
        with pytest.raises(MisconfiguredSpec, match="run `gmbot generate`"):
            backend.route("getWar")
    finally:
        await backend.aclose()
