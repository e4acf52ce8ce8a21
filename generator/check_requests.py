"""Checks shared by commands and cards: operations, and how a `request:` fills one.

Works on the raw YAML data, so error paths are the document's own; collects every error.
"""

from __future__ import annotations

import json
from typing import Any

from generator.bounds import check_bounds, check_unit
from generator.errors import Path, SpecError
from generator.openapi import RUNTIME_HEADERS, OpenAPI, Operation
from generator.yamlpos import Document
from gmbot.chat.request import CONDITION, is_reference

CONTEXT = {"server", "channel", "author", "mentions"}
BUTTON_CONTEXT = CONTEXT | {"event", "reply", "data"}
DEFAULT_COLORS = {"info", "success", "warning", "error"}
REF = {"kind": "object", "attrs": {"id": "string", "name": "string"}}
CONTEXT_KINDS: dict[str, dict[str, Any]] = {
    "server": REF,
    "channel": REF,
    "author": REF,
    "mentions": {"kind": "array"},
}


class RequestChecks:
    def __init__(self, spec: Document, api: OpenAPI) -> None:
        self.spec = spec
        self.api = api
        self.errors: list[SpecError] = []
        data = spec.data if isinstance(spec.data, dict) else {}
        self.data = data
        bot = data.get("bot") or {}
        self.colors = set(bot["colors"]) if "colors" in bot else DEFAULT_COLORS

    def error(self, path: Path, message: str) -> None:
        self.errors.append(self.spec.error(path, message))


    def operation(self, operation_id: Any, path: Path) -> Operation | None:
        if not isinstance(operation_id, str):
            return None
        operation = self.api.operations.get(operation_id)
        if operation is None and self.api.operations:
            hint = _closest(operation_id, list(self.api.operations))
            self.error(path, f"unknown operation '{operation_id}' in {self.api.doc.file}" + (f" (did you mean '{hint}'?)" if hint else ""))
        elif operation is None:
            self.error(path, f"unknown operation '{operation_id}': {self.api.doc.file} has no operations")
        return operation

    def check_status(self, status: str, operation: Operation | None, path: Path) -> None:
        if status == "error" or operation is None:
            return
        if status not in operation.responses:
            known = ", ".join(sorted(operation.responses))
            self.error(path, f"operation {operation.operation_id} has no response {status} (it has: {known})")

    def check_request(self, request: dict[str, Any], path: Path, operation: Operation,
                      kinds: dict[str, dict[str, Any]], roots: set[str], schemas: dict[str, Any] | None = None) -> None:
        """`schemas`: where a reference's root has a schema (a button's `$reply`, `$event`,
        `$data`), its attributes are checked against it and give the value's type."""
        refs = {**{r: CONTEXT_KINDS.get(r, {"kind": None}) for r in roots}, **kinds}
        for root, schema in (schemas or {}).items():
            if root in refs and schema is not None:
                refs[root] = {**refs[root], "schema": schema}
        op = operation.operation_id
        for location in ("path", "query", "headers"):
            where = "header" if location == "headers" else location
            given: dict[str, Any] = request.get(location) or {}
            params = {p.name.lower() if where == "header" else p.name: p for p in operation.parameters if p.location == where}
            for key, value in given.items():
                param = params.get(key.lower() if where == "header" else key)
                if param is None:
                    known = ", ".join(sorted(p.name for p in params.values())) or "none"
                    self.error((*path, location, key), f"operation {op} has no {where} parameter '{key}' (it has: {known})")
                    continue
                self.check_value(value, (*path, location, key), param.schema, refs, f"{where} parameter '{key}' of {op}")
                if param.required:
                    self.check_always_given(value, (*path, location, key), refs, f"required {where} parameter '{key}' of {op}")
            for param in params.values():
                filled = any(k.lower() == param.name.lower() for k in given)
                if param.required and not filled and not (where == "header" and param.name.lower() in RUNTIME_HEADERS):
                    self.error((*path, location) if location in request else path,
                               f"required {where} parameter '{param.name}' of {op} is not filled (add request.{location}.{param.name})")
        body = request.get("body")
        if operation.body_schema is None:
            if body is not None:
                self.error((*path, "body"), f"operation {op} takes no request body")
            return
        if body is None:
            if operation.body_required:
                fields = ", ".join(self.object_view(operation.body_schema)[0]) or "?"
                self.error(path, f"operation {op} needs a request body (fields: {fields}); add request.body")
            return
        self.check_value(body, (*path, "body"), operation.body_schema, refs, f"the body of {op}")

    def object_view(self, schema: Any) -> tuple[dict[str, Any], list[str], bool]:
        """(properties, required, open) of an object schema, allOf merged."""
        schema = self.api.deref(schema)
        if not isinstance(schema, dict):
            return {}, [], True
        properties = dict(schema.get("properties") or {})
        required = list(schema.get("required") or [])
        is_open = not properties or schema.get("additionalProperties") not in (None, False)
        for part in schema.get("allOf") or []:
            p, r, o = self.object_view(part)
            properties.update(p)
            required += r
            is_open = is_open and o
        if schema.get("oneOf") or schema.get("anyOf"):
            is_open = True
        return properties, required, is_open

    def check_value(self, value: Any, path: Path, schema: Any, refs: dict[str, dict[str, Any]], what: str) -> None:
        schema = self.api.deref(schema) or {}
        expected = schema.get("type") if isinstance(schema, dict) else None
        if is_reference(value):
            kind = self.reference_kind(value, path, refs)
            option = refs.get(value[1:], {})
            if "option" in option and isinstance(schema, dict) and expected in ("number", "integer"):
                check_unit(self, value[1:], option, schema, what)  # also when the type is wrong: both are said
            if kind is not None and expected and not _fits(kind, expected):
                self.error(path, f"{value} gives {_a(kind)}, but {what} is {_a(expected)}" + _hint(value, kind, expected))
            elif "option" in option and isinstance(schema, dict):
                check_bounds(self, value[1:], option, schema, what)
            return
        if isinstance(value, dict) and CONDITION in value:
            self.check_condition(value, path, schema, refs, what)
            return
        if isinstance(value, dict):
            if expected not in (None, "object"):
                self.error(path, f"a mapping is given, but {what} is {_a(expected)}")
                return
            properties, required, is_open = self.object_view(schema)
            for key, item in value.items():
                if key not in properties and not is_open:
                    known = ", ".join(properties)
                    self.error((*path, key), f"{what} has no field '{key}' (fields: {known})")
                    continue
                self.check_value(item, (*path, key), properties.get(key, {}), refs, f"field '{key}' of {what}")
            for key in required:
                if key not in value:
                    self.error(path, f"required field '{key}' of {what} is not filled")
                else:
                    self.check_always_given(value[key], (*path, key), refs, f"required field '{key}' of {what}")
            return
        if isinstance(value, list):
            if expected not in (None, "array"):
                self.error(path, f"a list is given, but {what} is {_a(expected)}")
                return
            items = schema.get("items", {}) if isinstance(schema, dict) else {}
            for i, item in enumerate(value):
                self.check_value(item, (*path, i), items, refs, f"an item of {what}")
            return
        if value is None or not expected:
            return
        kind = json_kind(value)
        if not _fits(kind, expected):
            self.error(path, f"{json.dumps(value)} is {_a(kind)}, but {what} is {_a(expected)}")

    def check_condition(self, value: dict[str, Any], path: Path, schema: Any, refs: dict[str, dict[str, Any]],
                        what: str) -> None:
        """`{$if: $option, then: value}`: sent only when the option is given, so the option must be
        one the user may leave out (optional, no default: otherwise the key is always sent)."""
        extra = sorted(set(value) - {CONDITION, "then"})
        if extra or "then" not in value:
            self.error(path, f"a conditional value has exactly the keys {CONDITION} and then (got: {', '.join(map(str, value))})")
            return
        condition = value[CONDITION]
        cpath = (*path, CONDITION)
        if not is_reference(condition) or "." in condition:
            self.error(cpath, f"{CONDITION} takes an option reference, e.g. $here (got {json.dumps(condition)})")
        elif condition[1:] not in refs:
            self.reference_kind(condition, cpath, refs)  # reports the unknown reference
        elif "optional" not in refs[condition[1:]]:  # only options carry the flag: this is context
            self.error(cpath, f"{condition} is always given: {CONDITION} takes an option")
        elif not refs[condition[1:]]["optional"]:
            self.error(cpath, f"option '{condition[1:]}' is always given (required or with a default), "
                              f"so {CONDITION} would never leave {what} out")
        self.check_value(value["then"], (*path, "then"), schema, refs, what)

    def check_always_given(self, value: Any, path: Path, refs: dict[str, dict[str, Any]], what: str) -> None:
        """A required value must not come from an option the user may leave out."""
        if isinstance(value, dict) and CONDITION in value:
            self.error(path, f"{what} is left out when {CONDITION} is not met: a required value cannot be conditional")
            return
        if is_reference(value):
            root = value[1:].split(".")[0].split("[")[0]
            if refs.get(root, {}).get("optional"):
                self.error(path, f"{what} comes from option '{root}', which may be left out: make it required or give it a default")

    def reference_kind(self, value: str, path: Path, refs: dict[str, dict[str, Any]]) -> str | None:
        text = value[1:]
        root, _, rest = text.partition(".")
        root = root.split("[")[0]
        if root not in refs:
            options = sorted(r for r in refs if r not in CONTEXT and r not in BUTTON_CONTEXT)
            context = sorted(r for r in refs if r in CONTEXT or r in BUTTON_CONTEXT)
            self.error(path, f"unknown reference '${root}' (options: {', '.join(options) or 'none'}; context: {', '.join(context)})")
            return None
        info = refs[root]
        if "schema" in info:
            return self.schema_reference(root, rest, info["schema"], path)
        if not rest:
            kind: str | None = info.get("kind")
            return kind
        attrs = info.get("attrs")
        if attrs is None:
            return None
        attr = rest.split(".")[0]
        if attr not in attrs:
            self.error(path, f"${root} has no attribute '{attr}' (it has: {', '.join(attrs)})")
            return None
        return str(attrs[attr]) if "." not in rest else None

    def schema_reference(self, root: str, rest: str, schema: Any, path: Path) -> str | None:
        """`$reply.war.id` against the reply's schema (`$event.data...` against the event's
        declared data): each step must exist as far as the schema is a closed object. The type
        of what it reaches, when known."""
        steps = [s for s in rest.replace("[", ".").replace("]", "").split(".") if s] if rest else []
        schema = self.api.deref(schema)
        for depth, step in enumerate(steps):
            properties, _, is_open = self.object_view(schema)
            if step.isdigit() and isinstance(schema, dict) and schema.get("type") == "array":
                schema = self.api.deref(schema.get("items"))
                continue
            if is_open:
                return None
            if step not in properties:
                known = ", ".join(sorted(properties))
                self.error(path, f"${'.'.join([root, *steps[:depth]])} has no field '{step}' (fields: {known})")
                return None
            schema = self.api.deref(properties[step])
        if not isinstance(schema, dict):
            return None
        kind = schema.get("type") or ("object" if "properties" in schema else None)
        return str(kind) if kind else None

    # ---- cards ------------------------------------------------------------------------------


def json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _fits(kind: str, expected: str) -> bool:
    return kind == expected or (kind == "integer" and expected == "number")


def _a(kind: str | None) -> str:
    names = {"object": "an object", "array": "a list", "integer": "an integer", "number": "a number",
             "string": "a string", "boolean": "a boolean", "null": "null"}
    return names.get(str(kind), str(kind))


def _hint(value: str, kind: str, expected: str) -> str:
    if kind == "object" and expected == "string":
        return f" (use {value}.id)"
    return ""


def _closest(word: str, candidates: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, candidates, n=1)
    return match[0] if match else None
