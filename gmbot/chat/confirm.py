"""Confirmations (spec `confirm:` on a button or a command): asked before a destructive action.

A button's custom id is `[kind, source, status, index, values]` (gmbot/chat/core.py) with a
lower-case kind; the same id with a marked kind is the click **once confirmed**:

* a platform with a native dialog (a button's own `confirm`) posts the id with `!` after the
  kind (`e!`) with the dialog, and the click goes straight through, answered as any click;
* elsewhere the button posts the plain id; its click answers with a prompt (`Outcome` kind
  "confirm": the confirmation's text and two buttons, the id with its kind in upper case
  (`E`) and `CANCEL`), which the answer then replaces.

A command with `confirm:` answers with the prompt before calling anything. Its Confirm
button carries the command, who asked (only they may confirm) and the options; options too
long for the platform's button id are kept here, in memory, under a short token for
`PENDING_TTL` seconds (a prompt of those goes stale with a restart: "run the command again").
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from gmbot.chat.i18n import N_
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedConfirm
from gmbot.spec.model import Command, Confirm

if TYPE_CHECKING:  # cards.py renders a button's confirmation with this module
    from gmbot.chat.cards import CardRenderer

COMMAND_KIND = "K"  # a confirmed command: [K, command, asker id, 0, option values or a token]
CANCEL_KIND = "x"
CANCEL = ["x", "", "", 0, []]
DEFAULT_TITLE = N_("Are you sure?")
# the spec model's default labels (gmbot/spec/model.py `Confirm`), marked for the catalogs here
DEFAULT_LABELS = (N_("Confirm"), N_("Cancel"))
TOKEN = "t:"  # option values kept in memory: "t:<token>" in place of the list
PENDING_TTL = 15 * 60.0  # seconds, as long as a Discord interaction's token lives
PENDING_MAX = 4096


NATIVE = "!"  # after the kind: confirmed in the platform's own dialog


def confirmed(payload: list[Any], *, prompt: bool) -> list[Any]:
    """A button's custom id payload as the click once confirmed, in a prompt of ours or not."""
    kind = str(payload[0])
    return [kind.upper() if prompt else kind + NATIVE, *payload[1:]]


def is_confirmed(kind: str) -> bool:
    return kind.isupper() or kind.endswith(NATIVE)


def from_prompt(kind: str) -> bool:
    """Confirmed in a prompt of ours, which the answer replaces."""
    return kind.isupper()


def unconfirmed(kind: str) -> str:
    return kind.lower().removesuffix(NATIVE)


def rendered(confirm: Confirm, title: str, text: str, ok: str = "", cancel: str = "") -> RenderedConfirm:
    """A button's confirmation as a platform's own dialog shows it (labels in the card's language)."""
    return RenderedConfirm(title or DEFAULT_TITLE, text, ok or confirm.ok, cancel or confirm.cancel)


def prompt_card(renderer: CardRenderer, asked: Confirm, scope: Mapping[str, Any], ahead: str,
                cancel: str) -> RenderedCard:
    """The prompt: the confirmation's title and text, the button going ahead (custom id `ahead`)
    and the one giving up (`cancel`). The core posts it; the preview draws it."""
    return RenderedCard(
        title=renderer.text(asked.title, scope) or renderer.locales.catalog(renderer.locale).gettext(DEFAULT_TITLE),
        description=renderer.text(asked.text, scope),
        color=renderer.color("warning", {}),
        buttons=[RenderedButton(renderer.plain(asked.ok, scope) or asked.ok, "danger", 0, ahead),
                 RenderedButton(renderer.plain(asked.cancel, scope) or asked.cancel, "secondary", 1, cancel)])


def option_values(command: Command, options: Mapping[str, Any]) -> list[Any]:
    """Every option's value in declared order (null at the default), trailing nulls off."""
    values = [None if options.get(o.name) == o.default else options.get(o.name) for o in command.options]
    while values and values[-1] is None:
        values.pop()
    return values


def options_from(command: Command, values: list[Any], defaults: Mapping[str, Any]) -> dict[str, Any] | None:
    if len(values) > len(command.options):
        return None
    options = dict(defaults)
    for option, value in zip(command.options, values, strict=False):
        if value is not None:
            options[option.name] = value
    return options


class Pending:
    """Option values too long for a button id, by token, for a while (bounded)."""

    def __init__(self, ttl: float = PENDING_TTL, size: int = PENDING_MAX) -> None:
        self.ttl, self.size = ttl, size
        self._values: OrderedDict[str, tuple[float, list[Any]]] = OrderedDict()

    def keep(self, values: list[Any]) -> str:
        token = secrets.token_urlsafe(6)
        self._values[token] = (time.monotonic() + self.ttl, values)
        while len(self._values) > self.size:
            self._values.popitem(last=False)
        return TOKEN + token

    def peek(self, reference: str) -> list[Any] | None:
        """The values, left in place (a form may be opened and sent again after a refusal)."""
        found = self._values.get(reference.removeprefix(TOKEN))
        return None if found is None or found[0] < time.monotonic() else found[1]

    def take(self, reference: str) -> list[Any] | None:
        found = self._values.pop(reference.removeprefix(TOKEN), None)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]
