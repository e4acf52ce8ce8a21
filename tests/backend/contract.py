"""Every response the HTTP tests receive, checked against openapi.yaml with openapi-core.

`ContractCheck` is an httpx response hook (`Api` installs it): a status the operation
does not list (its `default` only covers errors the spec cannot foresee: never a 5xx),
a body or header that does not match its schema, or a wrong media type fails the
test that received it. Paths outside the API (/metrics, /ui) are not checked.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"


class ContractViolation(AssertionError):
    pass


def _nullable_composition(schema: Any) -> Any:
    """`{allOf: [X], nullable: true}` read as the server reads it (X or null, see
    gmbot/server/validation.py `_with_null`); openapi-core applies `nullable` only beside
    a `type` (OpenAPI 3.0.3's wording), which would make every such field non-null."""
    if isinstance(schema, list):
        return [_nullable_composition(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _nullable_composition(value) for key, value in schema.items()}
    if out.get("nullable") is True and "type" not in out and {"allOf", "oneOf", "anyOf"} & set(out):
        out.pop("nullable")
        return {"anyOf": [out, {"type": "object", "nullable": True, "enum": [None]}]}
    return out


@cache
def _openapi() -> OpenAPI:
    import yaml

    spec = _nullable_composition(yaml.safe_load(SPEC.read_text(encoding="utf-8")))
    config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
    return OpenAPI.from_dict(spec, config=config)


@cache
def _documented_statuses() -> list[tuple[str, re.Pattern[str], set[str]]]:
    """(method, path pattern, statuses listed) for every operation."""
    import yaml

    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return [
        (method.lower(), re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$"),
         {str(status) for status in operation.get("responses", {})})
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "responses" in operation
    ]  # fmt: skip


def check(response: httpx.Response) -> None:
    request = response.request
    response.read()
    media_type = response.headers.get("content-type", "").split(";")[0]
    mock_request = MockRequest(
        host_url=f"{request.url.scheme}://{request.url.netloc.decode()}",
        method=request.method,
        path=request.url.path,
        args=dict(request.url.params),
        headers=dict(request.headers),
    )
    mock_response = MockResponse(
        response.content, status_code=response.status_code, headers=dict(response.headers),
        content_type=media_type,
    )  # fmt: skip
    openapi = _openapi()
    result = openapi.unmarshal_response(mock_request, mock_response)
    if any(isinstance(error, PathNotFound | OperationNotFound) for error in result.errors):
        return  # not an API operation
    where = f"{request.method} {request.url.path} -> {response.status_code}"
    if result.errors:
        raise ContractViolation(f"{where}: {_explain(result.errors)} body={response.text[:500]}")
    if response.status_code >= 500:
        raise ContractViolation(f"{where}: a server error: {response.text[:500]}")
    _check_documented(request.method, request.url.path, response.status_code, where)


def _explain(errors: list[Exception]) -> str:
    """openapi-core's errors with their causes (the schema errors name the field)."""
    parts = []
    for error in errors:
        parts.append(repr(error))
        cause = error.__cause__
        while cause is not None:
            details = getattr(cause, "schema_errors", None)
            parts.append(f"  {cause!r}" + (f": {[str(d.message) for d in details]}" if details else ""))
            cause = cause.__cause__
    return "\n".join(parts)


def _check_documented(method: str, path: str, status: int, where: str) -> None:
    for operation_method, pattern, documented in _documented_statuses():
        if operation_method == method.lower() and pattern.match(path):
            if str(status) not in documented:
                raise ContractViolation(f"{where}: status {status} is not documented (only {sorted(documented)})")
            return


def install(client: httpx.Client) -> None:
    client.event_hooks["response"] = [*client.event_hooks["response"], check]
