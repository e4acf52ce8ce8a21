"""openapi.yaml: check it is OpenAPI 3.0.x and index its operations for the cross-checks."""

from __future__ import annotations

import difflib
import json
import keyword
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.yamlpos import Document

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Headers the bot runtime and the server runtime fill themselves.
RUNTIME_HEADERS = frozenset({"client", "idempotency-key", "x-request-id"})
PY_TYPES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


@lru_cache(maxsize=8192)
def snake(name: str) -> str:
    """`createWar` -> `create_war`, `serverId` -> `server_id`, `X-Request-ID` -> `x_request_id`."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"\W+", "_", text).strip("_").lower() or "_"
    if text[0].isdigit():
        text = "_" + text
    return text + "_" if keyword.iskeyword(text) else text


def pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^0-9a-zA-Z]+", name) if part)


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path, query, header, cookie
    required: bool
    schema: dict[str, Any]
    python_name: str

    @property
    def default(self) -> Any:
        return self.schema.get("default")


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    tag: str
    parameters: list[Parameter] = field(default_factory=list)
    body_schema: dict[str, Any] | None = None  # as written (may be a $ref)
    body_required: bool = False
    responses: dict[str, dict[str, Any] | None] = field(default_factory=dict)  # status -> schema
    media: dict[str, list[str]] = field(default_factory=dict)  # status -> its content's media types
    secured: bool = True
    where: tuple[str | int, ...] = ()

    @property
    def function(self) -> str:
        return snake(self.operation_id)

    @property
    def module(self) -> str:
        return snake(self.tag)

    @property
    def success_status(self) -> int:
        for status in sorted(self.responses):
            if status.startswith("2") and status.isdigit():
                return int(status)
        return 200


class OpenAPI:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.data: dict[str, Any] = doc.data if isinstance(doc.data, dict) else {}
        self.operations: dict[str, Operation] = {}

    def deref(self, node: Any, depth: int = 0) -> Any:
        """Follow local `$ref`s (`#/components/...`) until a real node."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < 50:
            parts = _pointer(node["$ref"])
            if parts is None:
                return {}
            target: Any = self.data
            for part in parts:
                target = target.get(part, {}) if isinstance(target, dict) else {}
            node, depth = target, depth + 1
        return node

    def ref_name(self, schema: Any) -> str | None:
        """`{$ref: '#/components/schemas/War'}` -> `War`."""
        if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
            prefix = "#/components/schemas/"
            if schema["$ref"].startswith(prefix):
                return str(schema["$ref"][len(prefix) :])
        return None


def load(doc: Document) -> tuple[OpenAPI, list[SpecError]]:
    """Validate (3.0.x, then the OpenAPI 3.0 schema) and index operations by operationId."""
    api = OpenAPI(doc)
    errors: list[SpecError] = []
    data = doc.data
    if not isinstance(data, dict):
        return api, [doc.error((), "not an OpenAPI document (expected a mapping)")]
    version = str(data.get("openapi", ""))
    if not re.fullmatch(r"3\.0\.\d+", version):
        found = f"'{version}'" if version else "no 'openapi' key"
        return api, [
            doc.error(("openapi",), f"Connexion 3.3 needs OpenAPI 3.0.x (openapi: 3.0.3), found {found}")
        ]
    if not _oas30().is_valid(data):
        errors += structure_errors(doc)
    if any(not _exists(data, ref) for ref in _refs(data, set())):
        errors += _check_refs(api, data, ())
    if errors:
        return api, errors
    _index(api, errors)
    return api, errors


@cache
def _oas30() -> Any:
    """The official OpenAPI 3.0 JSON Schema (generator/schema/openapi-3.0.schema.json), compiled.

    jsonschema-rs checks the Gmbot API in about a millisecond, where openapi-spec-validator
    takes 0.2 s (plus 0.3 s to import): the generator's whole budget.
    """
    import jsonschema_rs

    text = (Path(__file__).with_name("schema") / "openapi-3.0.schema.json").read_text("utf-8")
    return jsonschema_rs.validator_for(json.loads(text))


def structure_errors(doc: Document) -> list[SpecError]:
    """Where a document breaks the OpenAPI 3.0 schema: one line per mistake, at the field.

    Only run on an invalid document (jsonschema-rs says whether it is valid). The schema says
    "a parameter is a Parameter or a Reference" with `oneOf`, so a plain validator reports
    the whole parameter as "not valid under any of the given schemas"; here each `oneOf` is
    followed into the branch the document meant and the deepest error there is reported.
    """
    import jsonschema

    schema = json.loads((Path(__file__).with_name("schema") / "openapi-3.0.schema.json").read_text("utf-8"))
    errors = []
    for error in jsonschema.Draft4Validator(schema).iter_errors(doc.data):
        for leaf in _leaves(error):
            path, message = _explain(leaf)
            errors.append(doc.error(path, f"invalid OpenAPI 3.0: {message}"))
    return errors


def _leaves(error: Any) -> list[Any]:
    """The errors beneath `oneOf`/`anyOf`, in the branches the document meant."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[Any, list[Any]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    # `$ref` or not tells a Reference from the real thing: keep the branches of the kind given
    is_ref = isinstance(error.instance, dict) and "$ref" in error.instance
    kept = [subs for subs in branches.values()
            if is_ref == any(s.validator == "required" and "$ref" in s.validator_value for s in subs)]
    leaves = [leaf for subs in kept or branches.values() for sub in subs for leaf in _leaves(sub)]
    return leaves if len(kept) == 1 else _deepest(leaves)


def _deepest(errors: list[Any]) -> list[Any]:
    """Of the errors of several candidate branches, the one furthest into the document
    (enums failing at one place are one error: _explain lists all their values)."""
    depth = max(len(e.absolute_path) for e in errors)
    return [next(e for e in errors if len(e.absolute_path) == depth)]


def _explain(error: Any) -> tuple[tuple[str | int, ...], str]:
    """(where, message) in one short line, without a dump of the instance."""
    path = tuple(error.absolute_path)
    kind, value, instance = error.validator, error.validator_value, error.instance
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(error.schema.get("properties") or {})
        patterns = list(error.schema.get("patternProperties") or {})
        extra = [k for k in instance if k not in known and not any(re.search(p, k) for p in patterns)]
        if extra:
            close = difflib.get_close_matches(extra[0], known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(sorted(known))})"
            return (*path, extra[0]), f"unknown key '{extra[0]}'{hint}"
    if kind == "required":
        missing = [k for k in value if not isinstance(instance, dict) or k not in instance]
        return path, f"missing required key '{missing[0] if missing else value[0]}'"
    if kind == "enum":
        allowed = [v for e in _enum_siblings(error) for v in e.validator_value]
        close = difflib.get_close_matches(str(instance), [str(v) for v in allowed], n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return path, f"{_short(instance)} is not allowed here ({hint}expected one of: {', '.join(map(str, allowed))})"
    if kind == "type":
        return path, f"expected {value if isinstance(value, str) else ' or '.join(value)}, got {_short(instance)}"
    if kind in ("oneOf", "anyOf"):
        return path, "does not match any of the forms OpenAPI 3.0 allows here"
    message = error.message
    return path, message if len(message) <= 120 else message[:117] + "..."


def _enum_siblings(error: Any) -> list[Any]:
    """`in: qury` fails four enums, one per parameter kind: all of them, in order."""
    parent = error.parent
    if parent is None or parent.validator not in ("oneOf", "anyOf"):
        return [error]
    return [e for e in parent.context if e.validator == "enum" and e.absolute_path == error.absolute_path]


def _short(value: Any) -> str:
    text = f"'{value}'" if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_refs(api: OpenAPI, node: Any, path: tuple[str | int, ...]) -> list[SpecError]:
    """Every local `$ref` must point at something."""
    errors: list[SpecError] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            if not ref.startswith("#/"):
                errors.append(api.doc.error((*path, "$ref"), f"only local references (#/...) are supported, not '{ref}'"))
            elif api.deref(node) == {} and not _exists(api.data, ref):
                errors.append(api.doc.error((*path, "$ref"), f"'{ref}' points at nothing"))
        for key, value in node.items():
            errors += _check_refs(api, value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            errors += _check_refs(api, value, (*path, i))
    return errors


def _refs(node: Any, found: set[str]) -> set[str]:
    """Every `$ref` string in the document (no paths: the fast first pass)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.add(ref)
        for value in node.values():
            if isinstance(value, dict | list):
                _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            if isinstance(value, dict | list):
                _refs(value, found)
    return found


def _pointer(ref: str) -> list[str] | None:
    """The keys of a local `$ref` (`#/a/b~1c` -> `["a", "b/c"]`), or None for another document."""
    if not ref.startswith("#/"):
        return None
    return [part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")]


def _exists(data: Any, ref: str) -> bool:
    parts = _pointer(ref)
    if parts is None:
        return False
    for part in parts:
        if not isinstance(data, dict) or part not in data:
            return False
        data = data[part]
    return True


def _index(api: OpenAPI, errors: list[SpecError]) -> None:
    global_security = api.data.get("security", [])
    functions: dict[str, Operation] = {}  # snake_cased operationId -> operation
    for path, item in (api.data.get("paths") or {}).items():
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters", [])
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            where: tuple[str | int, ...] = ("paths", path, method)
            op_id = op.get("operationId")
            if not op_id:
                errors.append(api.doc.error(where, "operation has no operationId"))
                continue
            if op_id in api.operations:
                errors.append(api.doc.error((*where, "operationId"), f"duplicate operationId '{op_id}'"))
                continue
            tags = op.get("tags") or ["default"]
            operation = Operation(op_id, method, path, str(tags[0]), where=where)
            clash = functions.get(operation.function)
            if clash is not None:
                errors.append(api.doc.error((*where, "operationId"), f"operationIds '{clash.operation_id}' and"
                                            f" '{op_id}' both make the function {operation.function}"))
                continue
            params: dict[tuple[str, str], Parameter] = {}
            for raw in [*shared, *op.get("parameters", [])]:
                p = api.deref(raw)
                if not isinstance(p, dict) or "name" not in p:
                    continue
                schema = api.deref(p.get("schema", {})) or {}
                params[(p["name"], p.get("in", ""))] = Parameter(
                    p["name"], p.get("in", ""), bool(p.get("required")), schema, snake(p["name"])
                )
            operation.parameters = list(params.values())
            errors += _check_path_template(api, path, operation)
            body = api.deref(op.get("requestBody"))
            if isinstance(body, dict):
                content = body.get("content", {})
                body_media: Any = content.get("application/json") or next(iter(content.values()), {})
                operation.body_schema = body_media.get("schema", {}) if isinstance(body_media, dict) else {}
                operation.body_required = bool(body.get("required"))
            for status, response in (op.get("responses") or {}).items():
                resolved = api.deref(response)
                content = resolved.get("content", {}) if isinstance(resolved, dict) else {}
                media: Any = next((v for k, v in content.items() if "json" in k), None)
                operation.responses[str(status)] = media.get("schema") if isinstance(media, dict) else None
                operation.media[str(status)] = [str(k) for k in content] if isinstance(content, dict) else []
            operation.secured = bool(op.get("security", global_security))
            api.operations[op_id] = operation
            functions[operation.function] = operation


def _check_path_template(api: OpenAPI, path: str, operation: Operation) -> list[SpecError]:
    """`/clans/{serverId}` needs a path parameter `serverId` (else a 500 at run time), and
    a path parameter needs its `{name}` in the path (else it can never be given)."""
    errors = []
    in_template = re.findall(r"\{([^{}]*)\}", path)
    declared = [p.name for p in operation.parameters if p.location == "path"]
    for name in in_template:
        if name not in declared:
            errors.append(api.doc.error(operation.where, f"the path {path} has {{{name}}} but {operation.operation_id} declares "
                                        f"no path parameter '{name}' (add {{name: {name}, in: path, required: true, "
                                        "schema: {type: string}} to its parameters)"))
    for name in declared:
        if name not in in_template:
            errors.append(api.doc.error(operation.where, f"path parameter '{name}' of {operation.operation_id} is not in "
                                        f"the path {path} (write {{{name}}} in it, or remove the parameter)"))
    return errors


def python_type(api: OpenAPI, schema: Any) -> str:
    """The Python annotation of a parameter schema."""
    schema = api.deref(schema)
    if not isinstance(schema, dict):
        return "Any"
    kind = schema.get("type")
    if kind == "array":
        return f"list[{python_type(api, schema.get('items', {}))}]"
    if kind == "object":
        return "dict[str, Any]"
    return PY_TYPES.get(str(kind), "Any")
