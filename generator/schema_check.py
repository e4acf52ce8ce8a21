"""Check a spec document against the JSON Schema shipped in generator/schema/."""

from __future__ import annotations

import difflib
import json
from functools import cache
from pathlib import Path
from typing import Any

from generator.errors import SpecError
from generator.yamlpos import Document
from gmbot.platforms import names

SCHEMA_DIR = Path(__file__).with_name("schema")
SCHEMA_FILE = "commands.schema.json"


@cache
def schema() -> dict[str, Any]:
    text = (SCHEMA_DIR / SCHEMA_FILE).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    data["$defs"]["platform"]["enum"] = list(names())  # a card's `platforms:` keys: the registered ones
    return data


@cache
def _validator() -> Any:
    import jsonschema  # only for reporting errors: 0.15 s to import

    return jsonschema.Draft202012Validator(schema())


_KINDS = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "true or false",
          "object": "a mapping", "array": "a list", "null": "null"}


# patterns of values, in words (the regular expression says less to an author)
_VALUE_RULES = {
    "^[^\\s<>]([^<>]{0,30}[^\\s<>])?$": "a word or two for usage lines, without < and >, up to 32 characters "
                                    "(placeholder: clan gives -against <clan>)",
}
_KEY_RULES = {
    "^([1-5][0-9][0-9]|error)$": 'a status like "200", or "error"',
    "^[a-z_][a-z0-9_]*$": "a lowercase name like info or war_red",
}


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", dict: "mapping", list: "list", type(None): "null"}.get(type(value), type(value).__name__)


def _message(error: Any) -> tuple[tuple[str | int, ...], str]:
    path = tuple(error.absolute_path)
    key = path[-1] if path else ""
    v, value = error.validator, error.instance
    if v == "enum":
        allowed = ", ".join(str(x) for x in error.validator_value)
        return path, f"unknown {key} '{value}' (expected one of: {allowed})"
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return path, f"missing required key '{missing}'"
    if v == "additionalProperties" and isinstance(value, dict):
        allowed_keys = set(error.schema.get("properties", {}))
        extra = sorted(str(k) for k in value if k not in allowed_keys)
        known = ", ".join(sorted(allowed_keys))
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, sorted(allowed_keys), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return (*path, bad) if extra else path, f"unknown key '{bad}' ({hint}known keys: {known})"
    if v == "type":
        expected = error.validator_value
        names = [expected] if isinstance(expected, str) else list(expected)
        wanted = " or ".join(_KINDS.get(n, n) for n in names)
        got = "nothing" if value is None else f"{_kind(value)} {json.dumps(value, default=str)}"
        return path, f"expected {wanted}, got {got}"
    if v == "const":
        return path, f"must be {json.dumps(error.validator_value)}"
    if v == "pattern":
        rule = _VALUE_RULES.get(str(error.validator_value))
        return path, f"'{value}' is not {rule}" if rule else f"'{value}' does not match {error.validator_value}"
    if v == "minLength":
        return path, "must not be empty"
    if v == "minProperties":
        return path, "must not be empty"
    if v == "oneOf":  # a picture: a template, or {operation, request}: what is wrong with the one of its kind
        inner = next((e for e in error.context or [] if e.validator != "type"), None)
        if inner is not None:
            return _message(inner)
        return path, f"expected text (a template) or a mapping {{operation, request}}, got {_kind(value)} " \
                     f"{json.dumps(value, default=str)}"
    return path, error.message


@cache
def _fast_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.validator_for(schema())


def check(doc: Document) -> list[SpecError]:
    if _fast_validator().is_valid(doc.data):  # the common case, in Rust
        return []
    errors = []  # python-jsonschema's errors carry what the messages need
    for error in _validator().iter_errors(doc.data):
        if "propertyNames" in error.schema_path:
            # a bad mapping key: report it at the key itself
            key = str(error.instance)
            expected = _KEY_RULES.get(str(error.schema.get("pattern")), f"matching {error.schema.get('pattern')}")
            errors.append(doc.error((*tuple(error.absolute_path), key), f"invalid key '{key}' (expected {expected})"))
            continue
        path, message = _message(error)
        errors.append(doc.error(path, message))
    return errors
