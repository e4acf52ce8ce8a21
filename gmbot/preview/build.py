"""What the preview page shows: the spec pair checked by the generator, then every card with its sample.

Each card of the spec (a command's reply cards, an event's card, a button's reply
cards, `defaults.error`) becomes an `Entry` with a stable id, the sample JSON it is
rendered with and the rendered card. The page edits a sample by id; the edited
JSON is kept in `overrides` (id -> text) so it survives a reload of the spec.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator import catalogs, yamlpos
from generator.errors import SpecErrors
from generator.openapi import OpenAPI
from generator.pipeline import Checked, Config, check
from gmbot.chat import confirm, forms, paging, selects
from gmbot.chat.cards import CardRenderer
from gmbot.chat.core import BUTTON_PREFIX, CANCEL_ID, CUSTOM_ID_MAX, bind_buttons, fits_anywhere
from gmbot.chat.help import describe_option, usage
from gmbot.chat.i18n import SOURCE, Catalog, Locales
from gmbot.chat.options import parse_datetime
from gmbot.chat.vocabulary import RenderedCard, RenderedForm
from gmbot.platforms import PlatformError
from gmbot.platforms import platform as registered
from gmbot.preview import pictures, samples
from gmbot.spec.model import BotSpec, Card, CardOverride, Command, Confirm, Form, Option, OptionType

# The chat context every sample is rendered in.
CTX: dict[str, Any] = {
    "server": {"id": "100000000000000001", "name": "Sample server"},
    "channel": {"id": "100000000000000002", "name": "general"},
    "author": {"id": "100000000000000003", "name": "Ann"},
    "mentions": [{"id": "100000000000000004", "name": "Bob"}, {"id": "100000000000000005", "name": "Cat"}],
}

_DATA_REF = re.compile(r"\b(?:event\.)?data((?:\.[A-Za-z_]\w*)+)")


@dataclass
class Entry:
    id: str  # "command/createwar/201", "event/war.ended", "button/event/war.ended/0/200"
    label: str
    sample_kind: str  # "reply" or "event": what the editable JSON is
    sample: Any  # the JSON shown in the editor
    card: Card
    base_scope: dict[str, Any]  # the scope without the edited part
    error: str | None = None  # the edited JSON did not parse
    text: str | None = None  # the author's JSON as typed, once edited
    # how the core binds the card's buttons (kind, source, status), as when it is posted;
    # None where the chat posts no buttons (error replies)
    bind: tuple[str, str, str] | None = None
    # a confirmation prompt (gmbot/chat/confirm.py): drawn from this instead of `card`
    asks: Confirm | None = None
    # a form (gmbot/chat/forms.py): drawn as each platform shows it, instead of a card
    form: Form | None = None

    def scope(self) -> dict[str, Any]:
        if self.sample_kind == "event":
            event = self.sample if isinstance(self.sample, dict) else {}
            data = event.get("data") if isinstance(event.get("data"), dict) else {}
            return {**self.base_scope, "event": event, "data": data}
        return {**self.base_scope, "reply": self.sample if self.sample is not None else {}}

    def sample_text(self) -> str:
        if self.text is not None:
            return self.text
        return json.dumps(self.sample, indent=2, ensure_ascii=False)


@dataclass
class CommandView:
    command: Command
    usage: str
    options: list[tuple[str, str]]  # (flag, description)
    entries: list[Entry]


@dataclass
class Preview:
    spec: BotSpec | None = None
    commands: list[CommandView] = field(default_factory=list)
    events: list[Entry] = field(default_factory=list)
    others: list[Entry] = field(default_factory=list)  # defaults.error
    errors: list[str] = field(default_factory=list)  # `gmbot generate`'s lines
    renderer: CardRenderer | None = None
    locale: str = SOURCE  # the language the cards are shown in (the page's locale switch)
    locales: tuple[str, ...] = (SOURCE,)  # every catalog beside the spec, as the .po files say now
    translation_errors: list[str] = field(default_factory=list)  # broken translations: shown in English

    def entries(self) -> Iterator[Entry]:
        for view in self.commands:
            yield from view.entries
        yield from self.events
        yield from self.others

    def entry(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries() if e.id == entry_id), None)


def option_sample(option: Option) -> Any:
    """A coerced option value, as a card's `options` sees it."""
    if option.default is not None and option.type is OptionType.DATETIME:
        with contextlib.suppress(ValueError):  # `default: 7d`: as the runtime sends it
            return parse_datetime(str(option.default), option.relative)
    if option.default is not None:
        return option.default
    if option.type is OptionType.CHOICE and option.choices:
        return option.choices[0].value
    return {
        OptionType.INTEGER: int(option.min or 1),
        OptionType.NUMBER: option.min or 1.5,
        OptionType.BOOLEAN: True,
        OptionType.USER: CTX["mentions"][0],
        OptionType.USERS: CTX["mentions"],
        OptionType.DURATION: 12,
        OptionType.INTEGERS: [4, 5],
        OptionType.DATETIME: "2026-11-01T18:00:00Z",
    }.get(option.type, f"Sample {option.name}")


def _card_texts(card: Card) -> Iterator[str]:
    parts: list[Card | CardOverride] = [card, *card.platforms.values()]
    for part in parts:
        for text in (part.title, part.description, part.color, part.url, part.footer):
            if text:
                yield text
        for item in part.fields or []:
            yield from (item.name, item.value, item.each or "")
    for button in card.buttons:
        yield button.label
    for select in card.selects:
        yield from (select.placeholder, select.each or "", select.label, select.value, select.description or "")


def event_sample(api: OpenAPI, name: str, card: Card) -> dict[str, Any]:
    """An event as the backend sends it; `data` holds what the card's templates read.

    `data` is a free-form object in the contract, so its keys come from the card:
    `data.war...` is a sample of the `War` schema when there is one, anything else
    nested mappings ending in a sample string.
    """
    data: dict[str, Any] = {}
    for text in _card_texts(card):
        for match in _DATA_REF.finditer(text):
            head, *rest = match.group(1).strip(".").split(".")
            if head in data and not isinstance(data[head], dict):
                continue
            schema = samples.schema_named(api, head)
            if schema is not None:
                data.setdefault(head, samples.sample(api, schema, head))
                continue
            node = data.setdefault(head, {} if rest else f"Sample {head}")
            for index, key in enumerate(rest):
                if not isinstance(node, dict):
                    break
                node = node.setdefault(key, {} if index < len(rest) - 1 else f"Sample {key}")
    return {"id": 1, "type": name, "serverId": CTX["server"]["id"], "channelId": CTX["channel"]["id"],
            "createdAt": "2026-01-02T15:04:05Z", "data": data}


def checked(config: Config) -> Checked | SpecErrors:
    """The generator's own checks: the same errors, in the same words, as `gmbot generate`."""
    try:
        return check(config)
    except SpecErrors as exc:
        return exc


def translations(config: Config, outcome: Checked) -> tuple[Locales, list[str]]:
    """The catalogs beside the spec, compiled from the .po files as they are now (an edited
    translation shows at once), and the broken translations `gmbot generate` would refuse."""
    directory = catalogs.locales_dir(config.spec)
    doc = outcome.spec_doc or yamlpos.load(config.display(config.spec), outcome.spec_text)[0]
    compiled, errors = catalogs.compile_catalogs(directory, doc, config.display(directory))
    found = [Catalog(locale, d["messages"], d["plural_forms"]) for locale, d in compiled.items()]
    return Locales(found), [str(e) for e in errors]


def _same_catalogs(a: Locales, b: Locales) -> bool:
    return a.catalogs.keys() == b.catalogs.keys() and all(
        a.catalogs[k].messages == b.catalogs[k].messages for k in a.catalogs)


def build(config: Config, overrides: Mapping[str, str] | None = None,
          outcome: Checked | SpecErrors | None = None, last_good: Mapping[str, Any] | None = None,
          renderer: CardRenderer | None = None, locale: str = SOURCE) -> Preview:
    """Sample every card of the checked spec pair (or list the errors).

    Pass the previous build's `renderer` to reuse its compiled templates: after a save
    most cards are unchanged, and compiling ~150 templates is most of a page's time.
    """
    outcome = outcome if outcome is not None else checked(config)
    if isinstance(outcome, SpecErrors):
        return Preview(errors=[str(e) for e in outcome.errors])
    spec, api = outcome.spec, outcome.api
    locales, broken = translations(config, outcome)
    if renderer is None or not _same_catalogs(renderer.locales, locales):
        renderer = CardRenderer(spec.bot, locales)  # a translation changed: its templates too
    else:
        renderer.settings = spec.bot  # its template cache is keyed by the template's text alone
    locale = locale if locale in locales.catalogs else SOURCE
    preview = Preview(spec=spec, renderer=renderer, locale=locale, locales=locales.names(),
                      translation_errors=broken)
    words = locales.catalog(locale)
    ctx = {"ctx": CTX}
    for command in spec.commands:
        options = {o.name: option_sample(o) for o in command.options}
        scope = {**ctx, "options": options}
        entries = []
        if command.form is not None:  # asked before the command runs: its title reads options and ctx
            entries.append(Entry(f"command/{command.name}/form", f"{command.name}: form", "reply", None, Card(),
                                 scope, form=command.form))
        if command.confirm is not None:  # asked before the command runs: options and ctx only
            entries.append(Entry(f"command/{command.name}/confirm", f"{command.name}: confirmation", "reply", None,
                                 Card(), scope, asks=command.confirm))
        for status, card in command.replies.items():
            seen_by = " (only the one who asked sees it)" if card.private else ""
            entries.append(Entry(f"command/{command.name}/{status}", f"{command.name} → {status}{seen_by}", "reply",
                                 samples.response_sample(api, command.operation, status), card, scope,
                                 bind=("c", command.name, status) if status.startswith("2") else None))
            if status.startswith("2"):
                reply = entries[-1].sample
                entries += _buttons(api, f"command/{command.name}/{status}", command.name, card,
                                    {**scope, "reply": reply, "event": {}, "data": {}})
                entries += _selects(api, f"command/{command.name}/{status}", command.name, card,
                                    {**scope, "reply": reply, "event": {}, "data": {}})
        preview.commands.append(CommandView(
            command,
            usage(spec.bot.prefix, command, words),
            [(f"-{o.name}", describe_option(o, words) + (f" · suggested while typed, from {o.autocomplete.operation}"
                                                          if o.autocomplete else "")) for o in command.options],
            entries,
        ))
    for event in spec.events:
        entry = Entry(f"event/{event.name}", event.name, "event", event_sample(api, event.name, event.card),
                      event.card, {"ctx": {"server": {"id": CTX["server"]["id"]}}}, bind=("e", event.name, ""))
        preview.events.append(entry)
        preview.events += _buttons(api, entry.id, event.name, event.card, {**entry.scope(), **ctx})
        preview.events += _selects(api, entry.id, event.name, event.card, {**entry.scope(), **ctx})
    if spec.defaults.error is not None:
        preview.others.append(Entry("defaults/error", "defaults.error", "reply", samples.problem_sample("409"),
                                    spec.defaults.error, {**ctx, "options": {}}))
    for entry_id, text in (overrides or {}).items():
        edited = preview.entry(entry_id)
        if edited is not None:
            apply_edit(edited, text, (last_good or {}).get(entry_id, edited.sample))
    return preview


def _buttons(api: OpenAPI, parent: str, source: str, card: Card, scope: dict[str, Any]) -> list[Entry]:
    entries = []
    for index, button in enumerate(card.buttons):
        if button.form is not None:  # asked when clicked: its title reads what the click carries
            entries.append(Entry(f"{parent}/button/{index}/form", f"{source}: [{button.label}] → form", "reply",
                                 scope.get("reply"), Card(), {k: v for k, v in scope.items() if k != "reply"},
                                 form=button.form))
        if button.confirm is not None:  # the prompt where the platform has no dialog of its own
            entries.append(Entry(f"{parent}/button/{index}/confirm", f"{source}: [{button.label}] → confirmation",
                                 "reply", scope.get("reply"), Card(), {k: v for k, v in scope.items() if k != "reply"},
                                 asks=button.confirm))
        for status, reply_card in button.replies.items():
            # a click renders with the clicked button's reply, and the event / reply of its card
            base = {key: value for key, value in scope.items() if key != "reply"}
            entries.append(Entry(f"{parent}/button/{index}/{status}",
                                 f"{source}: [{button.label}] → {status}", "reply",
                                 samples.response_sample(api, button.operation, status), reply_card, base,
                                 bind=("b", button.operation, status) if status.startswith("2") else None))
    return entries


def _selects(api: OpenAPI, parent: str, source: str, card: Card, scope: dict[str, Any]) -> list[Entry]:
    """A select's confirmation prompt and reply cards, as a button's (gmbot/chat/selects.py)."""
    entries = []
    base = {key: value for key, value in scope.items() if key != "reply"}
    for index, select in enumerate(card.selects):
        chosen = {**base, selects.SELECTED: str(select.options[0].value) if select.options else "sample"}
        if select.confirm is not None:
            entries.append(Entry(f"{parent}/select/{index}/confirm", f"{source}: ▾ {select.placeholder} → confirmation",
                                 "reply", scope.get("reply"), Card(), chosen, asks=select.confirm))
        for status, reply_card in select.replies.items():
            entries.append(Entry(f"{parent}/select/{index}/{status}", f"{source}: ▾ {select.placeholder} → {status}",
                                 "reply", samples.response_sample(api, select.operation, status), reply_card, chosen,
                                 bind=("b", select.operation, status) if status.startswith("2") else None))
    return entries


def apply_edit(entry: Entry, text: str, last_good: Any) -> None:
    """Use the author's JSON as the sample; JSON that does not parse keeps the last good one."""
    entry.text = text
    try:
        entry.sample = json.loads(text)
        entry.error = None
    except ValueError as exc:
        entry.sample = last_good
        entry.error = f"not JSON: {exc}"


def render_card(preview: Preview, entry: Entry, platform: str | None = None) -> RenderedCard:
    """The card as `platform`'s front end renders it (None: the neutral card)."""
    assert preview.spec is not None
    renderer = preview.renderer or CardRenderer(preview.spec.bot)
    scope = entry.scope()
    if entry.asks is not None:  # the core's own prompt, with ids standing for what it posts
        return confirm.prompt_card(renderer, entry.asks, scope, CANCEL_ID.replace('"x"', '"K"'), CANCEL_ID)
    # with the platform's overrides (spec `platforms:`), in the page's language
    card = renderer.render(entry.card, scope, platform, preview.locale)
    pictures.stand_in(card, entry.card, platform)  # no backend here: a picture from one is a placeholder
    if entry.bind is not None and card.buttons:
        # the core's own binding: a button whose custom id would be too long to post is
        # left without one, and the platforms leave it out, here as in the chat
        bind_buttons(card, entry.card.buttons, scope, *entry.bind)
    kind, source, status = entry.bind or ("", "", "")
    command = preview.spec.command(source) if kind == "c" else None
    if entry.card.paging is not None and command is not None:
        # Prev / Next as the core adds them: from the sample's total and the options' defaults
        paging.add_buttons(card, entry.card.paging, command, status, scope.get("options") or {}, scope, renderer,
                           BUTTON_PREFIX, CUSTOM_ID_MAX)
    if entry.bind is not None and entry.card.selects and kind in selects.KINDS:
        # the core's selects, with their ids (an option a platform cannot post as a button has none)
        selects.add_selects(card, entry.card.selects, scope, renderer, selects.KINDS[kind], source, status,
                            BUTTON_PREFIX, CUSTOM_ID_MAX, _fits(platform))
    return card


def render_form(preview: Preview, entry: Entry) -> RenderedForm:
    """The entry's form as the core renders it, in the page's language."""
    assert preview.spec is not None and entry.form is not None
    renderer = preview.renderer or CardRenderer(preview.spec.bot)
    renderer.locale = preview.locale
    words = renderer.locales.catalog(preview.locale)
    title = renderer.plain(entry.form.title, entry.scope()) or entry.form.title
    return RenderedForm("gm:preview", title, words.gettext(entry.form.submit), forms.inputs(entry.form, words.gettext))


def _fits(platform: str | None) -> Callable[[str], bool]:
    try:
        return registered(platform).button_fits if platform else fits_anywhere
    except PlatformError:
        return fits_anywhere


def source_digest(config: Config) -> str:
    """Changes whenever either source file's bytes change (or one appears / disappears)."""
    import hashlib

    digest = hashlib.sha256()
    po_files = sorted(catalogs.locales_dir(config.spec).glob(f"*/LC_MESSAGES/{catalogs.DOMAIN}.po"))
    for path in (config.spec, config.openapi, *po_files):  # a saved translation reloads the page too
        try:
            digest.update(Path(path).read_bytes())
        except OSError:
            digest.update(b"\0missing")
        digest.update(b"\0")
    return digest.hexdigest()[:16]
