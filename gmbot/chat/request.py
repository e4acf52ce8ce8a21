"""Request building: a command's `request:` mapping + options + context -> HTTP.

References are `$name` (an option, or the context: `server`, `channel`,
`author`, `mentions`, and for buttons `event` / `data` / `reply`), each
optionally followed by `.attr.attr`; `$$text` is the literal `$text`. A
reference that resolves to nothing drops its key, so optional options that
were not given are simply not sent. `{$if: $option, then: value}` sends `value`
only when the option was given and is not false (`update -here` moving the
notification channel: `channel: {$if: $here, then: $channel}`), else drops the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard
from urllib.parse import quote

from gmbot.chat.routes import BackendRoute
from gmbot.spec.model import Request


class MisconfiguredSpec(Exception):
    """The spec (or its route table) cannot produce a request: a bug, not a user error."""


@dataclass
class HttpRequest:
    operation_id: str
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


CONDITION = "$if"  # the key of a conditional request value: {$if: $option, then: value}


def is_reference(value: Any) -> TypeGuard[str]:
    """`$name...`, not the `$$` escape of a literal `$` (the generator checks the same way)."""
    return isinstance(value, str) and value.startswith("$") and not value.startswith("$$")


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
        if CONDITION in value:
            condition = resolve(value[CONDITION], scope)
            # not given (None) or `-here no` (False): leave the key out altogether
            return None if condition is None or condition is False else resolve(value.get("then"), scope)
        resolved = {key: resolve(item, scope) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not None}
    if isinstance(value, list):
        return [item for item in (resolve(v, scope) for v in value) if item is not None]
    return value


def references(value: Any) -> list[str]:
    """Every `$reference` used in a request value, in order."""
    if isinstance(value, str):
        return [value[1:]] if is_reference(value) else []
    if isinstance(value, Mapping):
        return [ref for item in value.values() for ref in references(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in references(item)]
    return []


def request_references(request: Request) -> list[str]:
    return references([request.path, request.query, request.headers, request.body])


def build_request(operation_id: str, route: BackendRoute, request: Request, scope: Mapping[str, Any]) -> HttpRequest:
    path = route.path
    for name, value in resolve(dict(request.path), scope).items():
        if name not in route.path_params:
            raise MisconfiguredSpec(f"{operation_id}: no path parameter {name!r} in {route.path}")
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if "{" in path:
        raise MisconfiguredSpec(f"{operation_id}: path parameter left unfilled in {path}")
    # The generator checked the spec against the contract; this catches a spec.json and a
    # routes.py from different runs (e.g. `--spec` pointing at another spec).
    unknown = sorted(set(request.query) - set(route.query_params))
    if unknown:
        raise MisconfiguredSpec(f"{operation_id}: no query parameter {unknown[0]!r} (accepted: {', '.join(route.query_params)})")
    query = {key: _query_value(value) for key, value in resolve(dict(request.query), scope).items()}
    headers = {key: str(value) for key, value in resolve(dict(request.headers), scope).items()}
    body = resolve(request.body, scope) if request.body is not None else None
    return HttpRequest(operation_id, route.method, path, query, headers, body)


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
