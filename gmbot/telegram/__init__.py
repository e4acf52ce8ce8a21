"""The Telegram front end (aiogram 3): commands in groups, HTML cards with inline keyboards,
event cards, webhook or long polling, and `gmbot telegram`. This package module,
`messages.py`, `buttons.py` and `commands.py` import no Telegram SDK (the playground, the
preview and the generator use them)."""

PLATFORM = "telegram"  # the backend namespaces Telegram's chat and user ids under it
CLIENT = "TELEGRAM-BFF"  # the `client` the Telegram bot's API key is issued for
KEY_ENV = "GMBOT_TELEGRAM_API_KEY"  # its key; GMBOT_API_KEY when unset
