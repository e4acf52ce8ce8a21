"""Discord's command localizations: each catalog's command and option names, descriptions and
choice names as `name_localizations` / `description_localizations` of commands.json, keyed by
Discord's locale codes (gmbot/discord/platform.py `command_locales`). A name stays the
canonical one where a catalog leaves it untranslated; `gmbot generate` has checked every
localized name against Discord's naming rule and every text against its limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gmbot.chat.i18n import COMMAND, OPTION, Catalog
from gmbot.chat.menus import MENU
from gmbot.discord.platform import command_locales
from gmbot.spec.model import Command


def _localized(translations: Mapping[str, Catalog], text: str, context: str | None = None) -> dict[str, str]:
    found: dict[str, str] = {}
    for locale, catalog in sorted(translations.items()):
        local = catalog.translated(context, text) if context else catalog.gettext(text)
        if local is None or local == text:
            continue
        for code in command_locales(locale):  # a menu entry's name keeps its capitals and spaces
            found.setdefault(code, local.lower() if context in (COMMAND, OPTION) else local)
    return found


def localize_menu(payload: dict[str, Any], translations: Mapping[str, Catalog]) -> dict[str, Any]:
    """A user or message command's payload with its name as each catalog has it."""
    if not translations:
        return payload
    return {**payload, "name_localizations": _localized(translations, payload["name"], MENU) or None}


def localize(payload: dict[str, Any], command: Command, translations: Mapping[str, Catalog]) -> dict[str, Any]:
    """A command's payload with the localizations its catalogs give (none: the payload as it was)."""
    if not translations:
        return payload
    out = {**payload, "name_localizations": _localized(translations, command.name, COMMAND) or None,
           "description_localizations": _localized(translations, command.description) or None}
    options = []
    for option, part in zip(command.options, payload["options"], strict=True):
        local = {**part, "name_localizations": _localized(translations, option.name, OPTION) or None,
                 "description_localizations": _localized(translations, option.description) or None}
        if part.get("choices"):
            local["choices"] = [{**choice, "name_localizations": _localized(translations, spec_choice.name) or None}
                                for choice, spec_choice in zip(part["choices"], option.choices, strict=True)]
        options.append(local)
    out["options"] = options
    return out
