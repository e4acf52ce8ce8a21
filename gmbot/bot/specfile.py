"""Load a bot spec: the generated `spec.json`, or `specs/commands.yaml` directly.

`spec.json` (written by `gmbot generate`) is the validated `BotSpec` as JSON; the
runtime reads it. Reading the YAML here (not validated against openapi.yaml) is a
convenience for tests and for running before anything is generated.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gmbot.spec.document import to_bot_spec
from gmbot.spec.model import BotSpec

ROOT = Path(__file__).resolve().parents[2]
SPEC_JSON = ROOT / "generated" / "bot" / "spec.json"
SPEC_YAML = ROOT / "specs" / "commands.yaml"


def load_spec_yaml(path: Path = SPEC_YAML) -> BotSpec:
    return to_bot_spec(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_spec_json(path: Path = SPEC_JSON) -> BotSpec:
    return BotSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: Path | None = None) -> BotSpec:
    """The spec at `path` (JSON or YAML), else the generated one, else the YAML source."""
    if path is None:
        path = SPEC_JSON if SPEC_JSON.exists() else SPEC_YAML
    if path.suffix in {".yaml", ".yml"}:
        return load_spec_yaml(path)
    return load_spec_json(path)
