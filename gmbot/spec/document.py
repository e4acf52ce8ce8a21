"""Turn a spec document (the YAML of `specs/commands.yaml`) into the typed `BotSpec`.

Shared by the generator (after its schema and cross-checks) and the bot runtime.
"""

from __future__ import annotations

from typing import Any

from gmbot.spec.model import BotSpec


def _named(mapping: dict[str, Any] | None) -> list[dict[str, Any]]:
    return [{"name": name, **(value or {})} for name, value in (mapping or {}).items()]


def to_bot_spec(data: dict[str, Any]) -> BotSpec:
    """`commands`, `options` and `events` are mappings in YAML and named lists in the model."""
    commands = []
    for command in _named(data.get("commands")):
        command["options"] = _named(command.get("options"))
        commands.append(command)
    raw = {**data, "commands": commands, "events": _named(data.get("events"))}
    return BotSpec.model_validate(raw)
