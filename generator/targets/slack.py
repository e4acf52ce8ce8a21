"""Slack's limits on slash commands and Block Kit messages (../shared/reference/platform-limits.md,
checked against api.slack.com/reference/block-kit and the slash-command docs)."""

from __future__ import annotations

import re

COMMAND_NAME_MAX = 32  # with the leading "/"
COMMAND_NAME = re.compile(r"^/[a-z0-9_\-]+$")
USAGE_HINT_MAX = 1000
DESCRIPTION_MAX = 2000

# Block Kit, as gmbot/slack/blocks.py renders a card
HEADER_MAX = 150  # header block, plain_text
SECTION_TEXT_MAX = 3000
FIELDS_MAX = 10  # fields of one section block
FIELD_TEXT_MAX = 2000
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
ACTION_ID_MAX = 255
BUTTON_VALUE_MAX = 2000
BLOCKS_MAX = 50

CARD_LIMITS = {
    "title": HEADER_MAX,
    "description": SECTION_TEXT_MAX,
    "footer": SECTION_TEXT_MAX,  # a context element's text
    "url": 3000,
    # a card's fields go in sections of up to 10: the message's 50 blocks bound them
    "fields": FIELDS_MAX * (BLOCKS_MAX - 5),
    "field_name": FIELD_TEXT_MAX,
    "field_value": FIELD_TEXT_MAX,
    "buttons": ACTIONS_ELEMENTS_MAX,
    "button_label": BUTTON_TEXT_MAX,
}


def command_problem(prefix: str) -> str | None:
    """Why `/<prefix>` cannot be a Slack slash command name, or None."""
    name = f"/{prefix.lower()}"  # Slack command names are lowercase; the prefix matches any case
    if len(name) > COMMAND_NAME_MAX:
        return f"the Slack command '{name}' would be {len(name)} characters, Slack allows {COMMAND_NAME_MAX}"
    if not COMMAND_NAME.match(name):
        return f"the Slack command '{name}' may only hold lowercase letters, digits, '-' and '_'"
    return None
