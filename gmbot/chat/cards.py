"""Platform-neutral cards: sandboxed Jinja2 over the reply's JSON.

A `Card` of the spec renders to a `RenderedCard` of strings in which every value is
marked as data (gmbot/chat/markup.py); each front end (and the playground's text)
writes the author's markup and escapes the data in its own format. Button labels, the
url and the colour are plain text on every platform, so they are rendered plain here. Rendering never raises: a template that fails on an
odd reply renders as an empty string and is logged.

A card renders in one locale (gmbot/chat/i18n.py). A text of the spec is translated whole
(its English source is the message id and the translation is a template with the same
values), unless it marks its own words with `{% trans %}` or `_()`: then only those are
translated, by the locale's environment (gmbot/chat/templating.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import TemplateError, Undefined

from gmbot.chat import confirm, markup, times
from gmbot.chat.commands import CommandWriter, write_commands, write_plain
from gmbot.chat.i18n import SOURCE, Locales
from gmbot.chat.templating import card_environment
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.platforms import PlatformError
from gmbot.platforms import platform as registered
from gmbot.spec.model import BotSettings, Card

log = logging.getLogger("gmbot.chat.cards")

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
# a text that marks its own words for translation (the rest of it is not translated whole)
MARKED = re.compile(r"{%-?\s*trans\b|\b(?:_|gettext|ngettext|pgettext|npgettext)\(")
_URL = re.compile(r"^https?://[^\s<>|\\]+$")  # what every platform takes as a link (some refuse the rest)
PARTS = ("title", "description", "footer", "field_name", "field_value", "button_label")


def hex_color(value: str | None) -> int | None:
    """"#rrggbb" (or "rrggbb") as the integer an embed takes; anything else -> None."""
    match = _HEX.match(value or "")
    return int(match.group(1), 16) if match else None


def translatable(source: str | None) -> bool:
    """Whether a text of the spec is translated whole (it has words and marks none itself)."""
    return bool(source and source.strip()) and MARKED.search(source or "") is None


class CardRenderer:
    def __init__(self, settings: BotSettings, locales: Locales | None = None) -> None:
        self.settings = settings
        self.locales = locales or Locales()
        self.env = card_environment()  # the generator checks templates in the same environment
        self._envs: dict[str, Any] = {SOURCE: self.env}
        self._templates: dict[tuple[str, str], Any] = {}
        self._expressions: dict[str, Any] = {}
        self.locale = SOURCE  # the locale of the card being rendered (render() sets it)

    def environment(self, locale: str) -> Any:
        env = self._envs.get(locale)
        if env is None:
            env = self._envs[locale] = card_environment(self.locales.catalog(locale))
        return env

    def text(self, source: str | None, scope: Mapping[str, Any], translate: bool = True) -> str:
        if not source:
            return ""
        # one lookup per text and locale, whatever the locale: the translation and its compiled
        # template (or its plain text) are worked out the first time only
        key = (self.locale if translate else SOURCE, source)
        template = self._templates.get(key)
        try:
            if template is None:
                template = self._templates[key] = self._compile(key[0], source)
            if isinstance(template, str):
                return template
            return markup.strip(str(template.render(scope)))
        except (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            log.warning("card template %r failed: %s", source, error)
            return ""

    def _compile(self, locale: str, source: str) -> Any:
        """A text of the spec in `locale`: plain text as it is, else its compiled template."""
        if locale != SOURCE and translatable(source):
            source = self.locales.catalog(locale).gettext(source)
        return source if "{" not in source else self.environment(locale).from_string(source)

    def value(self, expression: str, scope: Mapping[str, Any]) -> Any:
        """A Jinja expression's value (None when it fails: logged, as a failing template)."""
        try:
            compiled = self._expressions.get(expression)
            if compiled is None:
                compiled = self._expressions[expression] = self.env.compile_expression(expression)
            value = compiled(**scope)
        except (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            log.warning("card expression %r failed: %s", expression, error)
            return None
        return None if isinstance(value, Undefined) else value

    def items(self, expression: str, scope: Mapping[str, Any]) -> list[Any]:
        value = self.value(expression, scope)
        if isinstance(value, list | tuple):
            return list(value)
        if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
            return list(value)
        return []

    def plain(self, source: str | None, scope: Mapping[str, Any], translate: bool = True) -> str:
        """Text no platform formats (a button's label): values as they are, times in UTC."""
        return markup.plain(times.write_times(self.text(source, scope, translate), times.plain))

    def color(self, source: str | None, scope: Mapping[str, Any]) -> int | None:
        name = self.plain(source, scope, translate=False)
        return hex_color(self.settings.colors.get(name, name))

    def url(self, source: str | None, scope: Mapping[str, Any]) -> str | None:
        """A link for the title: only an http(s) URL (anything else would be refused or unsafe)."""
        url = self.plain(source, scope, translate=False)
        return url if _URL.match(url) else None

    def command_writer(self, platform: str | None) -> CommandWriter:
        """How `platform` writes a command reference (the prefix syntax where there is none)."""

        try:
            return registered(platform).write_command if platform else write_plain
        except PlatformError:
            return write_plain

    def render(self, card: Card, scope: Mapping[str, Any], platform: str | None = None,
               locale: str = SOURCE) -> RenderedCard:
        self.locale = locale if locale in self.locales.catalogs else SOURCE
        rendered = self._render(card, scope, platform)
        write, prefix = self.command_writer(platform), self.settings.prefix

        def commands(part: str, text: str) -> str:
            written = write_commands(text, prefix, write)
            return markup.plain(written) if part == "button_label" else written  # a label is plain text

        return rendered.map(commands)

    def _render(self, card: Card, scope: Mapping[str, Any], platform: str | None = None) -> RenderedCard:
        card = card.on(platform)  # a card may say something differently on one platform (spec `platforms:`)
        fields: list[RenderedField] = []
        for spec_field in card.fields:
            if spec_field.each is None:
                name, value = self.text(spec_field.name, scope), self.text(spec_field.value, scope)
                if name or value:
                    fields.append(RenderedField(name, value, spec_field.inline))
                continue
            items = self.items(spec_field.each, scope)
            for index, item in enumerate(items):
                loop = {"index": index + 1, "index0": index, "first": index == 0,
                        "last": index == len(items) - 1, "length": len(items)}
                inner = {**scope, "item": item, "loop": loop}
                fields.append(RenderedField(self.text(spec_field.name, inner),
                                            self.text(spec_field.value, inner), spec_field.inline))
        return RenderedCard(
            title=self.text(card.title, scope),
            description=self.text(card.description, scope),
            color=self.color(card.color, scope),
            url=self.url(card.url, scope),
            image=self.url(card.image, scope) if isinstance(card.image, str) else None,  # else the core fetches it
            thumbnail=self.url(card.thumbnail, scope) if isinstance(card.thumbnail, str) else None,
            fields=fields,
            footer=self.text(card.footer, scope),
            buttons=[
                RenderedButton(self.plain(button.label, scope) or "?", button.style.value, index,
                               confirm=None if button.confirm is None else confirm.rendered(
                                   button.confirm,
                                   self.plain(button.confirm.title, scope) or self.plain(confirm.DEFAULT_TITLE, {}),
                                   self.plain(button.confirm.text, scope), self.plain(button.confirm.ok, scope),
                                   self.plain(button.confirm.cancel, scope)))
                for index, button in enumerate(card.buttons)
            ],
        )


def card_to_text(card: RenderedCard) -> str:
    """A card as readable plain text (the playground, logs); times in UTC, data as it is."""
    card = times.with_times(card, times.plain, PARTS).map(lambda _, text: markup.plain(text))
    lines: list[str] = []
    if card.title:
        lines += [f"== {card.title} =="]
    if card.description:
        lines += card.description.splitlines()
    for item in card.fields:
        if item.name and item.value:
            lines.append(f"  {item.name}: {item.value}")
        else:
            lines.append(f"  {item.name or item.value}")
    lines += [f"  [{kind}: {url}]" for kind, url in (("image", card.image), ("thumbnail", card.thumbnail)) if url]
    lines += [f"  [{kind}: {picture.name}, {len(picture.data)} bytes, {picture.media_type}]"
              for kind, picture in card.pictures.items()]
    if card.buttons:
        lines.append("  " + "  ".join(f"[{b.label}]" for b in card.buttons))
    if card.footer:
        lines.append(f"  -- {card.footer}")
    return "\n".join(lines)
