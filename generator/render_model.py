"""The typed model the templates see: built from the validated `BotSpec` and the OpenAPI index."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from generator.openapi import OpenAPI, Operation, pascal, python_type
from gmbot.chat.routes import FEED_OPERATIONS
from gmbot.spec.model import BotSpec, Card, CardImage, CardOverride


def py(value: Any) -> str:
    """A Python literal for a JSON-like value, deterministic."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(py(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py(k)}: {py(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal for {value!r}")


@dataclass(frozen=True)
class BotRoute:
    """One entry of generated/chat/routes.py (a `gmbot.chat.routes.BackendRoute`)."""

    operation_id: str
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]


def _card_operations(card: Card | None) -> Iterator[str]:
    """The operations of a card's pictures and buttons, and of the cards those buttons answer with."""
    parts: list[Card | CardOverride] = [card, *card.platforms.values()] if card else []
    yield from (p.operation for part in parts for p in (part.image, part.thumbnail) if isinstance(p, CardImage))
    for button in card.buttons if card else []:
        yield button.operation
        for reply in button.replies.values():
            yield from _card_operations(reply)
    for select in card.selects if card else []:
        yield select.operation
        for reply in select.replies.values():
            yield from _card_operations(reply)


def bot_operations(spec: BotSpec) -> set[str]:
    """Every operationId the bot runtime may call for this spec."""
    used = {c.operation for c in spec.commands}
    used.update(o.autocomplete.operation for c in spec.commands for o in c.options if o.autocomplete)
    cards = [*(r for c in spec.commands for r in c.replies.values()), spec.defaults.error,
             *(e.card for e in spec.events)]
    used.update(op for card in cards for op in _card_operations(card))
    if spec.events:  # the events consumer polls the feed and keeps its lease; no command names them
        used.update(FEED_OPERATIONS)
    return used


def bot_routes(spec: BotSpec, api: OpenAPI) -> list[BotRoute]:
    """Method and path of each operation the bot calls, so the bot needs no openapi.yaml."""
    servers = api.data.get("servers") or [{}]
    base = urlparse(str(servers[0].get("url", ""))).path.rstrip("/")  # as the server mounts it
    routes = []
    for operation_id in sorted(bot_operations(spec)):
        op = api.operations.get(operation_id)
        if op is None:  # the checks report it; only the feed's operations get here unchecked
            continue
        routes.append(BotRoute(
            operation_id, op.method.upper(), base + op.path,
            tuple(re.findall(r"\{([^}]+)\}", op.path)),
            tuple(p.name for p in op.parameters if p.location == "query"),
        ))
    return routes


@dataclass(frozen=True)
class ServerParam:
    name: str
    python_name: str
    annotation: str  # "int = ..." style, as in the Protocol
    default: str  # a Python literal used when the parameter is absent


@dataclass(frozen=True)
class ServerOperation:
    operation_id: str
    function: str
    module: str
    protocol: str
    params: list[ServerParam]
    has_body: bool
    body_type: str | None  # "models.War", "dict[str, Any]" or None
    body_model: str | None  # "models.War" when the body converts to a model
    status: int
    implemented: bool
    target: str  # what to write, for the 501 answer


@dataclass(frozen=True)
class ServerModel:
    title: str
    operations: list[ServerOperation]
    impl_package: str
    impl_modules: list[str] = field(default_factory=list)  # modules with at least one implementation


def server_model(api: OpenAPI, model_classes: set[str], implemented: set[tuple[str, str]],
                 impl_package: str) -> ServerModel:
    operations = []
    for op in sorted(api.operations.values(), key=lambda o: o.operation_id):
        operations.append(_server_operation(api, op, model_classes, implemented, impl_package))
    modules = sorted({o.module for o in operations if o.implemented})
    title = str((api.data.get("info") or {}).get("title", "API"))
    return ServerModel(title, operations, impl_package, modules)


def _server_operation(api: OpenAPI, op: Operation, model_classes: set[str],
                      implemented: set[tuple[str, str]], impl_package: str) -> ServerOperation:
    params = []
    for p in op.parameters:
        if p.location not in ("path", "query"):
            continue
        annotation = python_type(api, p.schema)
        if p.location == "query" and not p.required:
            if p.default is None:
                annotation = f"{annotation} | None = ..."
            else:
                annotation = f"{annotation} = ..."
        params.append(ServerParam(p.name, p.python_name, annotation, py(p.default)))
    body_model = None
    body_type = None
    if op.body_schema is not None:
        name = api.ref_name(op.body_schema)
        if name is not None and pascal(name) in model_classes:
            body_model = f"models.{pascal(name)}"
            body_type = body_model
        else:
            body_type = python_type(api, op.body_schema)
        if not op.body_required:
            body_type = f"{body_type} | None"
    signature = ", ".join(["ctx: RequestContext"] + [f"{p.python_name}: {p.annotation.replace(' = ...', ' = ' + p.default)}" for p in params]
                          + ([f"body: {body_type}"] if body_type else []))
    signature = signature.replace("ctx: RequestContext, ", "ctx: RequestContext, *, ", 1)
    target = f"async def {op.function}({signature}) in {impl_package.replace('.', '/')}/{op.module}.py"
    return ServerOperation(
        operation_id=op.operation_id,
        function=op.function,
        module=op.module,
        protocol=pascal(op.operation_id),
        params=params,
        has_body=op.body_schema is not None,
        body_type=body_type,
        body_model=body_model,
        status=op.success_status,
        implemented=(op.module, op.function) in implemented,
        target=target,
    )
