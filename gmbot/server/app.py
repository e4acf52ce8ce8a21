"""`build_app`: the Connexion `AsyncApp` every generated server is."""

from __future__ import annotations

import functools
import importlib
import json
import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import connexion
from connexion import context as connexion_context
from connexion.apps.asynchronous import AsyncApi, AsyncOperation
from connexion.decorators import StarletteDecorator
from connexion.middleware import MiddlewarePosition
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.types import Receive, Scope, Send

from gmbot.server import problems, settings
from gmbot.server.auth import make_api_key_check
from gmbot.server.connexion_internals import api_key_handler, operation_function, use_api_class
from gmbot.server.limits import RequestLimits
from gmbot.server.metrics import HttpMetrics
from gmbot.server.routing import OperationRoute, handler
from gmbot.server.shortcut import Shortcut
from gmbot.server.types import Problem
from gmbot.server.validation import VALIDATORS


def _import_hooks(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            return None
        raise


class _DecorateOnce(StarletteDecorator):
    """Connexion's decorator, applied once: Connexion 3.3 re-decorates the operation (and
    inspects its signature) on every request, ~0.2 ms of CPU each (docs/benchmarks.md)."""

    def __call__(self, function: Any) -> Any:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = self.framework.get_request(
                uri_parser=self.uri_parser,
                scope=connexion_context.scope,
                receive=connexion_context.receive,
            )
            return await decorated(request)

        return wrapper


class _Operation(AsyncOperation):
    shortcut: Shortcut | None = None  # set by _Api.make_operation

    @functools.cached_property
    def fn(self) -> Any:  # a property building a new decorator per request in Connexion
        decorator = _DecorateOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(operation_function(self))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if self.shortcut is not None and await self.shortcut(operation_function(self), scope, receive, send):
            return None
        return await super().__call__(scope, receive, send)


class _Api(AsyncApi):
    def make_operation(self, operation: Any) -> AsyncOperation:
        routed = _Operation.from_operation(
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )
        routed.shortcut = Shortcut.of(operation, self.pythonic_params)
        return routed


class _UnknownQueryParameter(logging.Filter):
    """Connexion logs every query parameter the spec does not define (`?_method=`) at ERROR
    when the handler takes **kwargs, as ours do: the client's mistake, ignored, not our error."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "not defined in specification" not in str(record.msg)


_UNKNOWN_QUERY_PARAMETER = _UnknownQueryParameter()


def load_spec(path: Path) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    spec.pop("x-generated-by", None)
    return spec


def build_app(
    spec: Path | Mapping[str, Any],
    routes: Mapping[str, OperationRoute],
    *,
    hooks_module: str,
    import_name: str,
    max_body_bytes: int | None = None,
    metrics: bool | None = None,
) -> connexion.AsyncApp:
    """Serve `spec` (OpenAPI 3.0, as JSON or a dict) routing each operation to `routes`;
    `hooks_module` is the application's hooks (API-key check, lifespan, and `web_routes()`:
    Starlette routes served beside the API without a key, e.g. public pages), `import_name`
    the module the app is created in. `max_body_bytes` (default GMBOT_MAX_BODY_BYTES,
    1 MiB) bounds request bodies (413); `metrics` (default GMBOT_METRICS, on) serves
    /metrics and counts requests."""
    document = load_spec(spec) if isinstance(spec, Path) else json.loads(json.dumps(spec))
    hooks = _import_hooks(hooks_module)
    hook_file = hooks_module.replace(".", "/") + ".py"
    verify = getattr(hooks, "verify_api_key", None)
    check = make_api_key_check(verify, f"write async def verify_api_key(api_key) in {hook_file}")

    lifespan_hook = getattr(hooks, "lifespan", None)
    web_routes = getattr(hooks, "web_routes", None)  # pages the application serves beside the API

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        if lifespan_hook is None:
            yield
            return
        async with lifespan_hook():
            yield

    def resolve(operation_id: str) -> Any:
        missing = OperationRoute(operation_id, None, "its route: run gmbot generate", 200)
        return handler(routes.get(operation_id, missing))

    app = connexion.AsyncApp(
        import_name,
        lifespan=lifespan,
        swagger_ui_options=SwaggerUIOptions(swagger_ui=True, swagger_ui_path="/ui"),
        security_map={"apiKey": api_key_handler(check)},
        validator_map=VALIDATORS,
    )
    use_api_class(app, _Api)  # operations decorated once (see _DecorateOnce)
    # Both outside Connexion's exception handling: a refused body is never read, and a 500
    # made by ServerErrorMiddleware is still counted (it sends after these return).
    if settings.metrics_enabled() if metrics is None else metrics:
        app.add_middleware(HttpMetrics, position=MiddlewarePosition.BEFORE_EXCEPTION)
    app.add_middleware(
        RequestLimits,
        position=MiddlewarePosition.BEFORE_EXCEPTION,
        max_body_bytes=max_body_bytes or settings.max_body_bytes(),
        timeout=settings.body_timeout(),
    )
    logging.getLogger("connexion.decorators.parameter").addFilter(_UNKNOWN_QUERY_PARAMETER)
    # The application's own pages: they pass the same limits and metrics as the API, and no
    # key check (Connexion's security applies to the operations of the spec only).
    for route in web_routes() if web_routes is not None else ():
        app.add_url_rule(route.path, route.name, route.endpoint, methods=sorted(route.methods or ("GET",)))
    app.add_api(document, resolver=Resolver(function_resolver=resolve), resolver_error=501)
    app.add_error_handler(Problem, problems.on_problem)
    app.add_error_handler(UnicodeDecodeError, problems.on_bad_encoding)
    app.add_error_handler(json.JSONDecodeError, problems.on_bad_json)
    app.add_error_handler(NotImplementedError, problems.on_not_implemented)
    return app
