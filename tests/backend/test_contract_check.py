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


def test_every_operation_behind_a_key_documents_503() -> None:
    """Running out of database connections is 503 with Retry-After on every path
    (backend_impl/capacity.py): API consumers read it in the contract, for every operation."""
    import yaml

    from tests.support import ROOT

    document = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))
    keyed = [(path, method, operation) for path, item in document["paths"].items()
             for method, operation in item.items()
             if isinstance(operation, dict) and operation.get("security", document.get("security")) != []]
    assert keyed
    missing = [operation["operationId"] for _, _, operation in keyed if "503" not in operation["responses"]]
    assert missing == []
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]
