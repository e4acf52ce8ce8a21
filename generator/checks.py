"""Cross-checks of a schema-valid spec: against openapi.yaml, each platform's limits and itself.

Works on the raw data (so error paths are the YAML's own) and collects every error.
Requests and operations: check_requests.py; cards: check_cards.py.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from generator.check_forms import FormChecks
from generator.check_menus import menu_problems
from generator.check_requests import CONTEXT, REF, json_kind
from generator.check_selects import SelectChecks
from generator.errors import Path, SpecError
from generator.openapi import OpenAPI
from generator.targets import Limit, name_problem, strictest_command, targets
from generator.yamlpos import Document
from gmbot.chat.options import (  # the prefix syntax, as the runtime reads it
    FLAG,
    TOKEN,
    described,
    parse_datetime,
)
from gmbot.chat.routes import EVENTS_OPERATION
from gmbot.spec.model import Option, Relative

OPTION_KINDS: dict[str, dict[str, Any]] = {
    "string": {"kind": "string"},
    "integer": {"kind": "integer"},
    "number": {"kind": "number"},
    "boolean": {"kind": "boolean"},
    "user": REF,
    "users": {"kind": "array"},
    "duration": {"kind": "number"},
    "integers": {"kind": "array"},
    "datetime": {"kind": "string"},  # an RFC 3339 date-time (generator/bounds.py checks the format)
}


# names the runtime answers itself on every platform: no command or alias may take them
RESERVED_NAMES = frozenset({"help"})


class Checker(SelectChecks, FormChecks):
    # ---- entry point ------------------------------------------------------------------
    def run(self) -> list[SpecError]:
        commands: dict[str, Any] = self.data.get("commands") or {}
        self.check_names(commands)
        for target in targets():
            for path, message in target.problems(self.data):
                self.error(path, message)
        most = strictest_command("commands")
        if most and len(commands) > most.value:
            self.error(("commands",), f"{len(commands)} commands: {most.platform} allows at most {most.value} global commands")
        for name, command in commands.items():
            self.check_command(name, command, ("commands", name))
        for path, message in menu_problems(self.data):  # context menus (generator/check_menus.py)
            self.error(path, message)
        defaults = self.data.get("defaults") or {}
        if defaults.get("error"):
            self.check_card(defaults["error"], ("defaults", "error"), {"reply", "options", "ctx"}, None)
        known_events = self.event_types()
        events = self.data.get("events") or {}
        if events and EVENTS_OPERATION not in self.api.operations:
            # the bot finds event cards' events by polling this operation (generated/chat/routes.py)
            self.error(("events",), f"events need the operation '{EVENTS_OPERATION}' (the feed the bot polls); openapi.yaml has none")
        for name, event in events.items():
            if known_events and name not in known_events:
                self.error(("events", name), f"unknown event '{name}': the Event schema's type is one of {', '.join(known_events)}")
            self.event_schemas = self.event_data(name, event, ("events", name))
            self.check_card(event["card"], ("events", name, "card"), {"event", "data", "ctx"}, None)
            self.event_schemas = None
            if event["card"].get("private"):
                self.error(("events", name, "card", "private"), "an event card is posted for the whole clan: "
                                                                "it cannot be private (nobody asked for it)")
        return self.errors

    def event_data(self, name: str, event: dict[str, Any], path: Path) -> tuple[Any, Any]:
        """The schemas of an event card's `event` and `data`: the Event schema of openapi.yaml
        (the variant its discriminator maps `name` to, if it has one) and the event's `data:`
        schema, else the data property of that Event schema. None where unknown."""
        schemas = (self.api.data.get("components") or {}).get("schemas") or {}
        event_schema = self.api.deref(schemas.get("Event"))
        mapping = ((event_schema or {}).get("discriminator") or {}).get("mapping") or {} \
            if isinstance(event_schema, dict) else {}
        if isinstance(mapping.get(name), str):
            event_schema = self.api.deref({"$ref": mapping[name]})
        if not isinstance(event_schema, dict):
            event_schema = None
        declared = event.get("data")
        data_schema = None
        if isinstance(declared, str):
            if declared not in schemas:
                close = difflib.get_close_matches(declared, list(schemas), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                self.error((*path, "data"), f"no schema '{declared}' in components.schemas of {self.api.doc.file}{hint}")
                return event_schema, None
            data_schema = self.api.deref(schemas[declared])
        elif event_schema is not None:
            data_schema = self.api.deref((self.object_view(event_schema)[0]).get("data"))
        if event_schema is not None and data_schema is not None:
            properties = {**self.object_view(event_schema)[0], "data": data_schema}
            event_schema = {"type": "object", "additionalProperties": False, "properties": properties}
        return event_schema, data_schema

    def event_types(self) -> list[str]:
        """The enum of `components.schemas.Event.properties.type`, when openapi.yaml has one."""
        event = self.api.deref((self.api.data.get("components") or {}).get("schemas", {}).get("Event"))
        kind = self.api.deref((event.get("properties") or {}).get("type")) if isinstance(event, dict) else None
        values = kind.get("enum") if isinstance(kind, dict) else None
        return [str(v) for v in values] if isinstance(values, list) else []

    # ---- commands ----------------------------------------------------------------------
    def check_names(self, commands: dict[str, Any]) -> None:
        """Names and aliases are unique. Every command name is taken first, so an alias that
        repeats a command's name is reported at the alias, wherever the command is written."""
        seen: dict[str, str] = {}
        words: list[tuple[Path, str, str]] = [(("commands", name), name, name) for name in commands]
        words += [(("commands", name, "aliases", i), alias, name)
                  for name, command in commands.items() for i, alias in enumerate(command.get("aliases") or [])]
        for path, word, name in words:
            if word in RESERVED_NAMES:
                what = "a command" if len(path) == 2 else "an alias"
                self.error(path, f"'{word}' cannot be {what}: the bot answers `{word}` itself")
                continue
            if word in seen:
                owner = seen[word]
                said = f"the name of command '{owner}'" if word == owner else \
                    f"already an alias of command '{owner}'"
                self.error(path, f"'{word}' is {said}" if len(path) > 2 else
                           f"'{word}' is already used by command '{owner}'")
                continue
            seen[word] = name
            problem = name_problem(word)
            if problem:
                what = "command name" if len(path) == 2 else "alias"
                self.error(path, f"{what} '{word}' {problem}")

    def check_command(self, name: str, command: dict[str, Any], path: Path) -> None:
        description = command.get("description", "")
        self.check_description(description, (*path, "description"))
        if command.get("permissions") and not command.get("roles"):
            # permissions only hide a command in a platform's list; who may run it is the
            # backend's to decide, and the spec says so in `roles` (help shows them)
            self.error((*path, "permissions"), "permissions hide the command from members who can never run it: "
                                               "name those who can in `roles:` (the backend enforces them)")
        options: dict[str, Any] = command.get("options") or {}
        most = strictest_command("options")
        if most and len(options) > most.value:
            self.error((*path, "options"), f"{len(options)} options: {most.platform} allows at most {most.value}")
        first = next((t for t in targets() if t.required_options_first), None)
        chars = len(name) + len(description)
        optional_seen = ""
        for option_name, option in options.items():
            opath = (*path, "options", option_name)
            chars += self.check_option(option_name, option, opath)
            if isinstance(option.get("autocomplete"), dict):
                self.check_autocomplete(option, (*opath, "autocomplete"))
            if option.get("long"):
                self.error((*opath, "long"), "'long' is only for a form's fields (a paragraph to type in a form)")
            if option.get("required"):
                if optional_seen and first:
                    self.error(opath, f"required option '{option_name}' comes after optional option '{optional_seen}': {first.title} lists required options first")
            elif not optional_seen:
                optional_seen = option_name
        most = strictest_command("command_chars")
        if most and chars > most.value:
            self.error(path, f"names, descriptions and choices total {chars} characters, {most.platform} allows {most.value} per command")
        for i, example in enumerate(command.get("examples") or []):
            self.check_example(name, command, example, (*path, "examples", i))
        operation = self.operation(command.get("operation"), (*path, "operation"))
        kinds = {
            n: {**self.option_kind(o), "optional": not o.get("required") and o.get("default") is None,
                "option": o, "path": (*path, "options", n)}
            for n, o in options.items()
        }
        # a form's fields fill the request as options do (generator/check_forms.py)
        kinds |= self.check_form(command.get("form"), (*path, "form"), options, None, command.get("confirm"))
        options = {**options, **{n: k["option"] for n, k in kinds.items() if n not in options}}
        if operation is not None:
            self.check_request(command.get("request") or {}, (*path, "request"), operation, kinds, CONTEXT)
        self.card_option_types = {n: str(o.get("type")) for n, o in options.items()}
        if isinstance(command.get("confirm"), dict):
            self.card_options = list(options)
            self.check_confirm(command["confirm"], (*path, "confirm"), {"options", "ctx"}, None)
        for status, card in (command.get("replies") or {}).items():
            self.check_status(status, operation, (*path, "replies", status))
            schema = operation.responses.get(status) if operation and status != "error" else None
            self.paging_here = status.startswith("2")
            self.check_card(card, (*path, "replies", status), {"reply", "options", "ctx"}, schema, operation, list(options))
            if isinstance(card.get("paging"), dict) and status.startswith("2"):
                self.check_paging(card["paging"], (*path, "replies", status, "paging"), command, schema, operation)

    def check_example(self, name: str, command: dict[str, Any], example: str, path: Path) -> None:
        """`gmbot createwar -players @P1 -game 4`: the prefix, the command, known flags, required ones."""
        prefix = str((self.data.get("bot") or {}).get("prefix", "gmbot"))
        words = example.split()
        if len(words) < 2 or words[0] != prefix or words[1] not in [name, *command.get("aliases", [])]:
            self.error(path, f"an example starts with '{prefix} {name}' (got '{example[:40]}')")
            return
        options = command.get("options") or {}
        fields = (command.get("form") or {}).get("fields") or {}  # flags too; when left out the form asks them
        tokens = TOKEN.findall(example)[2:]
        flags = [m.group(1).lower() for m in map(FLAG.fullmatch, tokens) if m]
        for flag in flags:
            if flag not in options and flag not in fields:
                self.error(path, f"unknown flag -{flag} in example (options: {', '.join([*options, *fields]) or 'none'})")
        leading = bool(tokens) and FLAG.fullmatch(tokens[0]) is None  # text before the first flag
        given = set(flags) | ({next(iter(options))} if leading and options else set())
        for option_name, option in options.items():
            if option.get("required") and option_name not in given:
                self.error(path, f"example leaves out required option -{option_name}")

    def check_description(self, description: str, path: Path) -> None:
        most: Limit | None = strictest_command("description")
        if most and len(description) > most.value:
            self.error(path, f"description is {len(description)} characters, {most.platform} allows {most.value}")

    def option_kind(self, option: dict[str, Any]) -> dict[str, Any]:
        if option.get("type") == "choice":
            values = [c.get("value") for c in option.get("choices", [])]
            kinds = {json_kind(v) for v in values}
            if kinds == {"integer"}:
                return {"kind": "integer"}
            if kinds <= {"integer", "number"} and kinds:
                return {"kind": "number"}
            return {"kind": "string"}
        return OPTION_KINDS.get(option.get("type", ""), {"kind": None})

    def check_option(self, name: str, option: dict[str, Any], path: Path) -> int:
        problem = name_problem(name)
        if problem:
            self.error(path, f"option name '{name}' {problem}")
        description = option.get("description", "")
        self.check_description(description, (*path, "description"))
        kind = option.get("type")
        choices = option.get("choices") or []
        chars = len(name) + len(description)
        if kind == "choice" and not choices:
            self.error(path, "a choice option needs 'choices'")
        if choices and kind != "choice":
            self.error((*path, "choices"), f"'choices' is only for type choice (this option is {kind})")
        most = strictest_command("choices")
        if most and len(choices) > most.value:
            self.error((*path, "choices"), f"{len(choices)} choices: {most.platform} allows at most {most.value}")
        name_most, value_most = strictest_command("choice_name"), strictest_command("choice_value")
        for i, choice in enumerate(choices):
            cname, value = str(choice.get("name", "")), choice.get("value")
            chars += len(cname) + len(str(value))
            if name_most and len(cname) > name_most.value:
                self.error((*path, "choices", i, "name"), f"choice name is {len(cname)} characters, {name_most.platform} allows {name_most.value}")
            if value_most and isinstance(value, str) and len(value) > value_most.value:
                self.error((*path, "choices", i, "value"), f"choice value is {len(value)} characters, {value_most.platform} allows {value_most.value}")
        for key in ("min", "max"):
            if key in option and kind not in {"integer", "number", "duration", "integers"}:
                self.error((*path, key), f"'{key}' is only for integer, number, duration and integers options")
        for key in ("min_length", "max_length"):
            if key in option:
                if kind != "string":
                    self.error((*path, key), f"'{key}' is only for string options")
                elif (most := strictest_command("string_length")) and option[key] > most.value:
                    self.error((*path, key), f"{key} {option[key]} is above {most.platform}'s {most.value}")
        if "min" in option and "max" in option and option["min"] > option["max"]:
            self.error((*path, "min"), f"min {option['min']} is above max {option['max']}")
        for key in ("min_items", "max_items"):
            if key in option and kind not in {"users", "integers"}:
                self.error((*path, key), f"'{key}' is only for users and integers options")
        if "min_items" in option and "max_items" in option and option["min_items"] > option["max_items"]:
            self.error((*path, "min_items"), f"min_items {option['min_items']} is above max_items {option['max_items']}")
        if "pattern" in option:
            if kind != "string":
                self.error((*path, "pattern"), "'pattern' is only for string options")
            else:
                try:
                    re.compile(option["pattern"])
                except re.error as exc:
                    self.error((*path, "pattern"), f"pattern is not a regular expression: {exc}")
        if "unit" in option and kind != "duration":
            self.error((*path, "unit"), "'unit' is only for duration options")
        if "relative" in option and kind != "datetime":
            self.error((*path, "relative"), "'relative' is only for datetime options")
        if kind == "datetime" and (most := strictest_command("description")) and \
                (typed := to_option(name, option)) is not None:
            shown = described(typed)
            if len(shown) > most.value and len(description) <= most.value:
                self.error((*path, "description"), f"description is {len(description)} characters, and a datetime "
                           f"option's shows its format after it ('{shown[len(description):]}'): "
                           f"{most.platform} allows {most.value} in all")
        if "default" in option:
            if option.get("required"):
                self.error((*path, "default"), "a required option cannot have a default")
            self.check_default(option, path)
        return chars

    def check_default(self, option: dict[str, Any], path: Path) -> None:
        kind, default = option.get("type"), option["default"]
        if default is None:
            return
        if kind == "choice":
            values = [c.get("value") for c in option.get("choices", [])]
            if default not in values:
                self.error((*path, "default"), f"default {json.dumps(default)} is not one of the choices' values {json.dumps(values)}")
            return
        expected = {"integer": (int,), "number": (int, float), "duration": (int, float, str), "boolean": (bool,),
                    "string": (str,), "integers": (list, str, int), "datetime": (str,)}.get(str(kind))
        if kind in {"user", "users"}:
            self.error((*path, "default"), f"a {kind} option cannot have a default")
        elif expected and (not isinstance(default, expected) or (isinstance(default, bool) and kind != "boolean")):
            self.error((*path, "default"), f"default {json.dumps(default)} is not a {kind}")
        elif kind == "datetime" and (why := _datetime_problem(default, option)) is not None:
            self.error((*path, "default"), f"default {json.dumps(default)} is not a date or a time from now{why}")
        elif kind == "string" and isinstance(option.get("pattern"), str) and _search(option["pattern"], default) is False:
            self.error((*path, "default"), f"default {json.dumps(default)} does not match the pattern {option['pattern']}")
        elif isinstance(default, int | float) and not isinstance(default, bool) and kind != "integers":
            low, high = option.get("min"), option.get("max")
            if (low is not None and default < low) or (high is not None and default > high):
                self.error((*path, "default"), f"default {default} is outside min/max")

    # ---- operations and requests ------------------------------------------------------------------


def to_option(name: str, option: dict[str, Any]) -> Option | None:
    """The option as the runtime reads it, or None while it is malformed (reported apart)."""
    try:
        return Option.model_validate({"name": name, **option})
    except ValueError:
        return None


def _datetime_problem(text: str, option: dict[str, Any]) -> str | None:
    """Why a datetime option's default would be refused at run time (None: it parses)."""
    try:
        parse_datetime(text, Relative(option.get("relative", "past")))
    except ValueError as error:
        return f": {error}" if str(error) else ""
    return None


def _search(pattern: str, text: str) -> bool | None:
    """Whether `pattern` finds a match in `text` (None: not a valid pattern, reported apart)."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return None


def check(spec: Document, api: OpenAPI) -> list[SpecError]:
    return Checker(spec, api).run()
