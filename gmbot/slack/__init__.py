"""The Slack front end (Bolt): slash command and app mention, Block Kit cards, buttons,
events, OAuth installs and `gmbot slack`. Only `blocks.py` is free of the Slack SDK."""
