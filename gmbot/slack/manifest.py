"""The Slack App Manifest of a bot: what a user pastes into Slack's "create from manifest".

Written by `gmbot generate` as generated/slack/manifest.json (the generator checks it
against Slack's limits); imports no Slack SDK, so the generator stays light. One URL,
`/slack/events`, takes the slash command, interactivity and events, as `gmbot slack`
serves them; the host is a placeholder to replace with the bot's public address.
"""

from __future__ import annotations

from typing import Any

from gmbot.chat import menus
from gmbot.spec.model import BotSpec, Card, CardImage, CardOverride, MenuTarget

PLACEHOLDER_HOST = "https://gmbot.example.com"
EVENTS_PATH = "/slack/events"
REDIRECT_PATH = "/slack/oauth_redirect"
# what the bot does: the slash command, post cards (also in a channel it was not invited to:
# the clan's channel is chosen at setup), read @mentions, look up users mentioned without names
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "app_mentions:read", "users:read")
# and, when a card has a picture from the backend, upload it (gmbot/slack/uploads.py)
UPLOAD_SCOPE = "files:write"
# app_mention: "@Gmbot createwar ..."; the other two tell that a workspace's token is dead
# (its installation is deleted, app.py), and need no scope
BOT_EVENTS = ("app_mention", "app_uninstalled", "tokens_revoked")

# Slack's limits on these fields (its manifest schema)
APP_NAME_MAX = 35
APP_DESCRIPTION_MAX = 140
BOT_DISPLAY_NAME_MAX = 80
LONG_DESCRIPTION_MIN, LONG_DESCRIPTION_MAX = 174, 4000
COMMAND_DESCRIPTION_MAX = 2000
USAGE_HINT_MAX = 1000
# shortcuts (slackapi/manifest-schema): at most 10, name 24, callback_id 255, description 150
SHORTCUTS_MAX = 10
SHORTCUT_NAME_MAX = 24
SHORTCUT_DESCRIPTION_MAX = 150
CALLBACK_ID_MAX = 255
SHORTCUT_PREFIX = "gm-menu:"  # a shortcut's callback_id: this, then the entry's key (`clanof:1`)


def shortcuts(spec: BotSpec) -> list[dict[str, str]]:
    """A message shortcut per `on: message` menu entry of the spec (Slack has no member's menu:
    those entries are left out here, docs/spec.md "Context menus")."""
    return [{"name": entry.menu.name, "type": "message", "callback_id": SHORTCUT_PREFIX + entry.key,
             "description": entry.command.description[:SHORTCUT_DESCRIPTION_MAX]}
            for entry in menus.entries(spec, MenuTarget.MESSAGE)]


def usage_hint(spec: BotSpec) -> str:
    example = next((e for c in spec.commands for e in c.examples), "")
    prefix = spec.bot.prefix + " "
    example = example[len(prefix):] if example.lower().startswith(prefix.lower()) else example
    hint = "<command> [-option value ...]" + (f", e.g. {example}" if example else "") + "; help lists them"
    return hint[:USAGE_HINT_MAX]


def long_description(spec: BotSpec, provenance: str) -> str:
    """The app page's text; it also says where the manifest came from (JSON has no comments,
    and Slack refuses keys it does not know, so the generated-file header lives here)."""
    prefix = spec.bot.prefix.lower()
    return (f"{spec.bot.name} answers /{prefix} commands and @mentions in your channels and posts "
            f"notifications to the channel chosen at setup. Type /{prefix} help for every command. "
            f"{provenance}")


def bot_scopes(spec: BotSpec) -> tuple[str, ...]:
    """The bot scopes `spec` needs: BOT_SCOPES, and `files:write` when a card uploads a picture."""
    cards = [*(r for c in spec.commands for r in c.replies.values()), *(e.card for e in spec.events)]
    cards += [r for card in list(cards) for b in card.buttons for r in b.replies.values()]
    shown: list[Card | CardOverride] = [*cards, *(o for card in cards for o in card.platforms.values())]
    parts = [p for part in shown for p in (part.image, part.thumbnail)]
    return BOT_SCOPES + ((UPLOAD_SCOPE,) if any(isinstance(p, CardImage) for p in parts) else ())


def searches(spec: BotSpec) -> bool:
    """Whether a form of `spec` has a field with suggestions: an external_select, whose
    `block_suggestion` requests Slack sends to the app's options load URL only when set."""
    cards = [*(r for c in spec.commands for r in c.replies.values()), *(e.card for e in spec.events)]
    forms = [c.form for c in spec.commands] + [b.form for card in cards for b in card.buttons]
    return any(f.autocomplete is not None for form in forms if form is not None for f in form.fields)


def manifest(spec: BotSpec, host: str = PLACEHOLDER_HOST, provenance: str = "") -> dict[str, Any]:
    name = spec.bot.name
    url = host.rstrip("/") + EVENTS_PATH
    return {
        "display_information": {
            "long_description": long_description(spec, provenance),
            "name": name,
            "description": f"{name}, a thin client of its REST backend"[:APP_DESCRIPTION_MAX],
        },
        "_metadata": {"major_version": 1, "minor_version": 1},
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [{
                "command": f"/{spec.bot.prefix.lower()}",
                "url": url,
                "description": f"{name}'s commands: /{spec.bot.prefix.lower()} help lists them",
                "usage_hint": usage_hint(spec),
                "should_escape": True,  # mentions arrive as <@U123|name>, not as "@name" text
            }],
            **({"shortcuts": found} if (found := shortcuts(spec)) else {}),
        },
        "oauth_config": {
            "redirect_urls": [host.rstrip("/") + REDIRECT_PATH],
            "scopes": {"bot": list(bot_scopes(spec))},
        },
        "settings": {
            "event_subscriptions": {"request_url": url, "bot_events": list(BOT_EVENTS)},
            "interactivity": {"is_enabled": True, "request_url": url,
                              **({"message_menu_options_url": url} if searches(spec) else {})},
            "org_deploy_enabled": False,
            "socket_mode_enabled": False,
            "token_rotation_enabled": False,
        },
    }


def manifest_problems(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, why) for each part of a manifest over Slack's limits."""
    problems: list[tuple[str, str]] = []

    def check(where: str, text: str, most: int) -> None:
        if len(text) > most:
            problems.append((where, f"{len(text)} characters, Slack allows {most}"))

    check("display_information.name", data["display_information"]["name"], APP_NAME_MAX)
    check("display_information.description", data["display_information"]["description"], APP_DESCRIPTION_MAX)
    text = data["display_information"]["long_description"]
    check("display_information.long_description", text, LONG_DESCRIPTION_MAX)
    if len(text) < LONG_DESCRIPTION_MIN:
        problems.append(("display_information.long_description",
                         f"{len(text)} characters, Slack wants at least {LONG_DESCRIPTION_MIN}"))
    check("features.bot_user.display_name", data["features"]["bot_user"]["display_name"], BOT_DISPLAY_NAME_MAX)
    for command in data["features"]["slash_commands"]:
        check("slash_commands.description", command["description"], COMMAND_DESCRIPTION_MAX)
        check("slash_commands.usage_hint", command["usage_hint"], USAGE_HINT_MAX)
    shortcut_list = data["features"].get("shortcuts") or []
    if len(shortcut_list) > SHORTCUTS_MAX:
        problems.append(("features.shortcuts", f"{len(shortcut_list)} shortcuts, Slack allows {SHORTCUTS_MAX}"))
    for shortcut in shortcut_list:
        check("shortcuts.name", shortcut["name"], SHORTCUT_NAME_MAX)
        check("shortcuts.callback_id", shortcut["callback_id"], CALLBACK_ID_MAX)
        check("shortcuts.description", shortcut["description"], SHORTCUT_DESCRIPTION_MAX)
    return problems
