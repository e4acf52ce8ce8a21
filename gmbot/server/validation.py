"""Request validation with the work done once per operation instead of once per request.

Connexion 3.3 builds a new Python `jsonschema` validator for the body and one per
parameter on every request, and the body check runs in pure Python: together about
1 ms of CPU per createWar on the benchmark machine (docs/benchmarks.md#backend).
These validators compile each schema once and check valid input with jsonschema_rs
(Rust). Only input jsonschema_rs rejects is checked again by the Python validator
Connexion would have used (Draft 4 with OpenAPI 3.0's `nullable`), which decides and
words the 400 problem+json: answers stay Connexion's (a parameter's in one line, naming
it), and the common case, a valid request, costs microseconds.

Parsing is hardened too: Python's `json.loads` raises RecursionError on a 10,000-deep
array and ValueError on a 5,000-digit integer (Connexion answered both with 500), and
accepts NaN and Infinity, which are not JSON; all of these are 400 here. NaN also
passes any `minimum`/`maximum` (every comparison with it is false), so a number
parameter must be finite as well. An object naming a key twice is 400 (Python keeps the
last silently, other parsers the first: a proxy and the backend could read two different
requests), and so is a lone UTF-16 surrogate (`"\\ud800"`): not a character, it cannot
be encoded, and the Rust validator raised UnicodeEncodeError on it (a 500).
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import AsyncGenerator
from typing import Any

import jsonschema_rs
from connexion.datastructures import MediaTypeDict
from connexion.exceptions import BadRequestProblem
from connexion.json_schema import Draft4RequestValidator, format_error_with_path
from connexion.utils import is_null, is_nullable
from connexion.validators import VALIDATOR_MAP, JSONRequestBodyValidator, ParameterValidator
from jsonschema import Draft4Validator, ValidationError
from starlette.types import Scope

logger = logging.getLogger(__name__)


def _with_null(schema: Any) -> Any:
    """A copy of an OpenAPI 3.0 schema in plain Draft 4: `nullable: true` becomes a null type."""
    if isinstance(schema, list):
        return [_with_null(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: _with_null(value) for key, value in schema.items()}
    if out.pop("nullable", False) is True or out.pop("x-nullable", False) is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


# id(schema) -> (schema, Rust validator, Python validator): Connexion passes the same dict
# for an operation or parameter on every request; the dict is kept so its id is not reused.
_COMPILED: dict[int, tuple[Any, Any, Draft4Validator]] = {}


def _compiled(schema: dict[str, Any], python: type[Draft4Validator]) -> tuple[Any, Draft4Validator]:
    cached = _COMPILED.get(id(schema))
    if cached is None or cached[0] is not schema:
        fast = jsonschema_rs.Draft4Validator(_with_null(schema), validate_formats=True)
        slow = python(schema, format_checker=Draft4Validator.FORMAT_CHECKER)
        cached = _COMPILED[id(schema)] = (schema, fast, slow)
    return cached[1], cached[2]


def _not_a_number(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


class _DuplicateKey(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"The request body names the key {key[:64]!r} twice in one object.")
            seen.add(key)
    return found


# A \uD800-\uDFFF escape: the only way a surrogate gets into text decoded from UTF-8. Most are
# halves of a pair (an emoji), which json.loads joins; only then is the parsed body checked.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _has_lone_surrogate(body: Any) -> bool:
    try:
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def parse_json(text: str, decoded_from_utf8: bool = True) -> Any:
    """`json.loads`, with every way it can fail on client input a 400 BadRequestProblem."""
    try:
        body = json.loads(text, parse_constant=_not_a_number, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        raise BadRequestProblem(detail=str(exc)) from None
    except RecursionError:
        raise BadRequestProblem(detail="The request body is nested too deeply.") from None
    except _DuplicateKey as exc:
        raise BadRequestProblem(detail=str(exc)) from None
    except ValueError as exc:  # an integer of more than 4300 digits, NaN, Infinity
        raise BadRequestProblem(detail=f"The request body is not valid JSON: {exc}") from None
    if (not decoded_from_utf8 or _SURROGATE_ESCAPE.search(text)) and _has_lone_surrogate(body):
        raise BadRequestProblem(
            detail="The request body has a lone UTF-16 surrogate (\\ud800-\\udfff without its pair): "
            "not a character."
        )
    return body


# The scope key under which the JSON body, as parsed here, is kept for the operation
# (shortcut.py): Connexion's decorator would read and parse it again.
PARSED_BODY = "gmbot.parsed_body"
_UTF8 = frozenset({"utf-8", "utf8"})


class RustJSONBodyValidator(JSONRequestBodyValidator):
    """Connexion's JSON body validator (same 400s), hardened parsing, valid bodies checked in Rust."""

    async def _parse(self, stream: AsyncGenerator[bytes, None], scope: Scope) -> Any:
        text = b"".join([chunk async for chunk in stream]).decode(self._encoding)
        utf8 = self._encoding.lower() in _UTF8
        body = parse_json(text, utf8) if text else None
        if utf8:  # the decorator's json.loads(bytes) reads UTF-8 too
            scope[PARSED_BODY] = body
        return body

    def _validate(self, body: Any) -> dict[str, Any] | None:
        if not self._nullable and body is None:
            raise BadRequestProblem("Request body must not be empty")
        fast, slow = _compiled(self._schema, Draft4RequestValidator)
        if fast.is_valid(body):
            return None
        try:  # as JSONRequestBodyValidator._validate, with the validator built once
            slow.validate(body)
        except ValidationError as exc:
            detail = f"{exc.message}{format_error_with_path(exc)}"
            logger.info("Validation error: %s", detail, extra={"validator": "body"})
            raise BadRequestProblem(detail=detail) from None
        except RecursionError:
            raise BadRequestProblem(detail="The request body is nested too deeply.") from None
        return None


class CachedParameterValidator(ParameterValidator):
    """Connexion's parameter validator, valid values checked in Rust (as above)."""

    @staticmethod
    def validate_parameter(
        parameter_type: str, value: Any, param: dict[str, Any], param_name: str | None = None
    ) -> str | None:
        if is_nullable(param) and is_null(value):
            return None
        if value is None:
            if param.get("required"):
                return f"Missing {parameter_type} parameter '{param['name']}'"
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return f"{parameter_type} parameter '{param['name']}' must be a finite number, not {value}"
        fast, slow = _compiled(param.get("schema", param), Draft4Validator)
        if fast.is_valid(value):
            return None
        try:
            slow.validate(value)
        except ValidationError as exc:
            # one line naming the parameter, where Connexion answers str(exc): the message, then
            # the whole schema and instance (a chat bot maps the name back to its option)
            return f"{exc.message} - {parameter_type} parameter '{param['name']}'"
        return None


# Connexion's map with the two validators above (form bodies and responses unchanged).
VALIDATORS: dict[str, Any] = {
    **VALIDATOR_MAP,
    "parameter": CachedParameterValidator,
    "body": MediaTypeDict({**VALIDATOR_MAP["body"], "*/*json": RustJSONBodyValidator}),
}
