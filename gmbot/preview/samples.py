"""Sample replies for the preview: the OpenAPI `example` where given, else data made from the schema.

The data is deterministic (the same page on every reload) and plausible rather
than random: strings say what they are (`name` -> "Sample name"), numbers sit
inside their bounds, lists hold two items so repeated fields show repeating. A page
agrees with itself: beside a list, a `total` (or `count`, `<list>Count`) is the list's
length, `offset` is 0, `page` and `pages` are 1 and `limit` holds the list, so a card
says "2 wars, page 1 of 1" and not "1 war" beside two.
"""

from __future__ import annotations

from typing import Any

from generator.openapi import OpenAPI

MAX_DEPTH = 8  # recursive schemas (a War holding Wars) stop here
LIST_ITEMS = 2

_FORMATS = {
    "date-time": "2026-01-02T15:04:05Z",
    "date": "2026-01-02",
    "uri": "https://example.org/",
    "url": "https://example.org/",
    "email": "someone@example.org",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def sample(api: OpenAPI, schema: Any, name: str = "value", depth: int = 0, index: int = 0) -> Any:
    """A JSON value that fits `schema` (following local `$ref`s).

    `name` is the property the value is for ("Sample game" reads better than "string");
    `index` is the position in a list, so that list items differ (ids 1001 and 1002).
    """
    ref = api.ref_name(schema)
    if ref and name in {"reply", "value"}:  # a whole reply: a Clan's name is "Sample clan"
        name = ref.lower()
    schema = api.deref(schema)
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return None
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][min(index, len(schema["enum"]) - 1)]
    for combinator in ("allOf", "oneOf", "anyOf"):
        parts = schema.get(combinator)
        if isinstance(parts, list) and parts:
            values = [sample(api, part, name, depth + 1, index) for part in parts]
            if combinator != "allOf" or not all(isinstance(v, dict) for v in values):
                return next((v for v in values if v is not None), None)
            merged: dict[str, Any] = {}
            for value in values:
                merged.update(value)
            return merged
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    if kind == "object":
        props = schema.get("properties") or {}
        made = {key: sample(api, sub, name if key == "name" else key, depth + 1, index)
                for key, sub in props.items()}
        return agree(made, {key: api.deref(sub) for key, sub in props.items()}, schema)
    if kind == "array":
        count = max(int(schema.get("minItems", 0)), min(LIST_ITEMS, int(schema.get("maxItems", LIST_ITEMS))))
        item = name[:-1] if name.endswith("s") else name  # "players" -> each is a "player"
        return [sample(api, schema.get("items", {}), item, depth + 1, i) for i in range(count)]
    if kind == "integer":
        return int(_number(schema, 1)) + index
    if kind == "number":
        return _number(schema, 1.5)
    if kind == "boolean":
        return True
    if kind == "string":
        return _string(schema, name, index)
    return None


_TOTALS = {"total", "count", "totalcount", "total_count", "size", "length", "totalitems", "total_items"}
_OFFSETS = {"offset", "skip", "start"}
_PAGES = {"page", "pages", "pagecount", "page_count", "totalpages", "total_pages", "pagenumber", "page_number"}
_LIMITS = {"limit", "pagesize", "page_size", "perpage", "per_page"}


def agree(made: dict[str, Any], schemas: dict[str, Any], owner: dict[str, Any]) -> dict[str, Any]:
    """A made-up object whose counts agree with its lists: `total`/`count`/`<list>Count` is the
    list's length, `offset` 0, `page`/`pages` 1, `limit` at least the length (a property's own
    `example` or `default` too: a count of 1 beside two items is what this is for)."""
    lists: dict[str, list[Any]] = {key: value for key, value in made.items() if isinstance(value, list)}
    if not lists:
        return made
    main = lists["items"] if "items" in lists else max(lists.values(), key=len)
    for key, value in made.items():
        found = schemas.get(key)
        sub: dict[str, Any] = found if isinstance(found, dict) else {}
        if not isinstance(value, int) or isinstance(value, bool):
            continue
        low = key.lower()
        named = next((v for k, v in lists.items() if low in (f"{k.lower()}count", f"{k.lower()}_count",
                                                             f"number_of_{k.lower()}", f"n{k.lower()}")), None)
        if named is not None or low in _TOTALS:
            made[key] = _within(len(named if named is not None else main), sub)
        elif low in _OFFSETS:
            made[key] = _within(0, sub)
        elif low in _PAGES:
            made[key] = _within(1, sub)
        elif low in _LIMITS and value < len(main):
            made[key] = _within(max(len(main), 10), sub)
    return made


def _within(value: int, schema: dict[str, Any]) -> int:
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(high, int | float) and value > high:
        value = int(high)
    if isinstance(low, int | float) and value < low:
        value = int(low)
    return value


def _number(schema: dict[str, Any], fallback: float) -> float:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and fallback < low:
        return float(low)
    if high is not None and fallback > high:
        return float(high)
    return fallback


def _string(schema: dict[str, Any], name: str, index: int) -> str:
    fmt = schema.get("format")
    if fmt in _FORMATS:
        return _FORMATS[fmt]
    if name.lower().endswith("id"):
        text = str(1001 + index)
    else:
        text = f"Sample {name}" + (f" {index + 1}" if index else "")
    low, high = schema.get("minLength"), schema.get("maxLength")
    if high is not None and len(text) > high:
        text = text[: int(high)]
    if low is not None and len(text) < low:
        text = text.ljust(int(low), "x")
    return text


def response_sample(api: OpenAPI, operation_id: str, status: str) -> Any:
    """The reply body of `operation_id` for a card's status key ("200", "error", ...)."""
    operation = api.operations.get(operation_id)
    if operation is None:
        return {}
    raw = _response_examples(api, operation_id)
    statuses = list(operation.responses)
    if status == "error":
        chosen = next((s for s in statuses if s[:1] in "45"), "default" if "default" in statuses else None)
    elif status in operation.responses:
        chosen = status
    else:  # a card for a status the contract does not list: its first success
        chosen = next((s for s in statuses if s.startswith("2")), None)
    if chosen is None:
        return problem_sample(status)
    if chosen in raw:
        return raw[chosen]
    schema = operation.responses.get(chosen)
    if schema is None:
        return problem_sample(chosen) if chosen[:1] in "45d" else {}
    return sample(api, schema, "reply")


def problem_sample(status: str) -> dict[str, Any]:
    code = int(status) if status.isdigit() else 409
    return {"type": "about:blank", "title": "Sample problem title", "status": code,
            "detail": "What went wrong, in one sentence."}


def _response_examples(api: OpenAPI, operation_id: str) -> dict[str, Any]:
    """Status -> the `example` (or first of `examples`) given on the operation's JSON response."""
    operation = api.operations[operation_id]
    node: Any = api.data
    for key in operation.where:
        node = node.get(key, {}) if isinstance(node, dict) else {}
    found: dict[str, Any] = {}
    for status, response in (node.get("responses") or {}).items() if isinstance(node, dict) else []:
        response = api.deref(response)
        content = response.get("content", {}) if isinstance(response, dict) else {}
        media = next((v for k, v in content.items() if "json" in k), None)
        if not isinstance(media, dict):
            continue
        if "example" in media:
            found[str(status)] = media["example"]
        elif isinstance(media.get("examples"), dict) and media["examples"]:
            first = api.deref(next(iter(media["examples"].values())))
            if isinstance(first, dict) and "value" in first:
                found[str(status)] = first["value"]
    return found


def schema_named(api: OpenAPI, name: str) -> Any:
    """A component schema by a reference's head (`war` -> `#/components/schemas/War`), or None."""
    schemas = (api.data.get("components") or {}).get("schemas") or {}
    for key, schema in schemas.items():
        if key.lower() == name.lower():
            return schema
    return None
