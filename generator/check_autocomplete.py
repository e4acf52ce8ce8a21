"""Checks of an option's `autocomplete:` (gmbot/chat/core.py `Core.suggestions`): the operation
and its request (`$typed`: the text typed so far), the items expression and the label and value
templates over `item`, and the option types a platform can suggest for."""

from __future__ import annotations

from typing import Any

from generator.check_confirm import ConfirmChecks
from generator.check_requests import CONTEXT
from generator.errors import Path

# Discord suggests for text and number options; the spec's types that are a Discord text
# option (duration, integers) too. A choice has its choices, a user its member list.
SUGGESTED_TYPES = ("string", "integer", "number", "duration", "integers")
TYPED = {"typed": {"kind": "string", "optional": False}}


class AutocompleteChecks(ConfirmChecks):
    def check_autocomplete(self, option: dict[str, Any], path: Path) -> None:
        asked = option["autocomplete"]
        if option.get("type") not in SUGGESTED_TYPES:
            self.error(path, f"a {option.get('type')} option has no suggestions: autocomplete is for "
                             f"{', '.join(SUGGESTED_TYPES)} options")
        operation = self.operation(asked.get("operation"), (*path, "operation"))
        if operation is None:
            return
        self.check_request(asked.get("request") or {}, (*path, "request"), operation, dict(TYPED), CONTEXT)
        schema = operation.responses.get("200")
        items = asked.get("items", "reply['items']")
        self.card_options = None
        self.check_template("{{ " + items + " }}", (*path, "items"), {"reply"}, schema, None, operation)
        item_schema = self.item_schema(items, schema, (*path, "items"), {"reply"})
        for key, default in (("label", "{{ item.name }}"), ("value", "{{ item.id }}")):
            self.check_template(asked.get(key, default), (*path, key), {"reply", "item"}, schema, None, operation,
                                item_schema)
