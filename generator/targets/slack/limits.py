"""Slack's limits on slash commands and Block Kit messages (../shared/reference/platform-limits.md,
checked against api.slack.com/reference/block-kit and the slash-command docs)."""

from __future__ import annotations

import re

from gmbot.slack import blocks, manifest

COMMAND_NAME_MAX = 32  # with the leading "/"
COMMAND_NAME = re.compile(r"^/[a-z0-9_\-]+$")
USAGE_HINT_MAX = manifest.USAGE_HINT_MAX
DESCRIPTION_MAX = manifest.COMMAND_DESCRIPTION_MAX
APP_NAME_MAX = manifest.APP_NAME_MAX

# Block Kit, as gmbot/slack/blocks.py renders a card: the limits it cuts to, one copy
CARD_LIMITS = {
    "title": blocks.HEADER_MAX,
    "description": blocks.SECTION_TEXT_MAX,
    "footer": blocks.CONTEXT_TEXT_MAX,  # a context element's text
    "url": 3000,
    # a card's fields go in sections of up to 10: the message's 50 blocks bound them
    "fields": blocks.FIELDS_MAX * (blocks.BLOCKS_MAX - 5),
    "field_name": blocks.FIELD_TEXT_MAX,
    "field_value": blocks.FIELD_TEXT_MAX,
    "buttons": blocks.ACTIONS_ELEMENTS_MAX,
    "button_label": blocks.BUTTON_TEXT_MAX,
}


def name_problem(name: str) -> str | None:
    """Why `name` cannot be a Slack app's name (the manifest's display name), or None."""
    if len(name) > APP_NAME_MAX:
        return f"{len(name)} characters: a Slack app's name may have at most {APP_NAME_MAX}"
    return None


def command_problem(prefix: str) -> str | None:
    """Why `/<prefix>` cannot be a Slack slash command name, or None."""
    name = f"/{prefix.lower()}"  # Slack command names are lowercase; the prefix matches any case
    if len(name) > COMMAND_NAME_MAX:
        return f"the Slack command '{name}' would be {len(name)} characters, Slack allows {COMMAND_NAME_MAX}"
    if not COMMAND_NAME.match(name):
        return f"the Slack command '{name}' may only hold lowercase letters, digits, '-' and '_'"
    return None
