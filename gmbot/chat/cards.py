"""Platform-neutral cards: sandboxed Jinja2 over the reply's JSON.

A `Card` of the spec renders to a `RenderedCard` of strings in which every value is
marked as data (gmbot/chat/markup.py); each front end (and the playground's text)
writes the author's markup and escapes the data in its own format. Button labels, the
url and the colour are plain text on every platform, so they are rendered plain here. Rendering never raises: a template that fails on an
odd reply renders as an empty string and is logged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any

from jinja2 import TemplateError, Undefined

from gmbot.chat import confirm, markup, times
from gmbot.chat.commands import CommandWriter, write_commands, write_plain
from gmbot.chat.templating import card_environment
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.platforms import PlatformError
from gmbot.platforms import platform as registered
from gmbot.spec.model import BotSettings, Card

log = logging.getLogger("gmbot.chat.cards")

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")
_URL = re.compile(r"^https?://[^\s<>|\\]+$")  # what every platform takes as a link (some refuse the rest)
PARTS = ("title", "description", "footer", "field_name", "field_value", "button_label")


def hex_color(value: str | None) -> int | None:
    """"#rrggbb" (or "rrggbb") as the integer an embed takes; anything else -> None."""
    match = _HEX.match(value or "")
    return int(match.group(1), 16) if match else None


class CardRenderer:
    def __init__(self, settings: BotSettings) -> None:
        self.settings = settings
        self.env = card_environment()  # the generator checks templates in the same environment
        self._templates: dict[str, Any] = {}
        self._expressions: dict[str, Any] = {}

    def text(self, source: str | None, scope: Mapping[str, Any]) -> str:
        if not source:
            return ""
        if "{" not in source:
            return source
        try:
            template = self._templates.get(source)
            if template is None:
                template = self._templates[source] = self.env.from_string(source)
            return markup.strip(str(template.render(scope)))
        except (TemplateError, TypeError, ValueError, AttributeError, KeyError, IndexError) as error:
            log.warning("card template %r failed: %s", source, error)
            return ""

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

    def plain(self, source: str | None, scope: Mapping[str, Any]) -> str:
        """Text no platform formats (a button's label): values as they are, times in UTC."""
        return markup.plain(times.write_times(self.text(source, scope), times.plain))

    def color(self, source: str | None, scope: Mapping[str, Any]) -> int | None:
        name = self.plain(source, scope)
        return hex_color(self.settings.colors.get(name, name))

    def url(self, source: str | None, scope: Mapping[str, Any]) -> str | None:
        """A link for the title: only an http(s) URL (anything else would be refused or unsafe)."""
        url = self.plain(source, scope)
        return url if _URL.match(url) else None

    def command_writer(self, platform: str | None) -> CommandWriter:
        """How `platform` writes a command reference (the prefix syntax where there is none)."""

        try:
            return registered(platform).write_command if platform else write_plain
        except PlatformError:
            return write_plain

    def render(self, card: Card, scope: Mapping[str, Any], platform: str | None = None) -> RenderedCard:
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
            fields=fields,
            footer=self.text(card.footer, scope),
            buttons=[
                RenderedButton(self.plain(button.label, scope) or "?", button.style.value, index,
                               confirm=None if button.confirm is None else confirm.rendered(
                                   button.confirm, self.plain(button.confirm.title, scope),
                                   self.plain(button.confirm.text, scope)))
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
    if card.buttons:
        lines.append("  " + "  ".join(f"[{b.label}]" for b in card.buttons))
    if card.footer:
        lines.append(f"  -- {card.footer}")
    return "\n".join(lines)
