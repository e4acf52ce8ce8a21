"""Request building: a command's `request:` mapping + options + context -> HTTP.

References are `$name` (an option, or the context: `server`, `channel`,
`author`, `mentions`, and for buttons `event` / `data` / `reply`), each
optionally followed by `.attr.attr`; `$$text` is the literal `$text`. A
reference that resolves to nothing drops its key, so optional options that
were not given are simply not sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import yaml

from gmbot.spec.model import Request

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class SpecError(Exception):
    """The spec (or its operation table) cannot produce a request: a bug, not a user error."""


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str  # upper case
    path: str  # with the server base path, e.g. "/api/wars/{warId}"


@dataclass
class HttpRequest:
    operation_id: str
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


def load_operations(openapi_path: Path) -> dict[str, Operation]:
    """operationId -> method and path, read from an OpenAPI document."""
    document = yaml.safe_load(openapi_path.read_text(encoding="utf-8"))
    servers = document.get("servers") or [{"url": ""}]
    base = urlparse(str(servers[0].get("url", ""))).path.rstrip("/")
    operations: dict[str, Operation] = {}
    for path, item in (document.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = (item or {}).get(method)
            if operation and operation.get("operationId"):
                op_id = operation["operationId"]
                operations[op_id] = Operation(op_id, method.upper(), base + path)
    return operations


_MISSING = object()


def lookup(scope: Mapping[str, Any], reference: str) -> Any:
    """`server.id` in `scope` -> the value, or None when any step is missing."""
    head, *rest = reference.split(".")
    value: Any = scope.get(head)
    for step in rest:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    return value


def resolve(value: Any, scope: Mapping[str, Any]) -> Any:
    """A request value with its references replaced; None where nothing resolves."""
    if isinstance(value, str):
        if value.startswith("$$"):
            return value[1:]
        if value.startswith("$"):
            return lookup(scope, value[1:])
        return value
    if isinstance(value, Mapping):
        resolved = {key: resolve(item, scope) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not None}
    if isinstance(value, list):
        return [item for item in (resolve(v, scope) for v in value) if item is not None]
    return value


def references(value: Any) -> list[str]:
    """Every `$reference` used in a request value, in order."""
    if isinstance(value, str):
        return [value[1:]] if value.startswith("$") and not value.startswith("$$") else []
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def request_references(request: Request) -> list[str]:
    return references([request.path, request.query, request.headers, request.body])


def build_request(operation: Operation, request: Request, scope: Mapping[str, Any]) -> HttpRequest:
    path = operation.path
    for name, value in resolve(dict(request.path), scope).items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if "{" in path:
        raise SpecError(f"{operation.operation_id}: path parameter left unfilled in {path}")
    query = {key: _query_value(value) for key, value in resolve(dict(request.query), scope).items()}
    headers = {key: str(value) for key, value in resolve(dict(request.headers), scope).items()}
    body = resolve(request.body, scope) if request.body is not None else None
    return HttpRequest(operation.operation_id, operation.method, path, query, headers, body)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
