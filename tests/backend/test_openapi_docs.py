"""openapi.yaml is written for its consumers: every operation has a description and its
success replies (and request bodies) realistic examples, each valid against its schema, and
a page's items agree with its `total` (the card preview shows these examples).

The operations are read from openapi.yaml, so a new operation without a description or an
example fails here. Pictures (`format: binary`) have no JSON example to give and are exempt.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator

from tests.backend.contract import _nullable_composition

SPEC = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
MIN_DESCRIPTION = 80  # characters: more than a repeated summary


def _document() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC.read_text(encoding="utf-8")))


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for item in document["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                yield operation["operationId"], operation


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """A `$ref` to `#/components/...` followed (repeatedly), anything else as is."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _binary(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and schema.get("format") == "binary"


def _examples(media: dict[str, Any], document: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    return [_resolve(document, e).get("value") for e in (media.get("examples") or {}).values()]


def problems(document: dict[str, Any]) -> list[str]:
    """What a consumer would miss, operation by operation: a description, an example of each
    success reply and request body, or an example that its schema refuses."""
    found: list[str] = []
    checked = _nullable_composition(document)  # `nullable` beside allOf, as the server reads it
    for operation_id, operation in operations(document):
        description = (operation.get("description") or "").strip()
        if len(description) < MIN_DESCRIPTION:
            found.append(f"{operation_id}: no description (or under {MIN_DESCRIPTION} characters)")
        elif description == (operation.get("summary") or "").strip():
            found.append(f"{operation_id}: the description repeats the summary")
        bodies = []
        for status, response in operation["responses"].items():
            if str(status).startswith("2"):
                for media_type, media in (_resolve(document, response).get("content") or {}).items():
                    bodies.append((f"{status} {media_type}", media))
        if not any(str(s).startswith("2") for s in operation["responses"]):
            found.append(f"{operation_id}: no success response")
        request = _resolve(document, operation.get("requestBody") or {})
        for media_type, media in (request.get("content") or {}).items():
            bodies.append((f"request {media_type}", media))
        for where, media in bodies:
            schema = media.get("schema") or {}
            if _binary(_resolve(document, schema)):
                continue
            examples = _examples(media, document)
            if not examples:
                found.append(f"{operation_id}: {where} has no example")
            for example in examples:
                found.extend(f"{operation_id}: {where} example: {error}" for error in _page_disagrees(example))
                found.extend(f"{operation_id}: {where} example: {error}"
                             for error in _invalid(checked, _checked_schema(checked, where, operation_id), example))  # fmt: skip
    return found


def _page_disagrees(example: Any) -> Iterator[str]:
    """A page whose list and `total` disagree (the preview shows both on one card): it must
    list every item from its offset, up to `limit`."""
    if isinstance(example, dict):
        if isinstance(example.get("items"), list) and {"total", "limit", "offset"} <= set(example):
            expected = max(0, min(example["limit"], example["total"] - example["offset"]))
            if len(example["items"]) != expected:
                yield (f"{len(example['items'])} items on a page of {example['limit']} at offset "
                       f"{example['offset']} of {example['total']} (expected {expected})")
        for value in example.values():
            yield from _page_disagrees(value)
    elif isinstance(example, list):
        for value in example:
            yield from _page_disagrees(value)


def _checked_schema(checked: dict[str, Any], where: str, operation_id: str) -> dict[str, Any]:
    """The same body's schema in the document with `nullable` compositions rewritten."""
    operation = dict(operations(checked))[operation_id]
    kind, media_type = where.split(" ", 1)
    holder = _resolve(checked, operation.get("requestBody") or {}) if kind == "request" else \
        _resolve(checked, operation["responses"][_status_key(operation, kind)])  # fmt: skip
    return dict(holder["content"][media_type].get("schema") or {})


def _status_key(operation: dict[str, Any], status: str) -> Any:
    return next(k for k in operation["responses"] if str(k) == status)


def _invalid(document: dict[str, Any], schema: dict[str, Any], example: Any) -> list[str]:
    # refs point into the document's components: give the validator a root that has them
    root = {"allOf": [schema], "components": document.get("components", {})}
    validator = OAS30Validator(root, format_checker=OAS30Validator.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(example)]


def test_every_operation_has_a_description_and_valid_examples() -> None:
    document = _document()
    assert len(list(operations(document))) > 0
    assert problems(document) == []


def test_the_check_finds_a_missing_description_a_missing_example_and_a_wrong_one() -> None:
    document = _document()
    operation_id = next(i for i, o in operations(document) if "requestBody" in o)
    broken = copy.deepcopy(document)
    target = dict(operations(broken))[operation_id]
    target.pop("description", None)
    status = next(s for s in target["responses"] if str(s).startswith("2"))
    media = _resolve(broken, target["responses"][status])["content"]["application/json"]
    media.pop("example")
    request = _resolve(broken, target["requestBody"])["content"]["application/json"]
    request["example"] = {**request["example"], "unknownField": 1}
    # a reply example of another operation with a wrong type
    other_id, other = next((i, o) for i, o in operations(broken) if i != operation_id and
                           "example" in o["responses"].get("200", {}).get("content", {}).get("application/json", {}))
    example = other["responses"]["200"]["content"]["application/json"]["example"]
    key = next(iter(example))
    example[key] = [] if not isinstance(example[key], list) else 7
    # a page example listing fewer items than its total says
    paged_id, paged = next((i, o) for i, o in operations(broken) if i not in (operation_id, other_id) and isinstance(
        o["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("example", {}).get("items"),
        list))  # fmt: skip
    paged["responses"]["200"]["content"]["application/json"]["example"]["items"].pop()
    found = problems(broken)
    assert any(p.startswith(f"{paged_id}: 200 application/json example:") and "items on a page" in p
               for p in found), found
    assert f"{operation_id}: no description (or under {MIN_DESCRIPTION} characters)" in found
    assert f"{operation_id}: {status} application/json has no example" in found
    assert any(p.startswith(f"{operation_id}: request application/json example:") and "unknownField" in p
               for p in found), found
    assert any(p.startswith(f"{other_id}: 200 application/json example: {key}:") for p in found), found
