"""Load a bot spec: a generated `spec.json`, or a `commands.yaml` directly.

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


def load_spec_yaml(path: Path) -> BotSpec:
    return to_bot_spec(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_spec_json(path: Path) -> BotSpec:
    return BotSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: Path) -> BotSpec:
    """The spec at `path`: JSON (generated) or YAML (a source)."""
    if path.suffix in {".yaml", ".yml"}:
        return load_spec_yaml(path)
    return load_spec_json(path)
