"""An option must be bounded at least as tightly as what it fills in the API.

Otherwise a value the chat accepts (`-limit 500`) reaches the backend, fails its request
validation and comes back to the chat user as a validator's 400. The spec's own bounds are
checked by the runtime before any request, in plain words (`-limit must be at most 100`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.check_requests import RequestChecks

NUMERIC = {"integer", "number", "duration", "integers"}
# "no NUL character": the runtime refuses NULs in every text option, so these need no `pattern`
NUL_FREE = {r"^[^\x00]*$", "^[^\x00]*$"}


def check_bounds(checks: RequestChecks, name: str, ref: dict[str, Any], schema: dict[str, Any], what: str) -> None:
    """`$name` fills `schema` (a parameter's or a body field's, `what`): compare the bounds."""
    option: dict[str, Any] = ref["option"]
    kind = option.get("type")

    def report(key: str | None, message: str) -> None:  # at the option's key when it has it
        checks.error((*ref["path"], key) if key in option else ref["path"], f"option '{name}' {message}")

    if kind == "datetime" and schema.get("type") == "string" and schema.get("format") not in (None, "date-time"):
        report("type", f"sends a date-time (RFC 3339), but {what} is a {schema['format']}")
    if kind == "string" and schema.get("format") == "date-time":
        report("type", f"is free text, but {what} is a date-time: make it a datetime option "
                       f"(the user types 2026-11-01 or 7d, the API receives RFC 3339)")
    if kind in ("users", "integers") and schema.get("type") == "array":
        _compare(option, [("min_items", "minItems"), ("max_items", "maxItems")], schema, what, report)
    if kind == "integers" and schema.get("type") == "array":
        schema = checks.api.deref(schema.get("items")) or {}  # each number the user types is an item
    bounds: list[tuple[str, str]] = []  # (option key, schema key)
    if kind in NUMERIC:
        bounds = [("min", "minimum"), ("max", "maximum")]
    elif kind == "string":
        bounds = [("min_length", "minLength"), ("max_length", "maxLength")]
    _compare(option, bounds, schema, what, report)
    if kind == "string":
        if isinstance(schema.get("enum"), list):
            allowed = ", ".join(str(v) for v in schema["enum"])
            report("type", f"is free text, but {what} is one of {allowed}: make it a choice option with those values")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and pattern not in NUL_FREE and option.get("pattern") != pattern:
            said = "has another pattern" if "pattern" in option else "has no pattern"
            report("pattern", f"{said}, but {what} must match {pattern}: set pattern: '{pattern}'")
    values: list[tuple[tuple[str | int, ...], Any]] = [
        (("choices", i, "value"), c.get("value")) for i, c in enumerate(option.get("choices") or [])]
    if "default" in option and kind in ("string", "integer", "number", "duration"):
        values.append((("default",), option["default"]))
    for key_path, value in values:
        broken = violation(value, schema)
        if broken:
            checks.error((*ref["path"], *key_path), f"{_show(value)} {broken}, which {what} does not accept")


UNITS = ("seconds", "minutes", "hours", "days")
UNIT_EXTENSION = "x-unit"  # on a number schema of openapi.yaml: the unit its value is in
_UNIT_WORD = re.compile(r"\b(second|minute|hour|day)s?\b", re.IGNORECASE)


def api_unit(schema: dict[str, Any]) -> tuple[str | None, str]:
    """The unit a number schema is in, and where it says so: its `x-unit`, else the one unit
    its description names ("Hours the war lasts"); (None, why) when it says none or several."""
    declared = schema.get(UNIT_EXTENSION)
    if isinstance(declared, str):
        return declared, UNIT_EXTENSION
    words = {m.group(1).lower() + "s" for m in _UNIT_WORD.finditer(str(schema.get("description") or ""))}
    if len(words) == 1:
        return words.pop(), "its description"
    return None, "several units in its description" if words else "no unit"


def check_unit(checks: RequestChecks, name: str, ref: dict[str, Any], schema: dict[str, Any], what: str) -> None:
    """A duration option sends a number of its `unit`: the API field must count the same unit."""
    option: dict[str, Any] = ref["option"]
    if option.get("type") != "duration":
        return

    def report(key: str | None, message: str) -> None:
        checks.error((*ref["path"], key) if key in option else ref["path"], f"option '{name}' {message}")

    mine = option.get("unit", "hours")
    theirs, where = api_unit(schema)
    if theirs is None:
        report("unit", f"sends {mine}, but {what} does not say its unit ({where}): "
                       f"add {UNIT_EXTENSION}: {mine} to its schema in openapi.yaml")
    elif theirs not in UNITS:
        report("unit", f"sends {mine}, but {what} has {UNIT_EXTENSION}: {theirs} "
                       f"(one of {', '.join(UNITS)})")
    elif theirs != mine:
        said = "" if where == UNIT_EXTENSION else f" (said in {where})"
        report("unit", f"sends {mine}, but {what} is in {theirs}{said}: set unit: {theirs}")


def _compare(option: dict[str, Any], bounds: list[tuple[str, str]], schema: dict[str, Any], what: str,
             report: Callable[[str | None, str], None]) -> None:
    """Each (option key, schema key) pair: the option's bound within the schema's."""
    kind = option.get("type")
    for key, api_key in bounds:
        limit = schema.get(api_key)
        if not isinstance(limit, int | float) or isinstance(limit, bool):
            continue
        low = key.startswith("min")
        exclusive = api_key in ("minimum", "maximum") and \
            schema.get("exclusiveMinimum" if low else "exclusiveMaximum") is True
        mine = option.get(key)
        if key in ("min_length", "min_items"):
            mine = max(mine or 0, 1)  # the runtime never sends an empty text or list (a missing option)
        if mine is not None and not (mine < limit if low else mine > limit) and not (exclusive and mine == limit):
            continue
        unit = " characters" if "length" in key else " values" if "items" in key else ""
        api_words = (f"is {'above' if low else 'below'} {_num(limit)}" if exclusive
                     else f"is at {'least' if low else 'most'} {_num(limit)}{unit}")
        if exclusive and kind not in ("integer", "integers"):
            fix = f"a {key} {'above' if low else 'below'} {_num(limit)}"
        else:
            fix = f"{key}: {_num(limit + (1 if low else -1) if exclusive else limit)}"
        absent = key not in option
        said = f"has no {key}" if absent else f"allows {key} {_num(mine or 0)}"
        report(key, f"{said}, but {what} {api_words}: {'add' if absent else 'set'} {fix}")


def violation(value: Any, schema: dict[str, Any]) -> str | None:
    """Why a literal does not fit a schema's enum, bounds or pattern (None when it does)."""
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return f"is not one of {', '.join(str(v) for v in enum)}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(low, int | float) and (value < low or (schema.get("exclusiveMinimum") is True and value == low)):
            return f"is below the minimum {_num(low)}"
        if isinstance(high, int | float) and (value > high or (schema.get("exclusiveMaximum") is True and value == high)):
            return f"is above the maximum {_num(high)}"
    if isinstance(value, str):
        shortest, longest = schema.get("minLength"), schema.get("maxLength")
        if isinstance(shortest, int) and len(value) < shortest:
            return f"is shorter than {shortest} characters"
        if isinstance(longest, int) and len(value) > longest:
            return f"is longer than {longest} characters"
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            return f"does not match {pattern}"
    return None


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)
