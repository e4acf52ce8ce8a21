"""Discord in the platform registry (gmbot/platforms.py): what the Discord front end brings.

Imports nothing heavy: py-cord is loaded only by the parts named by import path.
"""

from __future__ import annotations

from typing import Any

from gmbot.chat.commands import Args
from gmbot.chat.markup import data
from gmbot.platforms import Platform, Subcommand

STAMP_STYLES = {"relative": "R", "datetime": "f", "date": "D"}


def write_time(unix: int, style: str) -> str:
    """Discord's timestamp markdown, shown in each reader's time zone and language."""
    return f"<t:{unix}:{STAMP_STYLES[style]}>"


def person_locale(interaction: Any) -> str | None:
    """The user's client language (`es-ES`, `pt-BR`), which every interaction carries; the
    server's (`guild_locale`) when it is missing. A prefix message carries neither."""
    found = getattr(interaction, "locale", None) or getattr(interaction, "guild_locale", None)
    return str(found) if found else None


# Discord's locale codes (the developer docs' list) by language; a language Discord knows in
# several variants (Spanish of Spain and of Latin America) gets the catalog in each
DISCORD_LOCALES = ("id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
                   "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
                   "zh-CN", "ja", "zh-TW", "ko")


def command_locales(locale: str) -> tuple[str, ...]:
    """The Discord locales a catalog's command names and descriptions are registered under."""
    language, _, region = locale.replace("_", "-").partition("-")
    exact = tuple(code for code in DISCORD_LOCALES if code.lower() == f"{language}-{region}".lower())
    if exact:
        return exact
    if region:  # pt_BR has pt-BR; a region Discord lacks gets nothing rather than a wrong variant
        return ()
    return tuple(code for code in DISCORD_LOCALES if code.split("-")[0] == language and language != "en")
def write_command(prefix: str, name: str, args: Args) -> str:
    """A command as its slash command is typed: `/accept war:zyo8` (values are data)."""
    return f"/{name}" + "".join(f" {key}:{data(value)}" for key, value in args)


_SNOWFLAKE_BASE = {"server": 700_000_000_000_000_000, "user": 800_000_000_000_000_000,
                   "channel": 900_000_000_000_000_000}


def fake_id(kind: str, count: int) -> str:
    """The ids `gmbot chat` makes up, shaped as Discord's snowflakes."""
    return str(_SNOWFLAKE_BASE[kind] + (count << 22 if kind == "server" else count) + 1)


PLATFORM = Platform(
    name="discord",
    title="Discord",
    client="DISCORD-BFF",
    key_env="GMBOT_DISCORD_API_KEY",
    credentials=("DISCORD_TOKEN",),
    command=Subcommand("bot", "gmbot.discord.cli:bot_main", "run the Discord front end (needs DISCORD_TOKEN)"),
    extra_commands=(
        Subcommand("sync-commands", "gmbot.discord.cli:sync_main",
                   "register the Discord commands (generated/discord/commands.json)"),
    ),
    write_time=write_time,
    # Discord formats `<t:...>` timestamps in descriptions and field values only
    plain_time_parts=("title", "footer", "field_name", "button_label"),
    to_message="gmbot.discord.embeds:card_to_message",
    message_to_text="gmbot.discord.embeds:embeds_to_text",
    target="generator.targets.discord:TARGET",
    preview="gmbot.discord.preview:LOOK",
    fake_id=fake_id,
    person_locale=person_locale,
    command_locales=command_locales,
    write_command=write_command,
    menu_targets=frozenset({"member", "message"}),
    settings={
        "DISCORD_TOKEN": "the bot's token (developer portal, Bot page)",
        "DISCORD_API_BASE_URL": "Discord's REST API address (default https://discord.com/api/v10)",
    },
)
