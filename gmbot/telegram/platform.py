"""Telegram in the platform registry (gmbot/platforms.py): what the Telegram front end brings.

Imports nothing heavy: aiogram is loaded only by the parts named by import path.
"""

from __future__ import annotations

from typing import Any

from gmbot.chat import times
from gmbot.chat.commands import Args, flags
from gmbot.platforms import Platform, Subcommand
from gmbot.telegram import CLIENT, KEY_ENV
from gmbot.telegram import PLATFORM as NAME

_ID_BASE = {"server": 1_000_000_000, "channel": 1_000_000_000, "user": 7_000_000_000}


def fake_id(kind: str, count: int) -> str:
    """The ids `gmbot chat` makes up, shaped as Telegram's: a supergroup's `-100...` (its
    server and its channel), a user's positive number."""
    number = _ID_BASE[kind] + count + 1
    return str(number) if kind == "user" else f"-100{number}"

def person_locale(user: Any) -> str | None:
    """A Telegram user's `language_code` (an IETF tag: `es`, `pt-br`), when their client sends it."""
    code = getattr(user, "language_code", None)
    return str(code) if code else None


def command_locales(locale: str) -> tuple[str, ...]:
    """setMyCommands takes a two-letter ISO 639-1 `language_code` (pt_BR -> pt); English is the default list."""
    language = locale.split("_")[0].lower()
    return (language,) if len(language) == 2 and language != "en" else ()
def write_command(prefix: str, name: str, args: Args) -> str:
    """A command as Telegram types it: `/accept -war zyo8`; a name Telegram cannot list
    (gmbot/telegram/commands.py) behind the prefix command, `/gmbot écho ...`."""
    from gmbot.telegram.commands import listable, telegram_name

    head = f"/{telegram_name(name)}" if listable(name) else f"/{telegram_name(prefix)} {name}"
    return head + flags(args)


def button_fits(custom_id: str) -> bool:
    """Whether a core button id fits in Telegram's 64 bytes of callback data, written shorter
    where it can be (gmbot/telegram/buttons.py)."""
    from gmbot.telegram.buttons import to_callback_data

    return to_callback_data(custom_id, quiet=True) is not None


PLATFORM = Platform(
    name=NAME,
    title="Telegram",
    client=CLIENT,
    key_env=KEY_ENV,
    credentials=("TELEGRAM_BOT_TOKEN",),
    command=Subcommand("telegram", "gmbot.telegram.cli:telegram_main",
                       "run the Telegram front end (needs TELEGRAM_BOT_TOKEN)"),
    extra_commands=(
        Subcommand("telegram-commands", "gmbot.telegram.cli:commands_main",
                   "set the Telegram command menus (generated/telegram/commands.json)"),
    ),
    write_time=times.plain,  # Telegram has no local-time markup: UTC text everywhere
    plain_time_parts=("title", "description", "footer", "field_name", "field_value", "button_label"),
    to_message="gmbot.telegram.messages:card_to_messages",
    message_to_text="gmbot.telegram.messages:message_to_text",
    target="generator.targets.telegram:TARGET",
    preview="gmbot.telegram.preview:LOOK",
    fake_id=fake_id,
    person_locale=person_locale,
    command_locales=command_locales,
    button_fits=button_fits,
    write_command=write_command,
    settings={
        "TELEGRAM_BOT_TOKEN": "the bot's token (from @BotFather)",
        "TELEGRAM_WEBHOOK_SECRET": "the webhook's secret token (1-256 of A-Z a-z 0-9 _ -); webhook mode needs it",
        "TELEGRAM_WEBHOOK_URL": "the public HTTPS URL of the webhook, registered with setWebhook at start (optional)",
        "TELEGRAM_API_BASE_URL": "the Bot API's address (default https://api.telegram.org; a local Bot API server)",
    },
)
