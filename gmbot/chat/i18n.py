"""Which language, and the words in it: compiled message catalogs and locale choice.

Translations live beside the spec as gettext catalogs (`specs/locales/<locale>/LC_MESSAGES/
gmbot.po`, made and checked by `gmbot i18n`); `gmbot generate` compiles each into
`generated/chat/locales/<locale>.json`, which the runtime reads here. English is the
source language: its catalog is empty and every text is its own translation.

A message id is the English text itself (gettext's convention, what translators' tools
show); a command's or an option's name is looked up with a context (`command`, `option`)
so that a name never shares a translation with a word of a sentence.

Locales are named as gettext names them (`es`, `pt_BR`); what a platform sends (`es-ES`,
`pt-BR`, `pt`) is matched to the nearest shipped catalog by `Locales.choose`.
"""

from __future__ import annotations

import gettext as _gettext
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SOURCE = "en"  # the language the spec and the library are written in
CONTEXT_SEPARATOR = "\x04"  # gettext's: "context\x04message" is a message id with a context
COMMAND, OPTION = "command", "option"  # the contexts of command and option names


def N_(message: str) -> str:  # gettext's name for "extract this, translate later"
    """Marks a constant for `gmbot i18n extract`; it is translated where it is shown."""
    return message


# words the library shows that are not in a gettext call where they are written
UNIT_NAMES = (N_("seconds"), N_("minutes"), N_("hours"), N_("days"))


@dataclass(frozen=True)
class Words:
    """A message translated where it is shown: its gettext id (an English text marked with
    `N_`, with `{name}` placeholders) and its values; a value may be `Words` itself."""

    template: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def text(self, gettext: Callable[[str], str] | None = None) -> str:
        translate = gettext or (lambda message: message)
        return translate(self.template).format(
            **{k: v.text(gettext) if isinstance(v, Words) else v for k, v in self.values.items()})


def said(words: Iterable[Words], gettext: Callable[[str], str] | None = None) -> str:
    return "".join(w.text(gettext) for w in words)


class Catalog:
    """One locale's messages: message id -> translation (a list of plural forms for a
    plural message). A message not in it (or not translated yet) is shown in English."""

    def __init__(self, locale: str, messages: Mapping[str, str | list[str]] | None = None,
                 plural_forms: str = "nplurals=2; plural=(n != 1);") -> None:
        self.locale = locale
        self.messages = dict(messages or {})
        self.plural_forms = plural_forms
        self._plural: Callable[[int], int] = plural_rule(plural_forms)

    def gettext(self, message: str) -> str:
        found = self.messages.get(message)
        return found if isinstance(found, str) and found else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        found = self.messages.get(singular)
        if isinstance(found, list):
            index = self._plural(int(n))
            if 0 <= index < len(found) and found[index]:
                return found[index]
        return singular if n == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        found = self.messages.get(context + CONTEXT_SEPARATOR + message)
        return found if isinstance(found, str) and found else message

    def npgettext(self, context: str, singular: str, plural: str, n: int) -> str:
        found = self.messages.get(context + CONTEXT_SEPARATOR + singular)
        if isinstance(found, list):
            index = self._plural(int(n))
            if 0 <= index < len(found) and found[index]:
                return found[index]
        return singular if n == 1 else plural

    def translated(self, context: str, message: str) -> str | None:
        """The translation of a name (`command`/`option` context), or None when it has none."""
        found = self.messages.get(context + CONTEXT_SEPARATOR + message)
        return found if isinstance(found, str) and found and found != message else None


def plural_rule(plural_forms: str) -> Callable[[int], int]:
    """The `Plural-Forms` header's `plural=` expression as a function (gettext's own parser:
    it accepts only the C subset the header is written in)."""
    expression = plural_forms.split("plural=", 1)[1].rstrip().rstrip(";") if "plural=" in plural_forms else "(n != 1)"
    rule: Callable[[int], int] = _gettext.c2py(expression)
    return rule


ENGLISH = Catalog(SOURCE)


def _tag(value: str) -> tuple[str, str]:
    """`es-ES`, `es_es`, `pt-br` -> ("es", "ES"); `pt` -> ("pt", "")."""
    language, _, region = value.strip().replace("-", "_").partition("_")
    return language.lower(), region.split("_")[0].upper()


class Locales:
    """Every catalog the application ships, and how a platform's locale finds one."""

    def __init__(self, catalogs: Iterable[Catalog] = (), default: str = SOURCE) -> None:
        self.catalogs: dict[str, Catalog] = {SOURCE: ENGLISH}
        for catalog in catalogs:
            self.catalogs[catalog.locale] = catalog
        self.default = default

    @classmethod
    def load(cls, directory: Path) -> Locales:
        """The compiled catalogs `gmbot generate` wrote (`<locale>.json`); none -> English only."""
        found = []
        for path in sorted(directory.glob("*.json")) if directory.is_dir() else ():
            document = json.loads(path.read_text(encoding="utf-8"))
            found.append(Catalog(document["locale"], document["messages"], document["plural_forms"]))
        return cls(found)

    def names(self) -> tuple[str, ...]:
        return tuple(self.catalogs)

    def match(self, value: str | None) -> str | None:
        """The shipped locale nearest to a platform's tag (`es-ES` -> `es`, `pt` -> `pt_BR`),
        or None when no catalog has that language."""
        if not value:
            return None
        language, region = _tag(value)
        same_language = [name for name in self.catalogs if _tag(name)[0] == language]
        exact = [name for name in same_language if _tag(name)[1] == region]
        if exact:
            return exact[0]
        plain = [name for name in same_language if not _tag(name)[1]]
        return (plain or same_language)[0] if same_language else None

    def choose(self, *candidates: str | None) -> str:
        """The first candidate a catalog answers (the person's, then the clan's), else English."""
        for candidate in candidates:
            found = self.match(candidate)
            if found is not None:
                return found
        return self.default

    def catalog(self, locale: str | None) -> Catalog:
        return self.catalogs.get(locale or self.default) or self.catalogs[self.default]

    def command_names(self, canonical: Iterable[str]) -> dict[str, str]:
        """Every localized command name that belongs to one command only -> its canonical name
        (a name two commands translate to, or that is another command's canonical name, is
        left out: prefix syntax accepts localized names only where unambiguous)."""
        return _unambiguous(self.catalogs.values(), COMMAND, canonical)

    def option_names(self, canonical: Iterable[str]) -> dict[str, str]:
        """The same for the option (flag) names of one command."""
        return _unambiguous(self.catalogs.values(), OPTION, canonical)


def _unambiguous(catalogs: Iterable[Catalog], context: str, canonical: Iterable[str]) -> dict[str, str]:
    names = list(canonical)
    taken = {name.lower() for name in names}
    seen: dict[str, set[str]] = {}
    for catalog in catalogs:
        for name in names:
            local = catalog.translated(context, name)
            if local is not None:
                seen.setdefault(local.lower(), set()).add(name)
    return {local: next(iter(owners)) for local, owners in seen.items() if len(owners) == 1 and local not in taken}


def catalog_document(locale: str, plural_forms: str, messages: Mapping[str, Any]) -> dict[str, Any]:
    """The compiled catalog as `gmbot generate` writes it (what `Locales.load` reads)."""
    return {"locale": locale, "plural_forms": plural_forms, "messages": dict(sorted(messages.items()))}
