"""`gmbot help` and `gmbot help <command>`, generated from the spec."""

from __future__ import annotations

from gmbot.chat.cards import hex_color
from gmbot.chat.markup import data
from gmbot.chat.options import format_hint, nearest, number_text, shown_bounds
from gmbot.chat.vocabulary import RenderedCard, RenderedField
from gmbot.spec.model import BotSpec, Command, Option, OptionType

_PLACEHOLDER = {
    OptionType.USER: "@member",
    OptionType.USERS: "@member @member …",
    OptionType.INTEGER: "<number>",
    OptionType.NUMBER: "<number>",
    OptionType.BOOLEAN: "yes|no",
    OptionType.DURATION: "<duration>",
    OptionType.INTEGERS: "<n,n,…>",
    OptionType.DATETIME: "<date|time ago>",
}


def placeholder(option: Option) -> str:
    """The value's stand-in in a usage line: the option's own `placeholder` word (`<clan>`),
    else the choices, else one made from the type, else the option's name."""
    if option.placeholder:
        return f"<{option.placeholder}>"
    if option.type is OptionType.CHOICE:
        return "|".join(str(c.value) for c in option.choices)
    return _PLACEHOLDER.get(option.type, f"<{option.name}>")


def usage(prefix: str, command: Command) -> str:
    parts = [prefix, command.name]
    for option in command.options:
        flag = f"-{option.name} {placeholder(option)}"
        parts.append(flag if option.required else f"[{flag}]")
    return " ".join(parts)


def describe_option(option: Option) -> str:
    text = option.description
    details = []
    if option.type is OptionType.CHOICE:
        details.append("one of " + ", ".join(f"{c.value} ({c.name})" for c in option.choices))
    if option.type is OptionType.DURATION:
        details.append(f"e.g. 12 ({option.unit.value}), 90m, 1.5h, 2d")
    if (hint := format_hint(option)) is not None:
        details.append(hint)
    low, high = shown_bounds(option)
    if low is not None:
        details.append(f"min {number_text(low)}")
    if high is not None:
        details.append(f"max {number_text(high)}")
    details.append("required" if option.required else f"default {option.default}" if option.default is not None else "optional")
    return f"{text} ({'; '.join(details)})"


def command_help(spec: BotSpec, command: Command) -> RenderedCard:
    prefix = spec.bot.prefix
    fields = [RenderedField("Usage", f"`{usage(prefix, command)}`")]
    fields += [RenderedField(f"-{o.name}", describe_option(o)) for o in command.options]
    fields.append(RenderedField("Who may run it", ", ".join(command.roles) or "anyone", True))
    if command.aliases:
        fields.append(RenderedField("Aliases", ", ".join(command.aliases), True))
    if command.examples:
        fields.append(RenderedField("Examples", "\n".join(f"`{e}`" for e in command.examples)))
    return RenderedCard(title=f"{prefix} {command.name}", description=command.description, fields=fields,
                        color=_color(spec, "info"), footer=f"Slash command: /{command.name}")


def overview(spec: BotSpec) -> RenderedCard:
    prefix = spec.bot.prefix
    fields = []
    for command in spec.commands:
        name = command.name + (f" ({', '.join(command.aliases)})" if command.aliases else "")
        who = f" — {', '.join(command.roles)}" if command.roles else ""
        fields.append(RenderedField(name, command.description + who))
    return RenderedCard(
        title=f"{spec.bot.name} commands",
        description=f"Type `{prefix} <command> -option value …` or use the slash commands.",
        fields=fields,
        color=_color(spec, "info"),
        footer=f"{prefix} help <command> shows its options",
    )


def help_card(spec: BotSpec, topic: str = "") -> RenderedCard:
    topic = topic.strip().split()[0].lower() if topic.strip() else ""
    if not topic:
        return overview(spec)
    command = spec.command(topic)
    if command is not None:
        return command_help(spec, command)
    hint = suggest(spec, topic)
    return RenderedCard(
        title=f"Unknown command: {data(topic)}",  # what the user typed: data
        description=(f"Did you mean `{spec.bot.prefix} {hint}`? " if hint else "") + f"`{spec.bot.prefix} help` lists every command.",
        color=_color(spec, "error"),
    )


def suggest(spec: BotSpec, word: str) -> str | None:
    names = [c.name for c in spec.commands] + [a for c in spec.commands for a in c.aliases]
    return nearest(word, names)


def _color(spec: BotSpec, name: str) -> int | None:
    return hex_color(spec.bot.colors.get(name))
