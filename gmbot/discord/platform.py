"""Discord in the platform registry (gmbot/platforms.py): what the Discord front end brings.

Imports nothing heavy: py-cord is loaded only by the parts named by import path.
"""

from __future__ import annotations

from gmbot.chat import times
from gmbot.platforms import Platform, Subcommand

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
    write_time=times.discord,
    # Discord formats `<t:...>` timestamps in descriptions and field values only
    plain_time_parts=("title", "footer", "field_name", "button_label"),
    to_message="gmbot.discord.embeds:card_to_embeds",
    message_to_text="gmbot.discord.embeds:embeds_to_text",
    target="generator.targets.discord:TARGET",
    preview="gmbot.discord.preview:LOOK",
    settings={
        "DISCORD_TOKEN": "the bot's token (developer portal, Bot page)",
        "DISCORD_API_BASE_URL": "Discord's REST API address (default https://discord.com/api/v10)",
    },
)
