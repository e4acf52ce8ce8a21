"""Discord's per-command character budget, counted as Discord counts it: the name, description
and value of the command, its options and their choices together, each text at its longest
localization (the English one included). A translation can push a command over the budget
that its English fits, and Discord then refuses the whole registration."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from generator.targets.discord.limits import COMMAND_CHARS_MAX


def _longest(part: Mapping[str, Any], key: str) -> tuple[int, str | None]:
    """The length of `part[key]` at its longest localization, and that locale (None: English)."""
    best, where = len(str(part.get(key) or "")), None
    for locale, text in sorted((part.get(f"{key}_localizations") or {}).items()):
        if len(text) > best:
            best, where = len(text), locale
    return best, where


def payload_chars(part: Mapping[str, Any], longest: dict[str, int] | None = None) -> int:
    """The characters `part` (a command, an option or a subcommand) counts towards the budget;
    `longest` collects, per locale, how many of its texts were the longest of their field."""
    total = 0
    for key in ("name", "description"):
        length, locale = _longest(part, key)
        total += length
        if longest is not None and locale is not None:
            longest[locale] = longest.get(locale, 0) + 1
    for option in part.get("options") or []:
        total += payload_chars(option, longest)
    for choice in part.get("choices") or []:
        length, locale = _longest(choice, "name")
        total += length + len(str(choice.get("value", "")))
        if longest is not None and locale is not None:
            longest[locale] = longest.get(locale, 0) + 1
    return total


def over_budget(payloads: Iterable[Mapping[str, Any]], catalog_of: Mapping[str, str]) -> Iterable[tuple[str, str]]:
    """(command name, message) for each localized registration Discord would refuse, naming
    the catalogs (`catalog_of`: Discord's locale code -> the catalog it comes from) whose
    translations were the longest."""
    for payload in payloads:
        longest: dict[str, int] = {}
        chars = payload_chars(payload, longest)
        if chars > COMMAND_CHARS_MAX:
            counts: dict[str, int] = {}
            for code, count in longest.items():
                catalog = catalog_of.get(code, code)
                counts[catalog] = max(counts.get(catalog, 0), count)  # es-ES and es-419 are one catalog
            which = ", ".join(f"{locale} for {count}" for locale, count in sorted(counts.items()))
            yield str(payload["name"]), (
                f"names, descriptions and choices total {chars} characters counting each at its longest "
                f"translation ({which or 'none'}), Discord allows {COMMAND_CHARS_MAX} per command")
