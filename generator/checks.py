"""Cross-checks of a schema-valid spec: against openapi.yaml, Discord's limits and itself.

Works on the raw data (so error paths are the YAML's own) and collects every error.
"""

from __future__ import annotations

import json
from typing import Any

import jinja2

from generator import limits
from generator.errors import Path, SpecError
from generator.openapi import RUNTIME_HEADERS, OpenAPI, Operation
from generator.template_scan import GLOBALS, analyse
from generator.yamlpos import Document

CONTEXT = {"server", "channel", "author", "mentions"}
BUTTON_CONTEXT = CONTEXT | {"event", "reply", "data"}
DEFAULT_COLORS = {"info", "success", "warning", "error"}
REF = {"kind": "object", "attrs": {"id": "string", "name": "string"}}
OPTION_KINDS: dict[str, dict[str, Any]] = {
    "string": {"kind": "string"},
    "integer": {"kind": "integer"},
    "number": {"kind": "number"},
    "boolean": {"kind": "boolean"},
    "user": REF,
    "users": {"kind": "array"},
    "duration": {"kind": "number"},
    "integers": {"kind": "array"},
}
CONTEXT_KINDS: dict[str, dict[str, Any]] = {
    "server": REF,
    "channel": REF,
    "author": REF,
    "mentions": {"kind": "array"},
}


class Checker:
    def __init__(self, spec: Document, api: OpenAPI) -> None:
        self.spec = spec
        self.api = api
        self.errors: list[SpecError] = []
        data = spec.data if isinstance(spec.data, dict) else {}
        self.data = data
        bot = data.get("bot") or {}
        self.colors = set(bot["colors"]) if "colors" in bot else DEFAULT_COLORS

    def error(self, path: Path, message: str) -> None:
        self.errors.append(self.spec.error(path, message))

    # ---- entry point ------------------------------------------------------------------
    def run(self) -> list[SpecError]:
        commands: dict[str, Any] = self.data.get("commands") or {}
        self.check_names(commands)
        if len(commands) > limits.GLOBAL_COMMANDS_MAX:
            self.error(("commands",), f"{len(commands)} commands: Discord allows at most {limits.GLOBAL_COMMANDS_MAX} global commands")
        for name, command in commands.items():
            self.check_command(name, command, ("commands", name))
        defaults = self.data.get("defaults") or {}
        if defaults.get("error"):
            self.check_card(defaults["error"], ("defaults", "error"), {"reply", "options", "ctx"}, None)
        known_events = self.event_types()
        for name, event in (self.data.get("events") or {}).items():
            if known_events and name not in known_events:
                self.error(("events", name), f"unknown event '{name}': the Event schema's type is one of {', '.join(known_events)}")
            self.check_card(event["card"], ("events", name, "card"), {"event", "data", "ctx"}, None)
        return self.errors

    def event_types(self) -> list[str]:
        """The enum of `components.schemas.Event.properties.type`, when openapi.yaml has one."""
        event = self.api.deref((self.api.data.get("components") or {}).get("schemas", {}).get("Event"))
        kind = self.api.deref((event.get("properties") or {}).get("type")) if isinstance(event, dict) else None
        values = kind.get("enum") if isinstance(kind, dict) else None
        return [str(v) for v in values] if isinstance(values, list) else []

    # ---- commands ----------------------------------------------------------------------
    def check_names(self, commands: dict[str, Any]) -> None:
        seen: dict[str, str] = {}
        for name, command in commands.items():
            for path, word in [(("commands", name), name)] + [
                (("commands", name, "aliases", i), a) for i, a in enumerate(command.get("aliases", []))
            ]:
                if word in seen:
                    self.error(path, f"'{word}' is already used by command '{seen[word]}'")
                    continue
                seen[word] = name
                problem = limits.name_problem(word)
                if problem:
                    what = "command name" if len(path) == 2 else "alias"
                    self.error(path, f"{what} '{word}' {problem}")

    def check_command(self, name: str, command: dict[str, Any], path: Path) -> None:
        description = command.get("description", "")
        if len(description) > limits.DESCRIPTION_MAX:
            self.error((*path, "description"), f"description is {len(description)} characters, Discord allows {limits.DESCRIPTION_MAX}")
        options: dict[str, Any] = command.get("options") or {}
        if len(options) > limits.OPTIONS_MAX:
            self.error((*path, "options"), f"{len(options)} options: Discord allows at most {limits.OPTIONS_MAX}")
        chars = len(name) + len(description)
        optional_seen = ""
        for option_name, option in options.items():
            opath = (*path, "options", option_name)
            chars += self.check_option(option_name, option, opath)
            if option.get("required"):
                if optional_seen:
                    self.error(opath, f"required option '{option_name}' comes after optional option '{optional_seen}': Discord lists required options first")
            elif not optional_seen:
                optional_seen = option_name
        if chars > limits.COMMAND_CHARS_MAX:
            self.error(path, f"names, descriptions and choices total {chars} characters, Discord allows {limits.COMMAND_CHARS_MAX} per command")
        operation = self.operation(command.get("operation"), (*path, "operation"))
        kinds = {
            n: {**self.option_kind(o), "optional": not o.get("required") and o.get("default") is None}
            for n, o in options.items()
        }
        if operation is not None:
            self.check_request(command.get("request") or {}, (*path, "request"), operation, kinds, CONTEXT)
        for status, card in (command.get("replies") or {}).items():
            self.check_status(status, operation, (*path, "replies", status))
            schema = operation.responses.get(status) if operation and status != "error" else None
            self.check_card(card, (*path, "replies", status), {"reply", "options", "ctx"}, schema, operation)

    def option_kind(self, option: dict[str, Any]) -> dict[str, Any]:
        if option.get("type") == "choice":
            values = [c.get("value") for c in option.get("choices", [])]
            kinds = {_json_kind(v) for v in values}
            if kinds == {"integer"}:
                return {"kind": "integer"}
            if kinds <= {"integer", "number"} and kinds:
                return {"kind": "number"}
            return {"kind": "string"}
        return OPTION_KINDS.get(option.get("type", ""), {"kind": None})

    def check_option(self, name: str, option: dict[str, Any], path: Path) -> int:
        problem = limits.name_problem(name)
        if problem:
            self.error(path, f"option name '{name}' {problem}")
        description = option.get("description", "")
        if len(description) > limits.DESCRIPTION_MAX:
            self.error((*path, "description"), f"description is {len(description)} characters, Discord allows {limits.DESCRIPTION_MAX}")
        kind = option.get("type")
        choices = option.get("choices") or []
        chars = len(name) + len(description)
        if kind == "choice" and not choices:
            self.error(path, "a choice option needs 'choices'")
        if choices and kind != "choice":
            self.error((*path, "choices"), f"'choices' is only for type choice (this option is {kind})")
        if len(choices) > limits.CHOICES_MAX:
            self.error((*path, "choices"), f"{len(choices)} choices: Discord allows at most {limits.CHOICES_MAX}")
        for i, choice in enumerate(choices):
            cname, value = str(choice.get("name", "")), choice.get("value")
            chars += len(cname) + len(str(value))
            if len(cname) > limits.CHOICE_NAME_MAX:
                self.error((*path, "choices", i, "name"), f"choice name is {len(cname)} characters, Discord allows {limits.CHOICE_NAME_MAX}")
            if isinstance(value, str) and len(value) > limits.CHOICE_VALUE_MAX:
                self.error((*path, "choices", i, "value"), f"choice value is {len(value)} characters, Discord allows {limits.CHOICE_VALUE_MAX}")
        for key in ("min", "max"):
            if key in option and kind not in {"integer", "number", "duration", "integers"}:
                self.error((*path, key), f"'{key}' is only for integer, number, duration and integers options")
        for key in ("min_length", "max_length"):
            if key in option:
                if kind != "string":
                    self.error((*path, key), f"'{key}' is only for string options")
                elif option[key] > limits.STRING_MAX_LENGTH:
                    self.error((*path, key), f"{key} {option[key]} is above Discord's {limits.STRING_MAX_LENGTH}")
        if "min" in option and "max" in option and option["min"] > option["max"]:
            self.error((*path, "min"), f"min {option['min']} is above max {option['max']}")
        if "unit" in option and kind != "duration":
            self.error((*path, "unit"), "'unit' is only for duration options")
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
                    "string": (str,), "integers": (list, str, int)}.get(str(kind))
        if kind in {"user", "users"}:
            self.error((*path, "default"), f"a {kind} option cannot have a default")
        elif expected and (not isinstance(default, expected) or (isinstance(default, bool) and kind != "boolean")):
            self.error((*path, "default"), f"default {json.dumps(default)} is not a {kind}")
        elif isinstance(default, int | float) and not isinstance(default, bool) and kind != "integers":
            low, high = option.get("min"), option.get("max")
            if (low is not None and default < low) or (high is not None and default > high):
                self.error((*path, "default"), f"default {default} is outside min/max")

    # ---- operations and requests ------------------------------------------------------------------
    def operation(self, operation_id: Any, path: Path) -> Operation | None:
        if not isinstance(operation_id, str):
            return None
        operation = self.api.operations.get(operation_id)
        if operation is None and self.api.operations:
            hint = _closest(operation_id, list(self.api.operations))
            self.error(path, f"unknown operation '{operation_id}' in {self.api.doc.file}" + (f" (did you mean '{hint}'?)" if hint else ""))
        elif operation is None:
            self.error(path, f"unknown operation '{operation_id}': {self.api.doc.file} has no operations")
        return operation

    def check_status(self, status: str, operation: Operation | None, path: Path) -> None:
        if status == "error" or operation is None:
            return
        if status not in operation.responses:
            known = ", ".join(sorted(operation.responses))
            self.error(path, f"operation {operation.operation_id} has no response {status} (it has: {known})")

    def check_request(self, request: dict[str, Any], path: Path, operation: Operation,
                      kinds: dict[str, dict[str, Any]], roots: set[str]) -> None:
        refs = {**{r: CONTEXT_KINDS.get(r, {"kind": None}) for r in roots}, **kinds}
        op = operation.operation_id
        for location in ("path", "query", "headers"):
            where = "header" if location == "headers" else location
            given: dict[str, Any] = request.get(location) or {}
            params = {p.name.lower() if where == "header" else p.name: p for p in operation.parameters if p.location == where}
            for key, value in given.items():
                param = params.get(key.lower() if where == "header" else key)
                if param is None:
                    known = ", ".join(sorted(p.name for p in params.values())) or "none"
                    self.error((*path, location, key), f"operation {op} has no {where} parameter '{key}' (it has: {known})")
                    continue
                self.check_value(value, (*path, location, key), param.schema, refs, f"{where} parameter '{key}' of {op}")
                if param.required:
                    self.check_always_given(value, (*path, location, key), refs, f"required {where} parameter '{key}' of {op}")
            for param in params.values():
                filled = any(k.lower() == param.name.lower() for k in given)
                if param.required and not filled and not (where == "header" and param.name.lower() in RUNTIME_HEADERS):
                    self.error((*path, location) if location in request else path,
                               f"required {where} parameter '{param.name}' of {op} is not filled (add request.{location}.{param.name})")
        body = request.get("body")
        if operation.body_schema is None:
            if body is not None:
                self.error((*path, "body"), f"operation {op} takes no request body")
            return
        if body is None:
            if operation.body_required:
                fields = ", ".join(self.object_view(operation.body_schema)[0]) or "?"
                self.error(path, f"operation {op} needs a request body (fields: {fields}); add request.body")
            return
        self.check_value(body, (*path, "body"), operation.body_schema, refs, f"the body of {op}")

    def object_view(self, schema: Any) -> tuple[dict[str, Any], list[str], bool]:
        """(properties, required, open) of an object schema, allOf merged."""
        schema = self.api.deref(schema)
        if not isinstance(schema, dict):
            return {}, [], True
        properties = dict(schema.get("properties") or {})
        required = list(schema.get("required") or [])
        is_open = not properties or schema.get("additionalProperties") not in (None, False)
        for part in schema.get("allOf") or []:
            p, r, o = self.object_view(part)
            properties.update(p)
            required += r
            is_open = is_open and o
        if schema.get("oneOf") or schema.get("anyOf"):
            is_open = True
        return properties, required, is_open

    def check_value(self, value: Any, path: Path, schema: Any, refs: dict[str, dict[str, Any]], what: str) -> None:
        schema = self.api.deref(schema) or {}
        expected = schema.get("type") if isinstance(schema, dict) else None
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            kind = self.reference_kind(value, path, refs)
            if kind is not None and expected and not _fits(kind, expected):
                self.error(path, f"{value} gives {_a(kind)}, but {what} is {_a(expected)}" + _hint(value, kind, expected))
            return
        if isinstance(value, dict):
            if expected not in (None, "object"):
                self.error(path, f"a mapping is given, but {what} is {_a(expected)}")
                return
            properties, required, is_open = self.object_view(schema)
            for key, item in value.items():
                if key not in properties and not is_open:
                    known = ", ".join(properties)
                    self.error((*path, key), f"{what} has no field '{key}' (fields: {known})")
                    continue
                self.check_value(item, (*path, key), properties.get(key, {}), refs, f"field '{key}' of {what}")
            for key in required:
                if key not in value:
                    self.error(path, f"required field '{key}' of {what} is not filled")
                else:
                    self.check_always_given(value[key], (*path, key), refs, f"required field '{key}' of {what}")
            return
        if isinstance(value, list):
            if expected not in (None, "array"):
                self.error(path, f"a list is given, but {what} is {_a(expected)}")
                return
            items = schema.get("items", {}) if isinstance(schema, dict) else {}
            for i, item in enumerate(value):
                self.check_value(item, (*path, i), items, refs, f"an item of {what}")
            return
        if value is None or not expected:
            return
        kind = _json_kind(value)
        if not _fits(kind, expected):
            self.error(path, f"{json.dumps(value)} is {_a(kind)}, but {what} is {_a(expected)}")

    def check_always_given(self, value: Any, path: Path, refs: dict[str, dict[str, Any]], what: str) -> None:
        """A required value must not come from an option the user may leave out."""
        if isinstance(value, str) and value.startswith("$") and not value.startswith("$$"):
            root = value[1:].split(".")[0].split("[")[0]
            if refs.get(root, {}).get("optional"):
                self.error(path, f"{what} comes from option '{root}', which may be left out: make it required or give it a default")

    def reference_kind(self, value: str, path: Path, refs: dict[str, dict[str, Any]]) -> str | None:
        text = value[1:]
        root, _, rest = text.partition(".")
        root = root.split("[")[0]
        if root not in refs:
            options = sorted(r for r in refs if r not in CONTEXT and r not in BUTTON_CONTEXT)
            context = sorted(r for r in refs if r in CONTEXT or r in BUTTON_CONTEXT)
            self.error(path, f"unknown reference '${root}' (options: {', '.join(options) or 'none'}; context: {', '.join(context)})")
            return None
        info = refs[root]
        if not rest:
            kind: str | None = info.get("kind")
            return kind
        attrs = info.get("attrs")
        if attrs is None:
            return None
        attr = rest.split(".")[0]
        if attr not in attrs:
            self.error(path, f"${root} has no attribute '{attr}' (it has: {', '.join(attrs)})")
            return None
        return str(attrs[attr]) if "." not in rest else None

    # ---- cards ------------------------------------------------------------------------------
    def check_card(self, card: dict[str, Any], path: Path, names: set[str], schema: Any,
                   operation: Operation | None = None) -> None:
        reply_fields: set[str] | None = None
        if schema is not None:
            properties, _, is_open = self.object_view(schema)
            reply_fields = None if is_open else set(properties)
        color = card.get("color")
        if isinstance(color, str) and not color.startswith("#") and color not in self.colors:
            self.error((*path, "color"), f"unknown colour '{color}' (bot.colors has: {', '.join(sorted(self.colors))}; or use #rrggbb)")
        for key, limit in (("title", limits.TITLE_MAX), ("description", limits.CARD_DESCRIPTION_MAX),
                           ("footer", limits.FOOTER_MAX), ("url", 2048)):
            if isinstance(card.get(key), str):
                self.check_template(card[key], (*path, key), names, reply_fields, limit, operation)
        fields = card.get("fields") or []
        fixed = [f for f in fields if not f.get("each")]
        if len(fixed) > limits.FIELDS_MAX:
            self.error((*path, "fields"), f"{len(fixed)} fixed fields: Discord allows at most {limits.FIELDS_MAX} per embed")
        for i, field in enumerate(fields):
            fpath = (*path, "fields", i)
            scope = set(names)
            if field.get("each"):
                self.check_template("{{ " + field["each"] + " }}", (*fpath, "each"), names, reply_fields, None, operation)
                scope |= {"item", "loop"}
            self.check_template(field.get("name", ""), (*fpath, "name"), scope, reply_fields, limits.FIELD_NAME_MAX, operation)
            self.check_template(field.get("value", ""), (*fpath, "value"), scope, reply_fields, limits.FIELD_VALUE_MAX, operation)
        buttons = card.get("buttons") or []
        if len(buttons) > limits.BUTTONS_MAX:
            self.error((*path, "buttons"), f"{len(buttons)} buttons: Discord allows at most {limits.BUTTONS_MAX} (5 rows of 5)")
        for i, button in enumerate(buttons):
            bpath = (*path, "buttons", i)
            self.check_template(button.get("label", ""), (*bpath, "label"), names, reply_fields, limits.BUTTON_LABEL_MAX, operation)
            target = self.operation(button.get("operation"), (*bpath, "operation"))
            if target is None:
                continue
            self.check_request(button.get("request") or {}, (*bpath, "request"), target, {}, BUTTON_CONTEXT)
            for status, reply_card in (button.get("replies") or {}).items():
                self.check_status(status, target, (*bpath, "replies", status))
                rschema = target.responses.get(status) if status != "error" else None
                self.check_card(reply_card, (*bpath, "replies", status), {"reply", "event", "data", "ctx"}, rschema, target)

    def check_template(self, source: str, path: Path, names: set[str], reply_fields: set[str] | None,
                       limit: int | None, operation: Operation | None) -> None:
        if "{" not in source:  # plain text: nothing to parse
            if limit is not None and len(source) > limit:
                self.error(path, f"{len(source)} characters of fixed text, Discord allows {limit}")
            return
        try:
            static, used, attributes = analyse(source)
        except jinja2.TemplateSyntaxError as exc:
            self.error(path, f"template error: {exc.message}")
            return
        if limit is not None and static > limit:
            self.error(path, f"{static} characters of fixed text, Discord allows {limit}")
        unknown = sorted(used - names - set(GLOBALS))
        if unknown:
            self.error(path, f"unknown name '{unknown[0]}' in template (available: {', '.join(sorted(names))})")
        if reply_fields is None or "reply" not in names:
            return
        for name in sorted(attributes):
            if name not in reply_fields:
                where = f" of {operation.operation_id}" if operation else ""
                self.error(path, f"reply has no field '{name}' in the response{where} (fields: {', '.join(sorted(reply_fields))})")


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _fits(kind: str, expected: str) -> bool:
    return kind == expected or (kind == "integer" and expected == "number")


def _a(kind: str | None) -> str:
    names = {"object": "an object", "array": "a list", "integer": "an integer", "number": "a number",
             "string": "a string", "boolean": "a boolean", "null": "null"}
    return names.get(str(kind), str(kind))


def _hint(value: str, kind: str, expected: str) -> str:
    if kind == "object" and expected == "string":
        return f" (use {value}.id)"
    return ""


def _closest(word: str, candidates: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(word, candidates, n=1)
    return match[0] if match else None


def check(spec: Document, api: OpenAPI) -> list[SpecError]:
    return Checker(spec, api).run()
