"""Translations of a spec: what to translate (the catalog template), and the compiled catalogs.

* `template()`: every text of the spec (command and option names and descriptions, choice
  names, roles, every card text) and the library's own messages (gettext calls in `gmbot/`),
  as a Babel catalog with where each comes from (`specs/commands.yaml:34`).
  A card text is a message whole (its English source is the id, the translation a
  template with the same values) unless it marks its words itself with `{% trans %}` or
  `_()`: then those are the messages (with their plurals).
* `compile_catalogs()`: each `specs/locales/<locale>/LC_MESSAGES/gmbot.po` checked and turned
  into what the runtime reads (`generated/chat/locales/<locale>.json`, gmbot/chat/i18n.py).
  A broken translation is an error at its line of the .po: a value dropped or renamed, a
  template that does not compile, a text over a platform's limit, a command name a
  platform refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from babel.messages.catalog import Catalog as BabelCatalog
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from generator import yamlpos
from generator.errors import SpecError
from generator.targets import Limit, strictest, strictest_command, targets
from generator.template_scan import analyse
from gmbot.chat.cards import translatable
from gmbot.chat.i18n import COMMAND, OPTION, catalog_document
from gmbot.chat.menus import MENU
from gmbot.chat.templating import card_environment

DOMAIN = "gmbot"
LIBRARY = Path(__file__).resolve().parent.parent / "gmbot"  # the library whose messages are extracted
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3), "N_": None}
_LETTERS = re.compile(r"[^\W\d_]")
_JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
_EXPRESSION = re.compile(r"{{\s*(.*?)\s*}}", re.S)
_PERCENT = re.compile(r"%\((\w+)\)[sd]")
_BRACES = re.compile(r"(?<!{){(\w*)}(?!})")

@dataclass
class Found:
    """One message of the spec: its id (a text, or (singular, plural)), context, where and what."""

    id: str | tuple[str, str]
    line: int
    kind: str  # "template", "trans", "text" (plain text), "command", "option", "library"
    part: str | None = None  # the card part or command part it fills, for limits
    context: str | None = None
    comments: list[str] = field(default_factory=list)


_ENV = card_environment()


def locales_dir(spec: Path) -> Path:
    """Where a spec's catalogs live: beside it."""
    return spec.parent / "locales"


def po_path(directory: Path, locale: str) -> Path:
    return directory / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def shipped(directory: Path) -> list[str]:
    return sorted(p.parent.parent.name for p in directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


# -- what to translate --------------------------------------------------------------------
def spec_messages(doc: yamlpos.Document) -> list[Found]:
    found: list[Found] = []
    data = doc.data or {}

    def line(path: tuple[Any, ...]) -> int:
        return doc.where(path)[0]

    def text(value: Any, path: tuple[Any, ...], part: str | None) -> None:
        if not isinstance(value, str) or not _LETTERS.search(_JINJA.sub("", value) if translatable(value) else value):
            return
        if translatable(value):
            found.append(Found(value, line(path), "template" if "{" in value else "text", part))
            return
        try:
            marked = list(_ENV.extract_translations(value))  # type: ignore[attr-defined]  # i18n extension's
        except jinja2.TemplateSyntaxError:
            return  # the spec checks report it
        for _, function, message in marked:
            strings = [m for m in (message if isinstance(message, tuple) else (message,)) if isinstance(m, str)]
            context = strings.pop(0) if function in ("pgettext", "npgettext") and len(strings) > 1 else None
            if strings:
                found.append(Found(strings[0] if len(strings) == 1 else (strings[0], strings[1]),
                                   line(path), "trans", part, context))

    def confirmation(value: Any, path: tuple[Any, ...]) -> None:
        """A `confirm:` prompt's texts (its title, text and the two button labels)."""
        if isinstance(value, dict):
            for key, part in (("title", "title"), ("text", "description"), ("ok", "button_label"),
                              ("cancel", "button_label")):
                text(value.get(key), (*path, key), part)

    def form(value: Any, path: tuple[Any, ...]) -> None:
        """A `form:`'s title, its submit label and each field's label (description), hint, choices."""
        if not isinstance(value, dict):
            return
        text(value.get("title"), (*path, "title"), None)
        text(value.get("submit"), (*path, "submit"), None)
        for name, entry in (value.get("fields") or {}).items():
            if isinstance(entry, dict):
                fpath = (*path, "fields", name)
                text(entry.get("description"), (*fpath, "description"), None)
                text(entry.get("placeholder"), (*fpath, "placeholder"), None)
                for i, choice in enumerate(entry.get("choices") or []):
                    if isinstance(choice, dict):
                        text(choice.get("name"), (*fpath, "choices", i, "name"), "choice_name")

    def card(value: Any, path: tuple[Any, ...]) -> None:
        if not isinstance(value, dict):
            return
        for key in ("title", "description", "footer"):
            text(value.get(key), (*path, key), key)
        for i, item in enumerate(value.get("fields") or []):
            if isinstance(item, dict):
                text(item.get("name"), (*path, "fields", i, "name"), "field_name")
                text(item.get("value"), (*path, "fields", i, "value"), "field_value")
        for i, button in enumerate(value.get("buttons") or []):
            if isinstance(button, dict):
                text(button.get("label"), (*path, "buttons", i, "label"), "button_label")
                confirmation(button.get("confirm"), (*path, "buttons", i, "confirm"))
                form(button.get("form"), (*path, "buttons", i, "form"))
                for status, reply in (button.get("replies") or {}).items():
                    card(reply, (*path, "buttons", i, "replies", status))
        for i, select in enumerate(value.get("selects") or []):
            if isinstance(select, dict):  # plain texts, as a button's label
                where = (*path, "selects", i)
                text(select.get("placeholder"), (*where, "placeholder"), "button_label")
                if select.get("each"):
                    text(select.get("label"), (*where, "label"), "button_label")
                    text(select.get("description"), (*where, "description"), "button_label")
                for j, option in enumerate(select.get("options") or []):
                    if isinstance(option, dict):
                        text(option.get("label"), (*where, "options", j, "label"), "button_label")
                        text(option.get("description"), (*where, "options", j, "description"), "button_label")
                confirmation(select.get("confirm"), (*where, "confirm"))
                for status, reply in (select.get("replies") or {}).items():
                    card(reply, (*where, "replies", status))
        for name, override in (value.get("platforms") or {}).items():
            card(override, (*path, "platforms", name))

    card((data.get("defaults") or {}).get("error"), ("defaults", "error"))
    for name, command in (data.get("commands") or {}).items():
        if not isinstance(command, dict):
            continue
        path = ("commands", name)
        found.append(Found(name, line(path), "command", "command_name", COMMAND,
                           ["the command's name: lowercase letters, digits, - or _; leave empty to keep it"]))
        text(command.get("description"), (*path, "description"), "command_description")
        confirmation(command.get("confirm"), (*path, "confirm"))
        form(command.get("form"), (*path, "form"))
        for role in command.get("roles") or []:
            text(role, (*path, "roles"), None)
        for option_name, option in (command.get("options") or {}).items():
            opath = (*path, "options", option_name)
            found.append(Found(option_name, line(opath), "option", "option_name", OPTION,
                               ["an option's name: lowercase letters, digits, - or _; leave empty to keep it"]))
            if isinstance(option, dict):
                text(option.get("description"), (*opath, "description"), "command_description")
                text(option.get("placeholder"), (*opath, "placeholder"), None)  # `-opponent <clan id>`
                for i, choice in enumerate(option.get("choices") or []):
                    if isinstance(choice, dict):
                        text(choice.get("name"), (*opath, "choices", i, "name"), "choice_name")
        for i, menu in enumerate(command.get("menus") or []):  # context-menu entries (gmbot/chat/menus.py)
            if isinstance(menu, dict) and isinstance(menu.get("name"), str):
                found.append(Found(menu["name"], line((*path, "menus", i, "name")), "text",
                                   f"menu:{menu.get('target')}", MENU,
                                   ["a menu entry's name: capitals and spaces allowed; leave empty to keep it"]))
        for status, reply in (command.get("replies") or {}).items():
            card(reply, (*path, "replies", status))
    for name, event in (data.get("events") or {}).items():
        if isinstance(event, dict):
            card(event.get("card"), ("events", name, "card"))
    # one translation serves every entry of that name: it must fit each kind's menus
    kinds: dict[Any, set[str]] = {}
    for item in found:
        if item.context == MENU and item.part:
            kinds.setdefault(item.id, set()).update(item.part.partition(":")[2].split(","))
    for item in found:
        if item.context == MENU:
            item.part = "menu:" + ",".join(sorted(kinds[item.id]))
    return found


def library_messages(root: Path = LIBRARY) -> list[tuple[str, int, str | tuple[str, ...], str | None]]:
    """(file, line, message, context) of every gettext call and `N_()` in the library."""
    found = []
    for filename, lineno, message, _comments, context in extract_from_dir(
            root, method_map=[("**.py", "python")], keywords=KEYWORDS):
        found.append((f"gmbot/{filename}", lineno, message, context))
    return found


def template(doc: yamlpos.Document, project: str = "Gmbot") -> BabelCatalog:
    """The catalog template (.pot): the spec's texts, then the library's messages."""
    pot = BabelCatalog(project=project, fuzzy=False)
    for item in spec_messages(doc):
        message = pot.get(item.id, context=item.context)
        if message is None:
            pot.add(item.id, locations=[(doc.file, item.line)], auto_comments=item.comments, context=item.context)
        else:
            message.locations.append((doc.file, item.line))
    for filename, lineno, text, context in library_messages():
        message_id: Any = text if isinstance(text, str) else tuple(text)
        existing = pot.get(message_id, context=context)
        if existing is None:
            pot.add(message_id, locations=[(filename, lineno)], context=context)
        else:
            existing.locations.append((filename, lineno))
    return pot


def write_catalog(catalog: BabelCatalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=False, omit_header=False, include_previous=True)
    _drop_creation_date(path)


def _drop_creation_date(path: Path) -> None:
    """The catalog's text depends on its sources only (no timestamps), so it diffs cleanly."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r'"(POT-Creation-Date|PO-Revision-Date): [^"]*\\n"\n', "", text)
    path.write_text(text, encoding="utf-8")


def read_catalog(path: Path, locale: str | None = None) -> BabelCatalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, abort_invalid=False)


def update(pot: BabelCatalog, directory: Path) -> list[str]:
    """Merge the template into each locale's catalog, keeping translations (a changed text
    becomes fuzzy, with its previous id shown to the translator). Returns what it did."""
    done = []
    for locale in shipped(directory):
        path = po_path(directory, locale)
        catalog = read_catalog(path, locale)
        catalog.update(pot, no_fuzzy_matching=False)
        write_catalog(catalog, path)
        done.append(f"{path}: {len(catalog)} messages")
    return done


@dataclass
class Progress:
    locale: str
    total: int
    missing: list[str]
    fuzzy: list[str]


def progress(directory: Path) -> list[Progress]:
    report = []
    for locale in shipped(directory):
        catalog = read_catalog(po_path(directory, locale), locale)
        messages = [m for m in catalog if m.id]
        missing = [_label(m) for m in messages if not m.fuzzy and not _complete(m)]
        fuzzy = [_label(m) for m in messages if m.fuzzy]
        report.append(Progress(locale, len(messages), missing, fuzzy))
    return report


def _label(message: Message) -> str:
    text = message.id if isinstance(message.id, str) else message.id[0]
    return (f"[{message.context}] " if message.context else "") + text.replace("\n", " ")[:80]


def _complete(message: Message) -> bool:
    if message.context in (COMMAND, OPTION):
        return True  # a name may stay canonical: an empty translation keeps it
    if isinstance(message.string, tuple | list):
        return all(message.string)
    return bool(message.string)


# -- compiling, and what a broken translation looks like ----------------------------------
def compile_catalogs(directory: Path, doc: yamlpos.Document, display: str) -> tuple[dict[str, dict[str, Any]], list[SpecError]]:
    """Each locale's compiled catalog (what generated/chat/locales/<locale>.json holds) and the
    errors of its translations, at their lines of the .po (`display`: how paths are shown)."""
    kinds: dict[tuple[str | None, str], Found] = {}
    for item in spec_messages(doc):
        key = item.id if isinstance(item.id, str) else item.id[0]
        kinds.setdefault((item.context, key), item)
    compiled: dict[str, dict[str, Any]] = {}
    errors: list[SpecError] = []
    for locale in shipped(directory):
        path = po_path(directory, locale)
        name = f"{display}/{locale}/LC_MESSAGES/{DOMAIN}.po"
        try:
            catalog = read_catalog(path, locale)
        except Exception as error:  # a .po Babel cannot read at all
            errors.append(SpecError(name, 1, 1, locale, f"cannot read the catalog: {error}"))
            continue
        messages: dict[str, Any] = {}
        env = card_environment()
        for message in catalog:
            if not message.id or message.fuzzy or not _complete(message) or not message.string:
                continue
            singular = message.id if isinstance(message.id, str) else message.id[0]
            known = kinds.get((message.context, singular))
            problems = list(translation_problems(message, known, env))
            for problem in problems:
                errors.append(SpecError(name, message.lineno or 1, 1, f"{locale}: {_label(message)}", problem))
            if problems:
                continue
            key = (message.context + "\x04" if message.context else "") + singular
            messages[key] = list(message.string) if isinstance(message.string, tuple | list) else message.string
        plural_forms = catalog.plural_forms or "nplurals=2; plural=(n != 1);"
        compiled[locale] = catalog_document(locale, plural_forms, messages)
    return compiled, errors


def translation_problems(message: Message, item: Found | None, env: Any) -> Iterator[str]:
    """What is wrong with one translation: its values, its template, its length, its name."""
    source = message.id if isinstance(message.id, str) else message.id[0]
    translations = [s for s in (message.string if isinstance(message.string, tuple | list) else [message.string]) if s]
    kind = item.kind if item else "library"
    for text in translations:
        if kind == "template":
            yield from _same(_expressions(source), _expressions(text), "value")
            try:
                env.parse(text)
            except jinja2.TemplateSyntaxError as error:
                yield f"template error in the translation: {error.message}"
        elif kind == "trans" or _PERCENT.search(source):
            expected = set(_PERCENT.findall(source))
            if isinstance(message.id, tuple):
                expected |= set(_PERCENT.findall(message.id[1]))
            yield from _same(expected, set(_PERCENT.findall(text)), "placeholder", plural=isinstance(message.id, tuple))
        elif kind == "library":
            yield from _same(set(_BRACES.findall(source)), set(_BRACES.findall(text)), "placeholder")
        if item is not None and item.part is not None:
            yield from _over_limit(text, item.part)


def _expressions(text: str) -> set[str]:
    return {" ".join(e.split()) for e in _EXPRESSION.findall(text)}


def _same(expected: set[str], got: set[str], what: str, plural: bool = False) -> Iterator[str]:
    for name in sorted(expected - got):
        if plural and name in ("num", "count"):
            continue  # a plural form may leave the number out ("one point")
        yield f"the translation drops the {what} {{{{ {name} }}}}" if what == "value" else \
            f"the translation drops the {what} {name!r}"
    for name in sorted(got - expected):
        yield f"the translation has the {what} {name!r}, which the source does not" if what != "value" else \
            f"the translation has the value {{{{ {name} }}}}, which the source does not"


def _over_limit(text: str, part: str) -> Iterator[str]:
    if part in ("command_name", "option_name"):
        for target in targets():
            problem = target.name_problem(text)
            if problem is not None:
                yield f"'{text}' cannot be a name on {target.title}: {problem}"
        return
    limit: Limit | None
    if part.startswith("menu:"):  # a context-menu entry's name, on the platforms showing its kinds
        from generator.check_menus import strictest_name
        found = [m for kind in part.partition(":")[2].split(",") if (m := strictest_name(kind)) is not None]
        limit = min(found, key=lambda m: m.value) if found else None
    elif part in ("command_description", "choice_name"):
        limit = strictest_command("description" if part == "command_description" else part)
    else:
        limit = strictest(part)
    if limit is None:
        return
    try:
        length = analyse(text)[0] if "{" in text else len(text)
    except jinja2.TemplateSyntaxError:
        return
    if length > limit.value:
        yield f"{length} characters of fixed text, {limit.platform} allows {limit.value}"


# -- words no catalog sees ------------------------------------------------------------------
_GETTEXT_CALLS = {"_", "gettext", "ngettext", "pgettext", "npgettext"}


def _shown_constants(node: Any, shown: bool) -> Iterator[str]:
    """String constants a template writes out (not compared, filtered or looked up), outside
    a gettext call: words a reader sees that no catalog can translate."""
    from jinja2 import nodes

    if isinstance(node, nodes.Const):
        if shown and isinstance(node.value, str) and _LETTERS.search(node.value) and \
                len(re.findall(r"[^\W\d_]", node.value)) > 1:
            yield node.value
        return
    if isinstance(node, nodes.Call) and isinstance(node.node, nodes.Name) and node.node.name in _GETTEXT_CALLS:
        return
    if isinstance(node, nodes.Output):
        for child in node.nodes:
            yield from _shown_constants(child, not isinstance(child, nodes.TemplateData))
        return
    if isinstance(node, nodes.CondExpr):
        yield from _shown_constants(node.test, False)
        yield from _shown_constants(node.expr1, shown)
        if node.expr2 is not None:
            yield from _shown_constants(node.expr2, shown)
        return
    if isinstance(node, nodes.Concat | nodes.Or | nodes.And):
        for part in node.iter_child_nodes():
            yield from _shown_constants(part, shown)
        return
    for inner in node.iter_child_nodes():  # compared, filtered, looked up, called: not shown as words
        yield from _shown_constants(inner, False)


def untranslatable(doc: yamlpos.Document) -> list[str]:
    """`file:line: 'words'` for each card text that writes words from inside `{{ ... }}`
    without `_()`: they would stay English in every language (`gmbot i18n check` lists them)."""
    found: list[str] = []

    def visit(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                visit(item, (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, (*path, index))
        elif isinstance(value, str) and "{{" in value and path and path[-1] in (
                "title", "description", "footer", "name", "value", "label"):
            try:
                words = sorted(set(_shown_constants(_ENV.parse(value), False)))
            except jinja2.TemplateSyntaxError:
                return
            if words and f"{doc.where(path)[0]}:" not in "".join(found):  # an alias repeats its anchor's
                found.append(f"{doc.file}:{doc.where(path)[0]}: words inside {{{{ }}}} no catalog sees: "
                             + ", ".join(repr(w) for w in words) + " (write them as _('...'))")

    data = doc.data or {}
    visit({k: data.get(k) for k in ("defaults", "commands", "events")}, ())
    return found
