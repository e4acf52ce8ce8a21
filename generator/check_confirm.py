"""Checks of `confirm:` on a button or a command (gmbot/chat/confirm.py).

A button's prompt is rendered when it is clicked, from what the click carries: the values its
request reads from the card (`$event.data.war.id` -> `data.war.id`, `event.data.war.id`) and
`ctx`; a command's from its `options` and `ctx`. A template reading anything else would show
blank on the platforms that prompt (it renders only in a native dialog), so it is refused.
"""

from __future__ import annotations

from typing import Any

import jinja2

from generator.check_cards import CardChecks
from generator.errors import Path
from generator.template_scan import analyse
from gmbot.chat.request import references

CARRIED_HEADS = ("event", "data", "reply")


def carried(request: dict[str, Any]) -> set[tuple[str, ...]]:
    """The reference chains a button's click carries, as its prompt may read them."""
    chains: set[tuple[str, ...]] = set()
    for reference in references([request.get(k) for k in ("path", "query", "headers", "body")]):
        chain = tuple(reference.split("."))
        if chain[0] in CARRIED_HEADS:
            chains.add(chain)
            if chain[:2] == ("event", "data"):
                chains.add(chain[1:])  # `data` is `event.data`
    return chains


class ConfirmChecks(CardChecks):
    def check_confirm(self, confirm: dict[str, Any], path: Path, names: set[str],
                      request: dict[str, Any] | None) -> None:
        """`request`: the button's (what its prompt can read), or None for a command's prompt."""
        for key in ("title", "text"):
            source = confirm.get(key)
            if not isinstance(source, str):
                continue
            self.check_template(source, (*path, key), names, None, None, None)
            if request is None or "{" not in source:
                continue
            try:
                chains = analyse(source)[2]
            except jinja2.TemplateSyntaxError:
                continue  # said by check_template
            allowed = carried(request)
            for chain in sorted(chains):
                if chain[0] in CARRIED_HEADS and not any(chain == a[:len(chain)] for a in allowed):
                    reads = ", ".join(".".join(a) for a in sorted(allowed)) or "nothing of the card"
                    self.error((*path, key), f"{'.'.join(chain)}: a button's confirmation reads only what its "
                                             f"request carries ({reads}) and ctx; send it in the request or "
                                             f"leave it out")
