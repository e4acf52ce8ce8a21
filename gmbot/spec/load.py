"""Load a bot spec: a generated `spec.json`, or a `commands.yaml` directly.

`spec.json` (written by `gmbot generate`) is the validated `BotSpec` as JSON; the
runtime reads it. Reading the YAML here (not validated against openapi.yaml) is a
convenience for tests and for running before anything is generated; the generator
turns the YAML it has checked into the model with `to_bot_spec` too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from gmbot.spec.model import BotSpec


def _named(mapping: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [{"name": name, **(value or {})} for name, value in (mapping or {}).items()]


def to_bot_spec(data: dict[str, Any]) -> BotSpec:
    """A spec document (the YAML's data) as the model: `commands`, `options` and `events`
    are mappings in YAML and named lists in the model."""
    commands = []
    for command in _named(data.get("commands")):
        command["options"] = _named(command.get("options"))
        commands.append(command)
    raw = {**data, "commands": commands, "events": _named(data.get("events"))}
    return BotSpec.model_validate(raw)


def load_spec_yaml(path: Path) -> BotSpec:
    return to_bot_spec(yaml.safe_load(path.read_text(encoding="utf-8")))


def load_spec_json(path: Path) -> BotSpec:
    return BotSpec.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_spec(path: Path) -> BotSpec:
    """The spec at `path`: JSON (generated) or YAML (a source)."""
    if path.suffix in {".yaml", ".yml"}:
        return load_spec_yaml(path)
    return load_spec_json(path)
