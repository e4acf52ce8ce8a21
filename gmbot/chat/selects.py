"""Selects (spec `selects:` on a card): a menu of options under a card; choosing one calls an
operation as the one who chose, the option's value as `$selected`.

A select carries its state in its custom id like a button (gmbot/chat/core.py), so a choice
works after a restart and on another replica:

    gm:["sc","status","200",0,[]]          a select of a command's reply (kind "sc")
    gm:["se","war.ended","",0,["zyo8"]]    a select of an event card (kind "se")

`[kind, source, status, index, values]`: `values` are what its request reads from the card
(`$reply...`, `$event...`), fixed when it is posted. A **choice** is the same id with the
chosen value appended to `values` (`choice_id`): a platform whose select sends the chosen
value beside the id makes the choice id with `choice_id`; a platform without menus, posting a
button per option, posts each option's own `RenderedOption.choice_id`. Either way `Core.click`
gets a choice id.

A select with `confirm:` is confirmed as a button is (gmbot/chat/confirm.py): the kind in
upper case (`SC`) after a prompt of ours, or `sc!` when the platform's own dialog asked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from gmbot.chat import confirm
from gmbot.chat.i18n import N_
from gmbot.chat.request import lookup, request_references
from gmbot.chat.vocabulary import RenderedCard, RenderedOption, RenderedSelect
from gmbot.spec.model import BotSpec, Card, Select, SelectType

if TYPE_CHECKING:
    from gmbot.chat.cards import CardRenderer

log = logging.getLogger("gmbot.chat.selects")

COMMAND_KIND, EVENT_KIND = "sc", "se"  # a select of a command's reply card, of an event card
KINDS = {"c": COMMAND_KIND, "e": EVENT_KIND}  # the card's button kind -> its selects' kind
OPTIONS_MAX = 100  # options the core renders per select; each platform keeps what it can show
STATIC_HEADS = ("event", "data", "reply", "options")  # references fixed when the select is posted
SELECTED = "selected"  # `$selected` in a select's request, `selected` in its texts
GONE = N_("This choice no longer works")


def is_choice(kind: str) -> bool:
    return confirm.unconfirmed(kind) in (COMMAND_KIND, EVENT_KIND)


def static_references(select: Select) -> list[str]:
    return [r for r in request_references(select.request) if r.split(".")[0] in STATIC_HEADS]


def _dump(payload: list[Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def choice_id(custom_id: str, value: str, prefix: str) -> str:
    """The id of choosing `value` in the select posted with `custom_id` ("" when it is not one)."""
    try:
        payload = json.loads(custom_id[len(prefix):])
        payload[4] = [*payload[4], value]
    except (ValueError, TypeError, IndexError, KeyError):
        return ""
    return prefix + _dump(payload)


def options_of(select: Select, scope: Mapping[str, Any], renderer: CardRenderer, where: str) -> list[RenderedOption]:
    """The options a select shows: one per item of `each` (or its fixed options), each with a
    label and a value; one without either, or repeating a value, is left out (no platform takes
    it), and past OPTIONS_MAX the rest are cut (logged)."""
    found: list[RenderedOption] = []
    if select.each is not None:
        items = renderer.items(select.each, scope)
        for index, item in enumerate(items):
            loop = {"index": index + 1, "index0": index, "first": index == 0, "last": index == len(items) - 1,
                    "length": len(items)}
            inner = {**scope, "item": item, "loop": loop}
            found.append(RenderedOption(renderer.plain(select.label, inner), renderer.plain(select.value, inner, False),
                                        renderer.plain(select.description, inner) if select.description else ""))
    else:
        found = [RenderedOption(renderer.plain(o.label, scope), _text(o.value),
                                renderer.plain(o.description, scope) if o.description else "")
                 for o in select.options]
    kept: list[RenderedOption] = []
    seen: set[str] = set()
    for option in found:
        if not option.label.strip() or not option.value.strip() or option.value in seen:
            log.info("%s: an option with no label, no value or a repeated value (%r) is left out", where, option.value)
            continue
        seen.add(option.value)
        kept.append(option)
    if len(kept) > OPTIONS_MAX:
        log.warning("%s: %d options, the first %d are shown", where, len(kept), OPTIONS_MAX)
        kept = kept[:OPTIONS_MAX]
    return kept


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def add_selects(card: RenderedCard, selects: list[Select], scope: Mapping[str, Any], renderer: CardRenderer,
                kind: str, source: str, status: str, prefix: str, limit: int,
                fits: Callable[[str], bool]) -> None:
    """Render a card's selects with the ids a choice is routed by. A select with no option to
    choose, or whose id would be too long to post, is left off (logged); an option whose choice
    id the platform cannot post as a button (`fits`) has none."""
    for index, select in enumerate(selects):
        where = f"select {index} of {source}"
        options = options_of(select, scope, renderer, where)
        if not options:
            log.info("%s has no options: not shown", where)
            continue
        payload = [kind, source, status, index, [lookup(scope, ref) for ref in static_references(select)]]
        custom_id = prefix + _dump(payload)
        if len(custom_id) > limit:
            log.warning("%s is too long to post (%d characters)", where, len(custom_id))
            continue
        rendered = RenderedSelect(renderer.plain(select.placeholder, scope), index, options, custom_id)
        for option in options:
            chosen = choice_id(custom_id, option.value, prefix)
            option.choice_id = chosen if fits(chosen) else None
        if select.confirm is not None:
            asked = select.confirm
            rendered.confirm = confirm.rendered(
                asked, renderer.plain(asked.title, scope) or renderer.plain(confirm.DEFAULT_TITLE, {}),
                renderer.plain(asked.text, scope), renderer.plain(asked.ok, scope), renderer.plain(asked.cancel, scope))
            rendered.confirmed_id = prefix + _dump(confirm.confirmed(payload, prompt=False))
        card.selects.append(rendered)


def find(spec: BotSpec, payload: list[Any]) -> tuple[Select, dict[str, Any], str] | None:
    """The select a choice's payload points at, the scope its fixed values came from, and the
    chosen value (None when the payload is not one: a forged or out-of-date id)."""
    try:
        kind, source, status, index, values = payload
        kind = confirm.unconfirmed(str(kind))
        card: Card | None
        if kind == EVENT_KIND:
            event = spec.event(str(source))
            card = event.card if event else None
        else:
            command = spec.command(str(source))
            card = command.replies.get(str(status)) if command else None
        select = card.selects[index] if card is not None and isinstance(index, int) and index >= 0 else None
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    if select is None or not isinstance(values, list):
        return None
    references = static_references(select)
    if len(values) != len(references) + 1 or not isinstance(values[-1], str):
        return None
    scope: dict[str, Any] = {}
    for ref, value in zip(references, values, strict=False):
        node = scope
        *heads, last = ref.split(".")
        for head in heads:
            node = node.setdefault(head, {})
        node[last] = value
    return select, scope, values[-1]


def typed(select: Select, value: str) -> Any:
    """The chosen value as the select's `type` says (None when it is not one: a forged choice),
    and, for fixed options, one of them."""
    if select.each is None and value not in {_text(o.value) for o in select.options}:
        return None
    try:
        if select.type == SelectType.INTEGER:
            return int(value)
        if select.type == SelectType.NUMBER:
            number = float(value)
            return number if number == number and abs(number) != float("inf") else None
    except ValueError:
        return None
    return value


def shown_options(select: RenderedSelect, value_max: int, options_max: int, title: str) -> list[RenderedOption]:
    """The options a platform (`title`) can show of `select`: those whose value fits in
    `value_max` characters, the first `options_max` of them; what is left out is logged."""
    fitting = [o for o in select.options if len(o.value) <= value_max]
    if len(fitting) < len(select.options):
        log.warning("select %r: %d options left out, their values are longer than %s's %d characters",
                    select.placeholder, len(select.options) - len(fitting), title, value_max)
    if len(fitting) > options_max:
        log.warning("select %r: %d options, %s shows the first %d", select.placeholder, len(fitting), title, options_max)
    return fitting[:options_max]
