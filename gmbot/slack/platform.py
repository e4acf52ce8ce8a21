"""Slack in the platform registry (gmbot/platforms.py): what the Slack front end brings.

Imports nothing heavy: slack-bolt is loaded only by the parts named by import path.
"""

from __future__ import annotations

from typing import Any

from gmbot.chat.commands import Args, flags
from gmbot.chat.times import plain
from gmbot.platforms import Platform, Subcommand
from gmbot.slack import CLIENT, KEY_ENV
from gmbot.slack import PLATFORM as NAME

_DATE_TOKENS = {"relative": "{ago}", "datetime": "{date_short_pretty} {time}", "date": "{date_short_pretty}"}


def write_time(unix: int, style: str) -> str:
    """Slack's date formatting, with the plain text as the fallback it requires."""
    return f"<!date^{unix}^{_DATE_TOKENS[style]}|{plain(unix, style)}>"


def write_command(prefix: str, name: str, args: Args) -> str:
    """A command as Slack routes it: the app's one slash command, `/gmbot accept -war zyo8`."""
    return f"/{prefix.lower()} {name}{flags(args)}"


_ID_LETTER = {"server": "T", "user": "U", "channel": "C"}


def fake_id(kind: str, count: int) -> str:
    """The ids `gmbot chat` makes up, shaped as Slack's: T... teams, U... users, C... channels."""
    return f"{_ID_LETTER[kind]}{count + 1:08d}"


def person_locale(user: Any) -> str | None:
    """A Slack user's `locale` (`es-ES`, `pt-BR`), which users.info gives with `include_locale`."""
    code = user.get("locale") if isinstance(user, dict) else None
    return str(code) if code else None


PLATFORM = Platform(
    name=NAME,
    title="Slack",
    client=CLIENT,
    key_env=KEY_ENV,
    credentials=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    command=Subcommand("slack", "gmbot.slack.cli:slack_main",
                       "run the Slack front end (needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)"),
    write_time=write_time,
    # Slack formats times (<!date^...>) in mrkdwn only: the header and buttons are plain text
    plain_time_parts=("title", "button_label"),
    to_message="gmbot.slack.blocks:card_to_message",
    message_to_text="gmbot.slack.blocks:message_to_text",
    target="generator.targets.slack:TARGET",
    preview="gmbot.slack.preview:LOOK",
    fake_id=fake_id,
    person_locale=person_locale,  # users.info's `user` (gmbot/slack/mentions.py asks with include_locale)
    write_command=write_command,
    menu_targets=frozenset({"message"}),
    settings={
        "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-...)",
        "SLACK_SIGNING_SECRET": "the app's Signing Secret",
        "SLACK_API_BASE_URL": "Slack's Web API address (default https://slack.com/api/)",
    },
)
