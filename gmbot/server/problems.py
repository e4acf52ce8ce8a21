"""problem+json responses (RFC 7807) for every error the server answers with."""

from __future__ import annotations

import json
from typing import Any

from connexion.lifecycle import ConnexionRequest, ConnexionResponse

from gmbot.server.types import Problem

PROBLEM_JSON = "application/problem+json"
JSON = "application/json"

_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def status_title(status: int) -> str:
    return _TITLES.get(status, "Error")


def problem_body(status: int, detail: str, **extra: Any) -> bytes:
    """A problem+json body, for the answers made below Connexion (the HTTP protocol, the
    request limits), where no Problem exception can be raised."""
    return json.dumps({"type": "about:blank", "title": status_title(status), "status": status, "detail": detail,
                       **extra}).encode()  # fmt: skip


def problem_response(problem: Problem) -> ConnexionResponse:
    headers = {"Content-Type": PROBLEM_JSON}
    retry_after = problem.extra.get("retryAfter")
    if isinstance(retry_after, int) and not isinstance(retry_after, bool) and retry_after >= 0:
        # a problem that says when to come back (`retryAfter`, whole seconds, as in the body)
        # says it in the header clients and proxies read too (RFC 9110 10.2.3)
        headers["Retry-After"] = str(retry_after)
    return ConnexionResponse(
        status_code=problem.status,
        mimetype=PROBLEM_JSON,
        content_type=PROBLEM_JSON,
        body=json.dumps(problem.to_dict(), default=str).encode(),
        headers=headers,
    )


def problem(status: int, detail: str | None = None, title: str | None = None, **extra: Any) -> Problem:
    return Problem(status, title or _TITLES.get(status, "Error"), detail, **extra)


async def on_problem(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc)


async def on_bad_encoding(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    """A body that is not UTF-8 (Connexion would answer 500)."""
    return problem_response(problem(400, f"The request body is not valid UTF-8: {exc}"))


async def on_bad_json(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return problem_response(problem(400, f"The request body is not valid JSON: {exc}"))


async def on_not_implemented(_request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    return problem_response(problem(501, str(exc) or "This operation is not implemented yet."))
