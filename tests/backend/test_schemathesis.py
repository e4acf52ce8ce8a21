"""A bounded schemathesis run over every operation: no 5xx, every reply conforms to openapi.yaml.

Positive and negative (schema-violating) cases, a few examples per operation, with a
valid key and `client` header (the rest of each request is generated). About 30 s.
"""

from __future__ import annotations

import os
from typing import Any

import httpx
import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.backend.backend_support import Api, setup_clan
from tests.backend.conftest import Backend
from tests.support import ROOT

EXAMPLES = int(os.environ.get("GMBOT_SCHEMATHESIS_EXAMPLES", "12"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(backend: Backend) -> list[Any]:
    document = httpx.get(f"{backend.url}/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    return [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]


def _declared_operations() -> int:
    """How many operations openapi.yaml declares (read from the source, so a new one counts)."""
    paths = yaml.safe_load((ROOT / "openapi.yaml").read_text(encoding="utf-8"))["paths"]
    methods = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
    return sum(1 for item in paths.values() for method in item if method in methods)


@pytest.mark.slow
@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
def test_schemathesis_all_operations(backend: Backend, api: Api, mode: GenerationMode) -> None:
    setup_clan(api, "Fuzz")  # some data to find
    auth = {"x-api-key": api.key.key, "client": api.key.client}
    failures: list[str] = []
    operations = _operations(backend)
    assert len(operations) == _declared_operations()  # every operation of openapi.yaml
    with httpx.Client(base_url=backend.url, timeout=10) as session:
        for operation in operations:
            query = {"wait": 0} if operation.path == "/events" else None
            strategy = operation.as_strategy(generation_mode=mode, headers=auth, query=query)

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def run(case: Any) -> None:
                kwargs = case.as_transport_kwargs(base_url=backend.url)
                kwargs["headers"] = {**(kwargs.get("headers") or {}), **auth}
                try:
                    response = session.request(
                        **{k: v for k, v in kwargs.items() if k in _HTTPX_ARGS}
                    )
                except (httpx.InvalidURL, httpx.LocalProtocolError, UnicodeEncodeError):
                    return  # not sendable over HTTP at all
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                continue  # nothing to vary (GET /health in negative mode)
            except Exception as exc:  # collect every operation's failure, then report all
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert not failures, "\n\n".join(failures)


_HTTPX_ARGS = {"method", "url", "headers", "params", "json", "content", "data", "files", "cookies"}
