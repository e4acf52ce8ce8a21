"""The JSON Schema of the spec language and the typed model (gmbot/spec/model.py) must agree."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from generator.schema_check import schema
from generator.yamlpos import load
from gmbot.spec import model
from tests.generator.gen_support import FIXTURES

DEFS = schema()["$defs"]


def _at(path: str) -> dict[str, Any]:
    node: Any = schema()
    for part in path.split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return dict(node)


# model class -> (schema location, model fields that YAML spells as mapping keys or adds itself)
PAIRS: list[tuple[type[model.BaseModel], str, set[str]]] = [
    (model.BotSpec, "properties", {"generated_by"}),
    (model.BotSettings, "$defs/bot/properties", set()),
    (model.Defaults, "properties/defaults/properties", set()),
    (model.Command, "$defs/command/properties", {"name"}),
    (model.Option, "$defs/option/properties", {"name"}),
    (model.Choice, "$defs/option/properties/choices/items/properties", set()),
    (model.Request, "$defs/request/properties", set()),
    (model.Card, "$defs/card/properties", set()),
    (model.CardField, "$defs/card/properties/fields/items/properties", set()),
    (model.Button, "$defs/card/properties/buttons/items/properties", set()),
    (model.Paging, "$defs/card/properties/paging/properties", set()),
    (model.Select, "$defs/card/properties/selects/items/properties", set()),
    (model.SelectOption, "$defs/card/properties/selects/items/properties/options/items/properties", set()),
    (model.Confirm, "$defs/confirm/properties", set()),
    (model.Form, "$defs/form/properties", set()),
    (model.Autocomplete, "$defs/option/properties/autocomplete/properties", set()),
    (model.CardImage, "$defs/picture/oneOf/1/properties", set()),
    (model.EventSpec, "$defs/event/properties", {"name"}),
]


@pytest.mark.parametrize(("cls", "where", "implicit"), PAIRS, ids=[p[0].__name__ for p in PAIRS])
def test_schema_has_exactly_the_model_fields(cls: type[model.BaseModel], where: str, implicit: set[str]) -> None:
    assert set(_at(where)) == set(cls.model_fields) - implicit


@pytest.mark.parametrize(
    ("enum", "where"),
    [(model.OptionType, "$defs/option/properties/type"), (model.DurationUnit, "$defs/option/properties/unit"),
     (model.ButtonStyle, "$defs/card/properties/buttons/items/properties/style"),
     (model.EventTarget, "$defs/event/properties/post_to"),
     (model.SelectType, "$defs/card/properties/selects/items/properties/type")],
)
def test_schema_enums_match_the_model(enum: type[Any], where: str) -> None:
    assert _at(where)["enum"] == [member.value for member in enum]


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("bot", ["gmbot", "attendance"])
def test_fixture_specs_are_valid(bot: str) -> None:
    doc, errors = load("commands.yaml", (FIXTURES / bot / "commands.yaml").read_text())
    assert not errors
    jsonschema.Draft202012Validator(schema()).validate(doc.data)
