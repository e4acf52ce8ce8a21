"""Discord's limits on application commands and messages (../shared/reference/platform-limits.md)."""

from __future__ import annotations

import unicodedata

from gmbot.discord import embeds

NAME_MAX = 32
DESCRIPTION_MAX = 100
OPTIONS_MAX = 25
CHOICES_MAX = 25
CHOICE_NAME_MAX = 100
CHOICE_VALUE_MAX = 100
STRING_MAX_LENGTH = 6000
COMMAND_CHARS_MAX = 8000
GLOBAL_COMMANDS_MAX = 100
# user (type 2) and message (type 3) commands: a name of 1-32 characters, capitals and spaces
# allowed, one per name and type, at most 15 of each type
MENU_NAME_MAX = 32
MENU_COMMANDS_MAX = 15
# the embed limits the runtime cuts rendered cards to (gmbot/discord/embeds.py): one copy
CARD_LIMITS = {
    "title": embeds.TITLE,
    "description": embeds.DESCRIPTION,
    "footer": embeds.FOOTER,
    "url": 2048,
    "fields": embeds.FIELDS,
    "field_name": embeds.FIELD_NAME,
    "field_value": embeds.FIELD_VALUE,
    "buttons": 25,  # 5 rows of 5
    "button_label": 80,
}




def _name_char(char: str) -> bool:
    if char in "-_'" or char.isalnum():
        return True
    # \p{sc=Deva} and \p{sc=Thai} include combining vowel signs, which are not alphanumeric
    name = unicodedata.name(char, "")
    return name.startswith(("DEVANAGARI", "THAI"))


def name_problem(name: str) -> str | None:
    """Why `name` is not a valid Discord command or option name, or None.

    Discord: `^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lowercase where the
    letter has a lowercase form.
    """
    if not 1 <= len(name) <= NAME_MAX:
        return f"must be 1-{NAME_MAX} characters long (is {len(name)})"
    bad = [c for c in name if not _name_char(c)]
    if bad:
        return f"may only contain letters, digits, '-', '_' and \"'\" (found {bad[0]!r})"
    if name != name.lower():
        return "must be lowercase"
    return None
