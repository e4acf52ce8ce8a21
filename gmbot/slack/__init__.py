"""The Slack front end (Bolt): slash command and app mention, Block Kit cards, buttons,
events, OAuth installs and `gmbot slack`. This package module, `blocks.py` and
`manifest.py` import no Slack SDK (the playground and the generator use them)."""

PLATFORM = "slack"  # the backend namespaces Slack's team and user ids under it
CLIENT = "SLACK-BFF"  # the `client` the Slack bot's API key is issued for
KEY_ENV = "GMBOT_SLACK_API_KEY"  # its key; GMBOT_API_KEY when unset (see gmbot/slack/cli.py)
