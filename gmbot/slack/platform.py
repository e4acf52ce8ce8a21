"""Slack in the platform registry (gmbot/platforms.py): what the Slack front end brings.

Imports nothing heavy: slack-bolt is loaded only by the parts named by import path.
"""

from __future__ import annotations

from gmbot.chat import times
from gmbot.platforms import Platform, Subcommand
from gmbot.slack import CLIENT, KEY_ENV
from gmbot.slack import PLATFORM as NAME

PLATFORM = Platform(
    name=NAME,
    title="Slack",
    client=CLIENT,
    key_env=KEY_ENV,
    credentials=("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"),
    command=Subcommand("slack", "gmbot.slack.cli:slack_main",
                       "run the Slack front end (needs SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET)"),
    write_time=times.slack,
    # Slack formats times (<!date^...>) in mrkdwn only: the header and buttons are plain text
    plain_time_parts=("title", "button_label"),
    to_message="gmbot.slack.blocks:card_to_message",
    message_to_text="gmbot.slack.blocks:message_to_text",
    target="generator.targets.slack:TARGET",
    preview="gmbot.slack.preview:LOOK",
    settings={
        "SLACK_BOT_TOKEN": "the Bot User OAuth Token (xoxb-...)",
        "SLACK_SIGNING_SECRET": "the app's Signing Secret",
        "SLACK_API_BASE_URL": "Slack's Web API address (default https://slack.com/api/)",
    },
)
