"""Checks of cards: every target platform's static limits, colours, templates, and `reply.x`
against the schema."""

from __future__ import annotations

import difflib
from typing import Any

import jinja2

from generator.check_images import check_picture
from generator.check_requests import CONTEXT, CONTEXT_KINDS, RequestChecks, _a
from generator.errors import Path
from generator.openapi import Operation
from generator.targets import Limit, strictest
from generator.template_scan import (
    GLOBALS,
    analyse,
    command_calls,
    each_chain,
    each_literal,
    method_reads,
    unsafe_reads,
)


class CardChecks(RequestChecks):
    def check_confirm(self, confirm: dict[str, Any], path: Path, names: set[str],
                      request: dict[str, Any] | None) -> None:
        """generator/check_confirm.py"""

    def form_kinds(self, button: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
        """generator/check_forms.py: a button's form fields as request kinds, checked"""
        return {}

    card_options: list[str] | None = None  # the option names of the command whose card is checked
    card_option_types: dict[str, str] | None = None  # and their types
    # while an event card is checked: the schemas of `event` and of its `data` (None: unknown)
    event_schemas: tuple[Any, Any] | None = None

    def roots(self, reply_schema: Any) -> dict[str, Any]:
        """The schema of each name a template or a button reads, where known."""
        found: dict[str, Any] = {"reply": reply_schema}
        if self.event_schemas is not None:
            found["event"], found["data"] = self.event_schemas
        return found
    paging_here = False  # the card checked next is a command's success reply, which may page

    def check_card(self, card: dict[str, Any], path: Path, names: set[str], schema: Any,
                   operation: Operation | None = None, options: list[str] | None = None) -> None:
        """`options`: the command's option names (`options.x` is checked against them), or None
        where `options` is not one command's (defaults.error)."""
        reply_fields = schema  # the response schema `reply.x.y` is checked against
        self.card_options = options
        if options is None:
            self.card_option_types = None
        if card.get("paging") is not None and not self.paging_here:
            self.error((*path, "paging"), "paging is for a command's success reply (a 2xx card): a page button "
                                          "runs the command again")
        self.paging_here = False  # a button's reply cards below are not the command's
        color = card.get("color")
        if isinstance(color, str) and not color.startswith("#") and color not in self.colors:
            self.error((*path, "color"), f"unknown colour '{color}' (bot.colors has: {', '.join(sorted(self.colors))}; or use #rrggbb)")
        for key in ("title", "description", "footer", "url", "image", "thumbnail"):
            if isinstance(card.get(key), dict):  # a picture from an operation (generator/check_images.py)
                check_picture(self, card[key], (*path, key), names, reply_fields)
            elif isinstance(card.get(key), str):
                limit = strictest("url" if key in ("image", "thumbnail") else key)  # a picture's address is a URL
                self.check_template(card[key], (*path, key), names, reply_fields, limit, operation)
        fields = card.get("fields") or []
        fixed = [f for f in fields if not f.get("each")]
        most = strictest("fields")
        if len(fixed) > most.value:
            self.error((*path, "fields"), f"{len(fixed)} fixed fields: {most.platform} allows at most {most.value} per card")
        for i, field in enumerate(fields):
            fpath = (*path, "fields", i)
            scope = set(names)
            item_schema = None
            if field.get("each"):
                self.check_template("{{ " + field["each"] + " }}", (*fpath, "each"), names, reply_fields, None, operation)
                scope |= {"item", "loop"}
                item_schema = self.item_schema(field["each"], reply_fields, (*fpath, "each"), names)
            for key in ("name", "value"):
                self.check_template(field.get(key, ""), (*fpath, key), scope, reply_fields, strictest(f"field_{key}"),
                                    operation, item_schema)
        for platform, override in (card.get("platforms") or {}).items():
            # an override's parts are checked as the card's are (every target's limits, templates, reply fields)
            self.check_card(override, (*path, "platforms", platform), names, schema, operation)
        buttons = card.get("buttons") or []
        most = strictest("buttons")
        if len(buttons) > most.value:
            self.error((*path, "buttons"), f"{len(buttons)} buttons: {most.platform} allows at most {most.value} per card")
        for i, button in enumerate(buttons):
            bpath = (*path, "buttons", i)
            self.check_template(button.get("label", ""), (*bpath, "label"), names, reply_fields, strictest("button_label"), operation)
            if isinstance(button.get("confirm"), dict):
                self.check_confirm(button["confirm"], (*bpath, "confirm"), names | {"ctx"},
                                   button.get("request") or {})
            target = self.operation(button.get("operation"), (*bpath, "operation"))
            if target is None:
                continue
            # a button reads the reply its card shows, or the event an event card was posted for
            readable = ({"reply"} | ({"event", "data"} if self.event_schemas is not None else set())) & names
            schemas = {k: v for k, v in self.roots(reply_fields).items() if k in readable}
            self.check_request(button.get("request") or {}, (*bpath, "request"), target, self.form_kinds(button, bpath),
                               CONTEXT | readable, schemas)
            for status, reply_card in (button.get("replies") or {}).items():
                self.check_status(status, target, (*bpath, "replies", status))
                rschema = target.responses.get(status) if status != "error" else None
                self.check_card(reply_card, (*bpath, "replies", status), {"reply", "event", "data", "ctx"}, rschema, target)

    def check_template(self, source: str, path: Path, names: set[str], reply_fields: Any,
                       limit: Limit | None, operation: Operation | None, item_schema: Any = None) -> None:
        if "{" not in source:  # plain text: nothing to parse
            if limit is not None and len(source) > limit.value:
                self.error(path, f"{len(source)} characters of fixed text, {limit.platform} allows {limit.value}")
            return
        try:
            static, used, attributes = analyse(source)
        except jinja2.TemplateSyntaxError as exc:  # also unknown filters/tests (TemplateAssertionError)
            where = f" (line {exc.lineno} of the template)" if "\n" in source.strip() else ""
            self.error(path, f"template error: {exc.message}{where}")
            return
        if limit is not None and static > limit.value:
            self.error(path, f"{static} characters of fixed text, {limit.platform} allows {limit.value}")
        unknown = sorted(used - names - set(GLOBALS))
        if unknown:
            self.error(path, f"unknown name '{unknown[0]}' in template (available: {', '.join(sorted(names))})")
        if "reply" not in names:
            reply_fields = None
        refused = unsafe_reads(source)
        for attribute in refused:
            self.error(path, f"'{attribute}' is not readable in a card: the sandbox refuses it, so it would show "
                             f"as nothing" + ("" if attribute.startswith("_") else
                                              f" (a field named so is read as x['{attribute}'])"))
        roots = self.roots(reply_fields)
        for chain in sorted(attributes):
            if not set(refused).isdisjoint(chain):  # reported above
                continue
            if chain[0] == "reply":
                self.check_chain(chain[1:], reply_fields, path, operation)
            elif chain[0] == "item" and item_schema is not None:
                self.check_chain(chain[1:], item_schema, path, None, "item")
            elif chain[0] == "options" and "options" in names and self.card_options is not None:
                self.check_option_read(chain[1], path)
            elif chain[0] in ("event", "data") and chain[0] in names and self.event_schemas is not None:
                schema, root, rest = self.event_read(chain, roots)
                self.check_chain(rest, schema, path, None, root)
        for chain in sorted(method_reads(source)):
            root_schema = {**roots, "item": item_schema}.get(chain[0]) if chain[0] in names | {"item"} else None
            self.check_method_read(chain, root_schema, path)
        for name, keywords in command_calls(source):
            self.check_command_reference(name, keywords, path)

    def check_each_over(self, chain: tuple[str, ...], path: Path) -> None:
        """`each: options.x` needs a list option (users, integers), `each: ctx.x` `ctx.mentions`."""
        if len(chain) != 2:
            return
        if chain[0] == "options":
            kind = (self.card_option_types or {}).get(chain[1])
            if kind is not None and kind not in ("users", "integers"):
                self.error(path, f"each: options.{chain[1]} is {_a_option(kind)} option, not a list: a repeated "
                                 f"field needs a list (users and integers options are lists)")
        elif chain[1] in CONTEXT_KINDS and CONTEXT_KINDS[chain[1]].get("kind") != "array":
            self.error(path, f"each: ctx.{chain[1]} is an object, not a list: a repeated field needs a list "
                             f"(ctx.mentions is one)")

    def event_read(self, chain: tuple[str, ...], roots: dict[str, Any]) -> tuple[Any, str, tuple[str, ...]]:
        """(schema, name, steps) to check `event.data.x` or `data.x` against: the event's
        declared data wherever the chain reaches it."""
        if chain[0] == "event" and chain[1:2] == ("data",) and roots.get("data") is not None:
            return roots["data"], "event.data", chain[2:]
        return roots.get(chain[0]), chain[0], chain[1:]

    def check_command_reference(self, name: str | None, keywords: list[str], path: Path) -> None:
        """`command('accept', war=...)`: a command of the spec (or an alias) and its options."""
        commands: dict[str, Any] = self.data.get("commands") or {}
        if name is None:
            self.error(path, "command(...) names its command as a string: command('accept', war=reply.id)")
            return
        found = commands.get(name) or next((c for c in commands.values() if name in (c.get("aliases") or [])), None)
        if not isinstance(found, dict):
            close = difflib.get_close_matches(name, list(commands), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            self.error(path, f"command('{name}'): there is no command '{name}'{hint}")
            return
        options = list(found.get("options") or {})
        for keyword in keywords:
            if keyword not in options:
                close = difflib.get_close_matches(keyword, options, n=1)
                hint = f"did you mean '{close[0]}'? " if close else ""
                self.error(path, f"command('{name}', {keyword}=...): '{name}' has no option '{keyword}' "
                                 f"({hint}its options: {', '.join(options) or 'none'})")

    def check_option_read(self, name: str, path: Path) -> None:
        """`options.x` must be an option of the command (else it renders empty, silently)."""
        known = self.card_options or []
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.error(path, f"options.{name}: the command has no option '{name}' "
                             f"({hint}its options: {', '.join(known) or 'none'})")

    def check_method_read(self, chain: tuple[str, ...], root_schema: Any, path: Path) -> None:
        """`reply.items` where the reply has a field `items`: Jinja gives the dict's method."""
        if root_schema is None:
            return
        owner = self.schema_at(chain[1:-1], root_schema)
        if owner is None or chain[-1] not in self.object_view(owner)[0]:
            return
        written = ".".join(chain[:-1]) + f"['{chain[-1]}']"
        self.error(path, f"{'.'.join(chain)} is the {chain[-1]}() method of a mapping in Jinja, not the field "
                         f"'{chain[-1]}': write {written}")

    def item_schema(self, each: str, reply_schema: Any, path: Path, names: set[str]) -> Any:
        """The schema of `item` in a field repeated over `each` (a list of the reply or the
        event), or None; reports an `each` over something the schema says is not a list."""
        literal = each_literal(each)
        if literal is not None:
            self.error(path, f"each: {each} is {literal}, not a list: a repeated field needs a list (one field per item)")
            return None
        chain = each_chain(each)
        if chain is None or chain[0] not in names:
            return None
        if chain[0] in ("options", "ctx"):
            self.check_each_over(chain, path)
            return None
        roots = self.roots(reply_schema if "reply" in names else None)
        if chain[0] in ("event", "data"):
            root_schema, _, steps = self.event_read(chain, roots) if len(chain) > 1 else (roots.get(chain[0]), "", ())
        else:
            root_schema, steps = roots.get(chain[0]), chain[1:]
        if root_schema is None:
            return None
        schema = self.schema_at(steps, root_schema)
        if not isinstance(schema, dict):
            return None
        kind = schema.get("type") or ("object" if "properties" in schema or "allOf" in schema else None)
        if kind == "array":
            return self.api.deref(schema.get("items"))
        if kind is not None:
            self.error(path, f"each: {'.'.join(chain)} is {_a(kind)}, not a list: a repeated field needs a list "
                             f"(one field per item)")
        return None

    def schema_at(self, chain: tuple[str, ...], schema: Any) -> Any:
        """The schema `reply.a.b` has (None when unknown)."""
        for name in chain:
            properties, _, is_open = self.object_view(schema)
            if is_open or name not in properties:
                return None
            schema = properties[name]
        return self.api.deref(schema)

    def check_chain(self, chain: tuple[str, ...], schema: Any, path: Path, operation: Operation | None,
                    root: str = "reply") -> None:
        """`reply.a.b`: each step must be a property, as far as the schema is a closed object."""
        for depth, name in enumerate(chain):
            properties, _, is_open = self.object_view(schema)
            if is_open:
                return
            if name not in properties:
                fields = ", ".join(sorted(properties))
                if depth == 0 and root == "reply":
                    where = f" of {operation.operation_id}" if operation else ""
                    self.error(path, f"reply has no field '{name}' in the response{where} (fields: {fields})")
                else:
                    self.error(path, f"{'.'.join((root, *chain[:depth]))} has no field '{name}' (fields: {fields})")
                return
            schema = self.api.deref(properties[name])
            if not isinstance(schema, dict) or schema.get("type") not in (None, "object"):
                return


def _a_option(kind: str) -> str:
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"
