"""A generated server with a fake implementation, through Connexion's test client."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from tests.generator.conftest import Generate

KEY = {"x-api-key": "good-key", "client": "DISCORD-ATTENDANCE"}
BODY = {"server": {"id": "1", "name": "S"}, "member": {"id": "2", "name": "M"}}


@pytest.fixture
def client(generate_package: Generate) -> Any:
    package, _, _ = generate_package("attendance", "attendance")
    app = importlib.import_module(f"{package}.server.app").create_app()
    return app.test_client()


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_implemented_operation_answers_with_its_model(client: Any) -> None:
    response = client.post("/api/servers/1/checkins", json={**BODY, "note": "hi"}, headers=KEY)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"member": {"id": "2", "name": "M"}, "day": "2026-11-28", "note": "hi",
                               "hours": None, "remote": None, "streak": 1}


def test_reply_sets_status_and_headers_and_context(client: Any) -> None:
    response = client.post("/api/servers/1/checkins", json={**BODY, "note": "reply"}, headers=KEY)
    assert response.status_code == 200
    assert response.headers["x-extra"] == "1"
    assert response.json() == {"seen": "DISCORD-ATTENDANCE", "platform": "discord"}


def test_problem_becomes_problem_json(client: Any) -> None:
    body = _problem(client.post("/api/servers/1/checkins", json={**BODY, "note": "conflict"}, headers=KEY), 409)
    assert body["detail"] == "already checked in today" and body["server"] == "1"


def test_a_bug_in_the_implementation_is_a_500_problem(client: Any) -> None:
    body = _problem(client.post("/api/servers/1/checkins", json={**BODY, "note": "crash"}, headers=KEY), 500)
    assert "business logic" not in body.get("detail", "")  # no internals leak


def test_invalid_body_is_400(client: Any) -> None:
    body = _problem(client.post("/api/servers/1/checkins", json={"server": BODY["server"]}, headers=KEY), 400)
    assert "member" in body["detail"]


def test_bad_json_and_bad_utf8_are_400(client: Any) -> None:
    headers = {**KEY, "content-type": "application/json"}
    _problem(client.post("/api/servers/1/checkins", content=b"{nope", headers=headers), 400)
    _problem(client.post("/api/servers/1/checkins", content=b'{"note": "\xff"}', headers=headers), 400)


@pytest.mark.parametrize(
    "headers",
    [{"client": "DISCORD-ATTENDANCE"}, {"x-api-key": "wrong", "client": "DISCORD-ATTENDANCE"},
     {"x-api-key": "good-key", "client": "SLACK"}],
    ids=["missing key", "unknown key", "client header mismatch"],
)
def test_api_key_and_client_header_are_checked(client: Any, headers: dict[str, str]) -> None:
    _problem(client.post("/api/servers/1/checkins", json=BODY, headers=headers), 401)


def test_unimplemented_operation_is_501_naming_the_function(client: Any) -> None:
    body = _problem(client.get("/api/servers/1/checkins", headers=KEY), 501)
    assert "async def list_check_ins(ctx: RequestContext, *, server_id: str" in body["detail"]
    assert "/attendance.py" in body["detail"]


def test_not_implemented_error_is_501(client: Any) -> None:
    body = _problem(client.get("/api/servers/1/members/2/streak", headers=KEY), 501)
    assert "get_streak" in body["detail"]


def test_unknown_path_and_method_are_problem_json(client: Any) -> None:
    _problem(client.get("/api/nowhere", headers=KEY), 404)
    _problem(client.delete("/api/health"), 405)


def test_swagger_ui_is_served(client: Any) -> None:
    assert client.get("/api/ui/").status_code == 200


def test_wrong_content_type_and_bad_parameters_are_problem_json(client: Any) -> None:
    headers = {**KEY, "content-type": "text/plain"}
    _problem(client.post("/api/servers/1/checkins", content=b"hello", headers=headers), 415)
    _problem(client.get("/api/servers/1/checkins?limit=abc", headers=KEY), 400)
    _problem(client.get("/api/servers/1/checkins?limit=1000", headers=KEY), 400)


def test_request_id_is_echoed_or_made(client: Any) -> None:
    response = client.post("/api/servers/1/checkins", json=BODY, headers={**KEY, "X-Request-ID": "abc"})
    assert response.headers["x-request-id"] == "abc"
    made = client.post("/api/servers/1/checkins", json={**BODY, "note": "conflict"}, headers=KEY)
    assert len(made.headers["x-request-id"]) == 32


def test_parameters_reach_the_implementation_under_their_python_names(client: Any) -> None:
    response = client.get("/api/servers/7/days/2026-11-28?show-notes=true&max=3", headers=KEY)
    assert response.status_code == 200, response.text
    assert response.json() == {"server": "7", "day": "2026-11-28", "notes": True, "max": 3}
    defaults = client.get("/api/servers/7/days/x", headers=KEY).json()
    assert defaults == {"server": "7", "day": "x", "notes": False, "max": None}
