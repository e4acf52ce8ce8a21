"""The contract check the HTTP tests run on every reply catches what it should."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.backend.backend_support import Api
from tests.backend.contract import ContractViolation, check


def reply_like(api: Api, path: str, status: int, body: Any, media_type: str = "application/json") -> httpx.Response:
    request = api.http.build_request("GET", path, headers=api.headers())
    return httpx.Response(status, json=body, headers={"content-type": media_type}, request=request)


def test_real_replies_pass_and_altered_ones_fail(api: Api) -> None:
    games = api.get("/games")  # checked by the hook already; again here, explicitly
    check(games)
    page = games.json()
    with pytest.raises(ContractViolation, match=r"InvalidData|InvalidSchemaValue"):
        check(reply_like(api, "/games", 200, {**page, "surprise": 1}))
    with pytest.raises(ContractViolation, match="not documented"):
        check(reply_like(api, "/games", 409, {"type": "about:blank", "title": "Conflict", "status": 409},
                         "application/problem+json"))  # fmt: skip
    with pytest.raises(ContractViolation, match="server error"):
        check(reply_like(api, "/games", 500, {"type": "about:blank", "title": "Oops", "status": 500},
                         "application/problem+json"))  # fmt: skip
    check(reply_like(api, "/metrics", 200, {}))  # outside the API: not checked
