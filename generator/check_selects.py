"""Checks of a card's `selects:` (gmbot/chat/selects.py): where a select may be, its operation and
request (`$selected`, `$reply...`, `$event...`), its options (`each:` over a list, or fixed ones)
and their templates, and every registered platform's limits (the strictest names its platform;
a platform without selects refuses them by name)."""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from generator.check_cards import CardChecks
from generator.check_requests import CONTEXT, _a
from generator.errors import Path, SpecError
from generator.openapi import Operation
from generator.targets import Limit, strictest_select, targets
from gmbot.chat.core import BUTTON_PREFIX
from gmbot.chat.request import references
from gmbot.chat.selects import EVENT_KIND, KINDS, SELECTED, STATIC_HEADS
from gmbot.platforms import platforms

_EACH_ONLY = ("label", "value", "description")
_ITEM_READ = re.compile(r"^\{\{\s*item((?:\.[A-Za-z_]\w*)+)\s*\}\}$")
_KIND = {"string": "string", "integer": "integer", "number": "number"}


class SelectChecks(CardChecks):
    def check_card(self, card: dict[str, Any], path: Path, names: set[str], schema: Any,
                   operation: Operation | None = None, options: list[str] | None = None) -> None:
        super().check_card(card, path, names, schema, operation, options)
        selects = card.get("selects")
        if isinstance(selects, list) and selects:
            self.card_options = options  # as the card's own templates saw them (its buttons' cards changed it)
            self.check_selects(selects, card, path, names, schema, operation)

    def check_selects(self, selects: list[Any], card: dict[str, Any], path: Path, names: set[str], schema: Any,
                      operation: Operation | None) -> None:
        where = self.select_source(path)
        spath = (*path, "selects")
        if where is None:
            self.error(spath, "selects are for a command's success reply (a 2xx card) or an event card: a choice "
                              "is routed by the card it was posted with")
            return
        for target in targets():
            if target.select_limits is None:
                self.error(spath, f"{target.title} has no select menus")
        most = strictest_select("selects")
        if most is not None and len(selects) > most.value:
            self.error(spath, f"{len(selects)} selects: {most.platform} allows at most {most.value} per card")
        self.check_rows(selects, card, spath)
        for index, select in enumerate(selects):
            if isinstance(select, dict):
                self.check_select(select, (*spath, index), names, schema, operation, (*where, index))

    def select_source(self, path: Path) -> tuple[str, str, str] | None:
        """(kind, source, status) of the selects of the card at `path`, None where a card may
        have none (a button's reply, an error card, defaults.error)."""
        if len(path) == 4 and path[0] == "commands" and path[2] == "replies" and str(path[3]).startswith("2"):
            return KINDS["c"], str(path[1]), str(path[3])
        if len(path) == 3 and path[0] == "events" and path[2] == "card":
            return EVENT_KIND, str(path[1]), ""
        return None

    def check_rows(self, selects: list[Any], card: dict[str, Any], path: Path) -> None:
        """Where a select takes a row of its own, the buttons (and the page buttons) need theirs."""
        buttons = len(card.get("buttons") or []) + (2 if card.get("paging") else 0)
        for target in targets():
            limits = target.select_limits
            if limits is None or limits.rows is None:
                continue
            rows = len(selects) + (buttons + limits.row_buttons - 1) // limits.row_buttons
            if rows > limits.rows:
                self.error(path, f"{len(selects)} selects and {buttons} buttons need {rows} rows: {target.title} "
                                 f"shows at most {limits.rows} (a select fills a row, buttons {limits.row_buttons} "
                                 f"a row)")

    def check_select(self, select: dict[str, Any], path: Path, names: set[str], schema: Any,
                     operation: Operation | None, source: tuple[str, str, str, int]) -> None:
        self.check_fixed_text(select.get("placeholder"), (*path, "placeholder"), names, schema, operation,
                              strictest_select("placeholder"))
        if ("each" in select) == ("options" in select):
            self.error(path, "a select has either `each:` (options from the reply) or `options:` (fixed ones)")
        if "each" in select:
            self.check_each(select, path, names, schema, operation)
        else:
            for key in _EACH_ONLY:
                if key in select:
                    self.error((*path, key), f"'{key}' is for options from `each:`; a fixed option has its own")
            self.check_fixed(select, path, names, schema, operation, source)
        target = self.operation(select.get("operation"), (*path, "operation"))
        if target is None:
            return
        readable = ({"reply"} | ({"event", "data"} if self.event_schemas is not None else set())) & names
        schemas = {k: v for k, v in self.roots(schema).items() if k in readable}
        kind = _KIND.get(str(select.get("type", "string")))
        selected = {SELECTED: {"kind": kind, "optional": False}}
        request = select.get("request") or {}
        before = len(self.errors)
        self.check_request(request, (*path, "request"), target, selected, CONTEXT | readable, schemas)
        self.errors[before:] = [_with_type_hint(e) for e in self.errors[before:]]
        if SELECTED not in {r.split(".")[0] for r in references(request)}:
            self.error((*path, "request"), f"the request does not send ${SELECTED}: every choice would do the same "
                                           f"(e.g. path: {{id: ${SELECTED}}})")
        if isinstance(select.get("confirm"), dict):
            self.check_confirm(select["confirm"], (*path, "confirm"), names | {"ctx", SELECTED}, request)
        for status, reply_card in (select.get("replies") or {}).items():
            self.check_status(status, target, (*path, "replies", status))
            rschema = target.responses.get(status) if status != "error" else None
            self.check_card(reply_card, (*path, "replies", status), {"reply", "event", "data", "ctx", SELECTED},
                            rschema, target)

    def check_fixed_text(self, source: Any, path: Path, names: set[str], schema: Any, operation: Operation | None,
                         limit: Limit | None, item_schema: Any = None) -> None:
        if isinstance(source, str):
            self.check_template(source, path, names, schema, limit, operation, item_schema)

    def check_each(self, select: dict[str, Any], path: Path, names: set[str], schema: Any,
                   operation: Operation | None) -> None:
        each = select.get("each")
        if not isinstance(each, str):
            return
        self.check_template("{{ " + each + " }}", (*path, "each"), names, schema, None, operation)
        item_schema = self.item_schema(each, schema, (*path, "each"), names)
        self.check_value_type(select, path, item_schema)
        scope = names | {"item", "loop"}
        for key, default, part in (("label", "{{ item.name }}", "label"), ("value", "{{ item.id }}", "value"),
                                   ("description", None, "description")):
            source = select.get(key, default)
            if not isinstance(source, str):
                continue
            before = len(self.errors)
            self.check_template(source, (*path, key) if key in select else path, scope, schema,
                                strictest_select(part), operation, item_schema)
            if key not in select:  # the default template failed: say it is the default
                self.errors[before:] = [dataclasses.replace(e, message=f"{key} (default {default}): {e.message}")
                                        for e in self.errors[before:]]

    def check_value_type(self, select: dict[str, Any], path: Path, item_schema: Any) -> None:
        """`value: "{{ item.id }}"` of a select whose `type` is a number: the field must be one."""
        kind = str(select.get("type", "string"))
        read = _ITEM_READ.match(str(select.get("value", "{{ item.id }}")))
        if kind == "string" or read is None or item_schema is None:
            return
        field = self.schema_at(tuple(read.group(1).split(".")[1:]), item_schema)
        found = field.get("type") if isinstance(field, dict) else None
        if found is not None and found != kind and not (kind == "number" and found == "integer"):
            self.error((*path, "value") if "value" in select else (*path, "type"),
                       f"item{read.group(1)} is {_a(found)}, but the select's type is {kind}: a choice would be "
                       f"refused")

    def check_fixed(self, select: dict[str, Any], path: Path, names: set[str], schema: Any,
                    operation: Operation | None, source: tuple[str, str, str, int]) -> None:
        options = select.get("options") or []
        if not isinstance(options, list):
            return
        most = strictest_select("options")
        if most is not None and len(options) > most.value:
            self.error((*path, "options"), f"{len(options)} options: {most.platform} allows at most {most.value} "
                                           f"per select")
        if not options:
            self.error((*path, "options"), "a select needs at least one option")
        kind = str(select.get("type", "string"))
        seen: set[str] = set()
        for i, option in enumerate(options):
            if not isinstance(option, dict):
                continue
            opath = (*path, "options", i)
            for key in ("label", "description"):
                self.check_fixed_text(option.get(key), (*opath, key), names, schema, operation, strictest_select(key))
            value = option.get("value")
            text = str(value).lower() if isinstance(value, bool) else str(value)
            if text in seen:
                self.error((*opath, "value"), f"the value {json.dumps(value)} is given twice: a choice must say "
                                              f"which option it was")
            seen.add(text)
            if (kind == "integer" and not isinstance(value, int)) or (kind == "number" and isinstance(value, str)):
                self.error((*opath, "value"), f"{json.dumps(value)} is not {'an' if kind == 'integer' else 'a'} "
                                              f"{kind}, the select's type")
            limit = strictest_select("value")
            if limit is not None and len(text) > limit.value:
                self.error((*opath, "value"), f"{len(text)} characters: {limit.platform} allows {limit.value} in an "
                                              f"option's value")
            else:
                self.check_choice_fits(select, text, (*opath, "value"), source)

    def check_choice_fits(self, select: dict[str, Any], value: str, path: Path,
                          source: tuple[str, str, str, int]) -> None:
        """Where an option is a button of its own (its id the select's with the value), the id
        must fit that platform's buttons (exact only when the request reads nothing of the card)."""
        request = select.get("request") or {}
        if any(r.split(".")[0] in STATIC_HEADS for r in references(request)):
            return
        kind, name, status, index = source
        choice = BUTTON_PREFIX + json.dumps([kind, name, status, index, [value]], separators=(",", ":"),
                                            ensure_ascii=False)
        for platform, target in zip(platforms(), targets(), strict=True):  # targets() follows the registry
            limits = target.select_limits
            if limits is not None and limits.option_buttons and not platform.button_fits(choice):
                self.error(path, f"choosing {json.dumps(value)} needs a button id of {len(choice.encode())} bytes: "
                                 f"too long for {platform.title}'s buttons (a shorter value, or a shorter name)")


def _with_type_hint(error: SpecError) -> SpecError:
    """`$selected gives a string, but ... is an integer`: say how to send a number."""
    if not error.message.startswith(f"${SELECTED} gives a string"):
        return error
    wanted = next((kind for kind in ("integer", "number") if error.message.endswith(_a(kind))), None)
    if wanted is None:
        return error
    return dataclasses.replace(error, message=f"{error.message} (set the select's type: {wanted})")
