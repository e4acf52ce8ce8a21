"""Load a bot spec: the generated `spec.json`, or `specs/commands.yaml` directly.

`spec.json` (written by `gmbot generate`) is the validated `BotSpec` as JSON; the
runtime reads it. Reading the YAML here is a convenience for tests and the
playground before anything is generated: the spec language writes `commands:`,
`options:` and `events:` as mappings from name to definition, which become the
model's lists with `name` taken from the key (declared order kept).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gmbot.spec.model import BotSpec

ROOT = Path(__file__).resolve().parents[2]
SPEC_JSON = ROOT / "generated" / "bot" / "spec.json"
SPEC_YAML = ROOT / "specs" / "commands.yaml"


def _named(mapping: Any) -> Any:
    """`{name: definition}` -> `[{name, **definition}]`; lists are left alone."""
    if not isinstance(mapping, dict):
        return mapping
    return [{"name": str(name), **(definition or {})} for name, definition in mapping.items()]


def spec_from_document(document: dict[str, Any]) -> BotSpec:
    doc = dict(document)
    commands = []
    for command in _named(doc.get("commands", [])):
        command = dict(command)
        if "options" in command:
            command["options"] = _named(command["options"])
        commands.append(command)
    doc["commands"] = commands
    if "events" in doc:
        doc["events"] = _named(doc["events"])
    return BotSpec.model_validate(doc)


def load_spec_yaml(path: Path = SPEC_YAML) -> BotSpec:
    return spec_from_document(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_spec_json(path: Path = SPEC_JSON) -> BotSpec:
    return BotSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: Path | None = None) -> BotSpec:
    """The spec at `path` (JSON or YAML), else the generated one, else the YAML source."""
    if path is None:
        path = SPEC_JSON if SPEC_JSON.exists() else SPEC_YAML
    if path.suffix in {".yaml", ".yml"}:
        return load_spec_yaml(path)
    return load_spec_json(path)
