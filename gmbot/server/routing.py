"""Call the hand-written `backend_impl` function of an operation, the same way for every operation.

The generated routing module describes each operation with a `OperationRoute`; `handler(route)`
is the function Connexion calls: it builds the `RequestContext`, converts the body to
the generated pydantic model, calls the implementation and serialises its result with
an explicit Content-Type (Connexion answers 500 without one).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic
import pydantic_core
from connexion.context import context as connexion_context
from connexion.context import scope as current_scope
from connexion.lifecycle import ConnexionResponse

from gmbot.server.problems import JSON, problem, problem_response
from gmbot.server.types import Problem, Reply, RequestContext

log = logging.getLogger("gmbot.server")

Impl = Callable[..., Awaitable[object]]

@dataclass(frozen=True)
class Param:
    name: str  # as in openapi.yaml
    python_name: str  # the keyword argument of the implementation
    default: Any = None  # used when an optional parameter is absent


@dataclass(frozen=True)
class OperationRoute:
    operation_id: str
    impl: Impl | None  # None: not written yet -> 501
    target: str  # "backend_impl/wars.py: async def create_war(ctx, *, war_id: str, body: ...)"
    status: int  # the first 2xx status
    params: tuple[Param, ...] = ()
    body: type[pydantic.BaseModel] | None = None
    has_body: bool = False


def _request_headers() -> dict[str, str]:
    """The request's headers, names lower-cased, read once from the ASGI scope (cheaper
    than going through Starlette's Headers and copying them again)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in current_scope["headers"]}


def _context(headers: dict[str, str]) -> RequestContext:
    try:
        token = connexion_context.get("token_info") or {}
    except (LookupError, RuntimeError):
        token = {}
    return RequestContext(
        client=str(token.get("client") or headers.get("client", "")),
        platform=str(token.get("platform", "")),
        request_id=headers.get("x-request-id") or uuid.uuid4().hex,
        idempotency_key=headers.get("idempotency-key"),
        headers=headers,  # a fresh dict per request: nothing else holds it
    )


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> ConnexionResponse:
    extra = dict(headers or {})
    if body is None:
        return ConnexionResponse(status_code=status, body=b"", headers=extra)
    content_type = extra.pop("Content-Type", None) or extra.pop("content-type", None) or JSON
    data = pydantic_core.to_json(body, by_alias=True)
    return ConnexionResponse(
        status_code=status,
        mimetype=content_type,
        content_type=content_type,
        body=data,
        headers={"Content-Type": content_type, **extra},
    )


def handler(route: OperationRoute) -> Callable[..., Awaitable[ConnexionResponse]]:
    """The function Connexion routes `route.operation_id` to."""

    # the keywords Connexion may pass each parameter under: worked out once, not per request
    arguments = tuple((p.python_name, _connexion_keys(p.name), p.default) for p in route.params)

    async def operation(**kwargs: Any) -> ConnexionResponse:
        if route.impl is None:
            return problem_response(
                problem(501, f"Operation {route.operation_id} is not implemented: write {route.target}")
            )
        ctx = _context(_request_headers())
        started = time.perf_counter()
        try:
            response = await _call(route, route.impl, ctx, kwargs, arguments)
        except Exception:
            # The 500 problem+json is made by the app's error handler; the log line keeps
            # the request id the bot logged, so one failure can be followed across both.
            log.exception("%s failed: request_id=%s client=%s", route.operation_id, ctx.request_id, ctx.client)
            raise
        response.headers.setdefault("X-Request-ID", ctx.request_id)
        if log.isEnabledFor(logging.INFO):
            log.info(
                "%s -> %s in %.1f ms request_id=%s client=%s",
                route.operation_id, response.status_code, (time.perf_counter() - started) * 1000,
                ctx.request_id, ctx.client,
            )
        return response

    operation.__name__ = route.operation_id
    return operation


async def _call(
    route: OperationRoute, impl: Impl, ctx: RequestContext, kwargs: dict[str, Any],
    params: tuple[tuple[str, tuple[str, ...], Any], ...],
) -> ConnexionResponse:
    arguments: dict[str, Any] = {name: _argument(kwargs, keys, default) for name, keys, default in params}
    if route.has_body:
        body = kwargs.get("body")
        if route.body is not None and body is not None:
            try:
                body = route.body.model_validate(body)
            except pydantic.ValidationError as exc:
                return problem_response(problem(400, _first_error(exc)))
        arguments["body"] = body
    try:
        result = await impl(ctx, **arguments)
    except Problem as exc:
        return problem_response(exc)
    except NotImplementedError as exc:
        detail = f"Operation {route.operation_id} is not implemented: finish {route.target}"
        return problem_response(problem(501, f"{detail} ({exc})" if str(exc) else detail))
    if isinstance(result, Reply):
        return json_response(result.status, result.body, result.headers)
    if isinstance(result, ConnexionResponse):
        return result
    return json_response(route.status, result)


def _connexion_name(name: str) -> str:
    """The keyword Connexion passes a parameter under (`day-id` -> `dayid`), as its `sanitized`."""
    return re.sub(r"^[^a-zA-Z_]+", "", re.sub(r"[^0-9a-zA-Z_]", "", re.sub(r"\[(?!])", "_", name)))


def _connexion_keys(name: str) -> tuple[str, ...]:
    # query parameters arrive as sanitized(name); path parameters as sanitized of the
    # Starlette route's name, where Connexion replaced "-" by "_"
    return _connexion_name(name), _connexion_name(name.replace("-", "_"))


def _argument(kwargs: dict[str, Any], keys: tuple[str, ...], default: Any) -> Any:
    for key in keys:
        if key in kwargs:
            return kwargs[key]
    return default


def _first_error(exc: pydantic.ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error["loc"]) or "body"
    return f"{where}: {error['msg']}"
