"""generated/models.py: pydantic v2 models of the OpenAPI schemas, by datamodel-code-generator."""

from __future__ import annotations

from typing import Any


def generate_models(openapi_text: str) -> str:
    """Run datamodel-code-generator as a library; reproducible (no timestamp, builtin formatter)."""
    from datamodel_code_generator import (
        DataModelType,
        Formatter,
        InputFileType,
        PythonVersion,
        generate,
    )

    options: dict[str, Any] = {
        "input_file_type": InputFileType.OpenAPI,
        "output_model_type": DataModelType.PydanticV2BaseModel,
        "target_python_version": PythonVersion.PY_311,
        "disable_timestamp": True,
        "use_standard_collections": True,
        "use_union_operator": True,
        "use_schema_description": True,
        "use_double_quotes": True,
        "field_constraints": True,
        "use_annotated": True,
        "formatters": [Formatter.BUILTIN],
        "builtin_format_line_length": 100,
    }
    code = generate(openapi_text, **options)
    if not isinstance(code, str):  # pragma: no cover - only for multi-module output
        raise TypeError("datamodel-code-generator returned several modules")
    return code
