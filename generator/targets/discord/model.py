"""Discord's slash commands of a spec: the py-cord registration code and its JSON payload."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from generator.openapi import snake
from generator.render_model import py
from gmbot.chat import menus
from gmbot.chat.options import described
from gmbot.spec.model import BotSpec, Command, MenuTarget, Option, OptionType, Permission

# py-cord input types by spec type (docs/architecture.md, "The bot contract")
SLASH_TYPES = {
    OptionType.STRING: ("str", 3),
    OptionType.CHOICE: ("str", 3),
    OptionType.USERS: ("str", 3),
    OptionType.DURATION: ("str", 3),
    OptionType.INTEGERS: ("str", 3),
    OptionType.DATETIME: ("str", 3),  # parsed by the core (gmbot/chat/options.py); the description shows the format
    OptionType.INTEGER: ("int", 4),
    OptionType.NUMBER: ("float", 10),
    OptionType.BOOLEAN: ("bool", 5),
    OptionType.USER: ("discord.Member", 6),
}


# Discord's permission bits (discord.com/developers/docs/topics/permissions) for the spec's
# neutral names: a command's default_member_permissions is their sum, and Discord shows the
# command to members who have every one of them (and to administrators; a server may grant
# it to other roles or members in its Integrations settings)
PERMISSION_BITS = {
    Permission.ADMINISTRATOR: 1 << 3,
    Permission.MANAGE_CHANNELS: 1 << 4,
    Permission.MANAGE_SERVER: 1 << 5,  # MANAGE_GUILD
    Permission.MANAGE_ROLES: 1 << 28,
}


def member_permissions(command: Command) -> int | None:
    """The command's default_member_permissions, or None (every member) when it declares none."""
    return sum(PERMISSION_BITS[p] for p in set(command.permissions)) if command.permissions else None


@dataclass(frozen=True)
class SlashOption:
    name: str
    parameter: str  # the Python parameter of the callback
    input_type: str
    kwargs: str  # the rest of the @discord.option(...) arguments, rendered
    annotation: str  # "str" or "str | None = None"
    payload: dict[str, Any]  # its part of discord/commands.json


@dataclass(frozen=True)
class BotCommand:
    name: str
    function: str  # prefix of the Python callback names
    description: str
    aliases: list[str]
    options: list[SlashOption]
    payload: dict[str, Any]
    permissions: int | None = None  # default_member_permissions


# context-menu entries (gmbot/chat/menus.py): Discord's user (2) and message (3) commands
MENU_TYPES = {MenuTarget.MEMBER: 2, MenuTarget.MESSAGE: 3}
MENU_DECORATORS = {MenuTarget.MEMBER: "user_command", MenuTarget.MESSAGE: "message_command"}
MENU_TARGETS = {MenuTarget.MEMBER: "discord.Member | discord.User", MenuTarget.MESSAGE: "discord.Message"}


@dataclass(frozen=True)
class MenuCommand:
    name: str  # what the menu shows
    key: str  # the entry's key (`clanof:0`): what the callback hands the runtime
    function: str  # the Python callback's name
    decorator: str  # py-cord's `user_command` or `message_command`
    target: str  # the type of what was clicked, as py-cord passes it
    payload: dict[str, Any]
    permissions: int | None = None


@dataclass(frozen=True)
class BotModel:
    name: str
    slash: bool
    prefix: bool
    commands: list[BotCommand]
    menus: list[MenuCommand] = field(default_factory=list)


def menu_commands(spec: BotSpec) -> list[MenuCommand]:
    """A user or message command per `menus:` entry, with its command's permissions. A clan is
    a server: the entries are offered in servers only (contexts [0])."""
    found = []
    for entry in menus.entries(spec):
        payload: dict[str, Any] = {"name": entry.menu.name, "description": "", "type": MENU_TYPES[entry.menu.target],
                                   "nsfw": False, "integration_types": [0], "contexts": [0]}
        bits = member_permissions(entry.command)
        if bits is not None:
            payload["default_member_permissions"] = str(bits)
        found.append(MenuCommand(entry.menu.name, entry.key, f"{snake(entry.command.name)}_menu_{entry.index}",
                                 MENU_DECORATORS[entry.menu.target], MENU_TARGETS[entry.menu.target], payload, bits))
    return found


def _number(option: Option, value: float) -> int | float:
    return int(value) if option.type is OptionType.INTEGER else float(value)


def slash_option(option: Option, taken: set[str]) -> SlashOption:
    input_type, type_code = SLASH_TYPES[option.type]
    description = described(option)
    kwargs: list[str] = [f"description={py(description)}", f"required={option.required}"]
    payload: dict[str, Any] = {
        "name": option.name,
        "description": description,
        "type": type_code,
        "required": option.required,
        "choices": [],
        "autocomplete": False,
    }
    if not option.required:
        kwargs.append("default=None")
    if option.type in (OptionType.INTEGER, OptionType.NUMBER):
        if option.min is not None:
            payload["min_value"] = _number(option, option.min)
            kwargs.append(f"min_value={py(payload['min_value'])}")
        if option.max is not None:
            payload["max_value"] = _number(option, option.max)
            kwargs.append(f"max_value={py(payload['max_value'])}")
    if option.type is OptionType.STRING:
        if option.min_length is not None:
            payload["min_length"] = option.min_length
            kwargs.append(f"min_length={option.min_length}")
        if option.max_length is not None:
            payload["max_length"] = option.max_length
            kwargs.append(f"max_length={option.max_length}")
    if option.choices:
        # a string option: Discord needs string values; the runtime maps them back
        payload["choices"] = [{"name": c.name, "value": str(c.value)} for c in option.choices]
        rendered = ", ".join(
            f"discord.OptionChoice(name={py(c['name'])}, value={py(c['value'])})" for c in payload["choices"]
        )
        kwargs.append(f"choices=[{rendered}]")
    if option.autocomplete is not None:  # suggestions from the backend (DiscordRuntime.autocomplete)
        payload["autocomplete"] = True
        kwargs.append("autocomplete=runtime.autocomplete")
    parameter = snake(option.name)
    while parameter in taken or parameter in {"ctx", "runtime", "bot"}:  # unique Python names
        parameter += "_"
    taken.add(parameter)
    if parameter != option.name:
        kwargs.append(f"parameter_name={py(parameter)}")
    annotation = input_type if option.required else f"{input_type} | None = None"
    return SlashOption(option.name, parameter, input_type, ", ".join(kwargs), annotation, payload)


def bot_model(spec: BotSpec) -> BotModel:
    commands = []
    used: set[str] = set()
    for command in spec.commands:
        function = snake(command.name)
        while function in used:
            function += "_"
        used.add(function)
        taken: set[str] = set()
        options = [slash_option(o, taken) for o in command.options]
        payload = {
            "name": command.name,
            "description": command.description,
            "options": [o.payload for o in options],
            "nsfw": False,
            "integration_types": [0],
            "contexts": [0, 1, 2],
        }
        bits = member_permissions(command)
        if bits is not None:
            payload["default_member_permissions"] = str(bits)  # Discord's bitfields are strings
        commands.append(BotCommand(command.name, function, command.description, command.aliases, options, payload,
                                   bits))
    return BotModel(spec.bot.name, spec.bot.slash_commands, spec.bot.prefix_commands, commands, menu_commands(spec))
