"""generated/models.py: pydantic v2 models of the OpenAPI schemas, by datamodel-code-generator.

datamodel-code-generator is most of the generator's time, and its output depends only on
openapi.yaml, its version and our options. So models.py records all three, and the hash of
its code, in a stamp line; when an existing models.py carries the same stamp and its code is
intact, that code is reused (an edited or stale models.py is always regenerated).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Passed to datamodel_code_generator.generate (names of its enums' members as strings).
OPTIONS: dict[str, Any] = {
    "input_file_type": "openapi",
    "output_model_type": "pydantic_v2.BaseModel",
    "target_python_version": "3.11",
    "disable_timestamp": True,
    "use_standard_collections": True,
    "use_union_operator": True,
    "use_schema_description": True,
    "use_double_quotes": True,
    "field_constraints": True,
    "use_annotated": True,
    "formatters": ["builtin"],
    "builtin_format_line_length": 100,
}
_STAMP = re.compile(r"^# models: (?P<inputs>\S+) code sha256:(?P<code>[0-9a-f]{64})$", re.M)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache  # reading the package metadata takes ~2 ms; it is asked for several times a run
def _version() -> str:
    from importlib.metadata import version

    return version("datamodel-code-generator")


def inputs_digest(openapi_text: str) -> str:
    """What the code depends on: openapi.yaml, the tool's version, our options."""
    version = _version()
    key = json.dumps([_sha(openapi_text), version, OPTIONS], sort_keys=True)
    return f"datamodel-code-generator-{version}:{_sha(key)[:16]}"


def stamp(openapi_text: str, code: str) -> str:
    return f"# models: {inputs_digest(openapi_text)} code sha256:{_sha(code)}"


def generate_models(openapi: str | Mapping[str, Any]) -> str:
    """Run datamodel-code-generator as a library; reproducible (no timestamp, builtin formatter).

    `openapi` is the document's text, or the document already parsed (the generator passes
    its own parse: the same code, without datamodel-code-generator's slower YAML parser).
    """
    from datamodel_code_generator import (
        DataModelType,
        Formatter,
        InputFileType,
        PythonVersion,
        generate,
    )

    options = {
        **OPTIONS,
        "input_file_type": InputFileType(OPTIONS["input_file_type"]),
        "output_model_type": DataModelType(OPTIONS["output_model_type"]),
        "target_python_version": PythonVersion(OPTIONS["target_python_version"]),
        "formatters": [Formatter(f) for f in OPTIONS["formatters"]],
    }
    code = generate(openapi, **options)
    if not isinstance(code, str):  # pragma: no cover - only for multi-module output
        raise TypeError("datamodel-code-generator returned several modules")
    return re.sub(r"\A(#[^\n]*\n)+\n*", "", code)  # its own header: ours replaces it


def reusable(existing: Path, openapi_text: str) -> str | None:
    """The code of an existing models.py made from the same inputs and not edited since."""
    try:
        text = existing.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    match = _STAMP.search(text)
    if match is None or match["inputs"] != inputs_digest(openapi_text):
        return None
    code = text[match.end() + 1 :]
    return code if _sha(code) == match["code"] else None


def models_code(existing: Path, openapi_text: str, document: Mapping[str, Any] | None = None) -> str:
    """The models of `openapi_text` (parsed as `document`), reusing `existing` when it is intact."""
    reused = reusable(existing, openapi_text)
    if reused is not None:
        return reused
    # a copy: datamodel-code-generator must not change the document the generator goes on using
    return generate_models(openapi_text if document is None else json.loads(json.dumps(document, default=str)))
