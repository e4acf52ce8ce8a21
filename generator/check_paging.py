"""Checks of a card's `paging:` (gmbot/chat/paging.py): which option the Prev / Next buttons
move, that the request sends it, the page size, and the expressions the buttons read."""

from __future__ import annotations

import difflib
from typing import Any

from generator.check_autocomplete import AutocompleteChecks
from generator.errors import Path
from generator.openapi import Operation
from gmbot.chat.paging import paged_kinds
from gmbot.chat.request import references

_BY_POSITION = ("limit", "total")
_BY_CURSOR = ("next", "previous")


class PagingChecks(AutocompleteChecks):
    def check_paging(self, paging: dict[str, Any], path: Path, command: dict[str, Any], schema: Any,
                     operation: Operation | None) -> None:
        ways = [way for way in paged_kinds() if way in paging]
        if len(ways) != 1:
            said = " and ".join(ways) if ways else "none of them"
            self.error(path, f"paging names one option the buttons move: offset, page or cursor (it has {said})")
            return
        way = ways[0]
        options: dict[str, Any] = command.get("options") or {}
        moved = self.paged_option(paging[way], way, options, (*path, way))
        if moved is not None and moved not in references(command.get("request") or {}):
            self.error((*path, way), f"the request does not send -{moved}: every page would be the same "
                                     f"(send it, e.g. query: {{{way}: ${moved}}})")
        wrong, needed = (_BY_POSITION, ("next",)) if way == "cursor" else (_BY_CURSOR, _BY_POSITION)
        for key in wrong:
            if key in paging:
                self.error((*path, key), f"'{key}' is for {'cursor' if key in _BY_CURSOR else 'offset and page'} "
                                         f"paging, not {way}")
        for key in needed:
            if key not in paging:
                self.error(path, f"{way} paging needs '{key}' "
                                 + {"limit": "(the page size: an integer option's name or a number)",
                                    "total": "(an expression: how many items in all, e.g. reply.total)",
                                    "next": "(an expression giving the next page's cursor, e.g. reply.next)"}[key])
        limit = paging.get("limit")
        if isinstance(limit, str) and way != "cursor":
            option = options.get(limit)
            if option is None or option.get("type") != "integer":
                close = difflib.get_close_matches(limit, list(options), n=1)
                hint = f" (did you mean '{close[0]}'?)" if close and option is None else ""
                self.error((*path, "limit"), f"'{limit}' is not an integer option of the command{hint}: the page "
                                             f"size is an integer option's name or a number")
        for key in ("total",) if way != "cursor" else _BY_CURSOR:
            if isinstance(paging.get(key), str):
                self.check_template("{{ " + paging[key] + " }}", (*path, key), {"reply", "options", "ctx"},
                                    schema, None, operation)

    def paged_option(self, name: Any, way: str, options: dict[str, Any], path: Path) -> str | None:
        """The option the buttons move, when it is one they can move."""
        option = options.get(name)
        if option is None:
            close = difflib.get_close_matches(str(name), list(options), n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            self.error(path, f"the command has no option '{name}' ({hint}its options: {', '.join(options) or 'none'})")
            return None
        kinds = sorted(kind.value for kind in paged_kinds()[way])
        if option.get("type") not in kinds:
            self.error(path, f"-{name} is a {option.get('type')} option: {way} paging moves {' or '.join(kinds)} options")
            return None
        if option.get("required"):
            self.error(path, f"-{name} is required: the option the buttons move is one the user may leave out "
                             f"(the first page)")
            return None
        return str(name)
