"""`gmbot help` and `gmbot help <command>`, generated from the spec, in the reader's language
(the spec's texts from its catalog, the words around them from the library's)."""

from __future__ import annotations

from gmbot.chat.cards import hex_color
from gmbot.chat.i18n import ENGLISH, OPTION, Catalog
from gmbot.chat.markup import data
from gmbot.chat.options import format_hint, nearest, number_text, shown_bounds
from gmbot.chat.vocabulary import RenderedCard, RenderedField
from gmbot.spec.model import BotSpec, Command, Option, OptionType


def _placeholders(t: Catalog) -> dict[OptionType, str]:
    return {
        OptionType.USER: t.gettext("@member"),
        OptionType.USERS: t.gettext("@member @member …"),
        OptionType.INTEGER: t.gettext("<number>"),
        OptionType.NUMBER: t.gettext("<number>"),
        OptionType.BOOLEAN: t.gettext("yes|no"),
        OptionType.DURATION: t.gettext("<duration>"),
        OptionType.INTEGERS: t.gettext("<n,n,…>"),
        OptionType.DATETIME: t.gettext("<date|time ago>"),
    }


def placeholder(option: Option, t: Catalog = ENGLISH) -> str:
    """The value's stand-in in a usage line: the option's own `placeholder` word (`<clan>`),
    else the choices, else one made from the type, else the option's name."""
    if option.placeholder:
        return f"<{t.gettext(option.placeholder)}>"
    if option.type is OptionType.CHOICE:
        return "|".join(str(c.value) for c in option.choices)
    return _placeholders(t).get(option.type, f"<{t.pgettext(OPTION, option.name)}>")


def usage(prefix: str, command: Command, t: Catalog = ENGLISH) -> str:
    parts = [prefix, command.name]
    for option in command.options:
        flag = f"-{option.name} {placeholder(option, t)}"
        parts.append(flag if option.required else f"[{flag}]")
    for field in command.form.fields if command.form else []:  # flags too; left out, the form asks them
        parts.append(f"[-{field.name} {placeholder(field, t)}]")
    return " ".join(parts)


def describe_option(option: Option, t: Catalog = ENGLISH) -> str:
    text = t.gettext(option.description)
    details = []
    if option.type is OptionType.CHOICE:
        details.append(t.gettext("one of {choices}").format(
            choices=", ".join(f"{c.value} ({t.gettext(c.name)})" for c in option.choices)))
    if option.type is OptionType.DURATION:
        details.append(t.gettext("e.g. 12 ({unit}), 90m, 1.5h, 2d").format(unit=t.gettext(option.unit.value)))
    if (hint := format_hint(option)) is not None:
        details.append(hint)
    low, high = shown_bounds(option)
    if low is not None:
        details.append(t.gettext("min {value}").format(value=number_text(low)))
    if high is not None:
        details.append(t.gettext("max {value}").format(value=number_text(high)))
    details.append(t.gettext("required") if option.required else
                   t.gettext("default {value}").format(value=option.default) if option.default is not None
                   else t.gettext("optional"))
    return f"{text} ({'; '.join(details)})"


def command_help(spec: BotSpec, command: Command, t: Catalog = ENGLISH) -> RenderedCard:
    prefix = spec.bot.prefix
    fields = [RenderedField(t.gettext("Usage"), f"`{usage(prefix, command, t)}`")]
    fields += [RenderedField(f"-{o.name}", describe_option(o, t)) for o in command.options]
    fields.append(RenderedField(t.gettext("Who may run it"),
                                ", ".join(t.gettext(r) for r in command.roles) or t.gettext("anyone"), True))
    if command.aliases:
        fields.append(RenderedField(t.gettext("Aliases"), ", ".join(command.aliases), True))
    if command.examples:
        fields.append(RenderedField(t.gettext("Examples"), "\n".join(f"`{e}`" for e in command.examples)))
    return RenderedCard(title=f"{prefix} {command.name}", description=t.gettext(command.description), fields=fields,
                        color=_color(spec, "info"),
                        footer=t.gettext("Slash command: /{command}").format(command=command.name))


def overview(spec: BotSpec, t: Catalog = ENGLISH) -> RenderedCard:
    prefix = spec.bot.prefix
    fields = []
    for command in spec.commands:
        name = command.name + (f" ({', '.join(command.aliases)})" if command.aliases else "")
        who = f" — {', '.join(t.gettext(r) for r in command.roles)}" if command.roles else ""
        fields.append(RenderedField(name, t.gettext(command.description) + who))
    return RenderedCard(
        title=t.gettext("{bot} commands").format(bot=spec.bot.name),
        description=t.gettext("Type `{prefix} <command> -option value …` or use the slash commands.").format(
            prefix=prefix),
        fields=fields,
        color=_color(spec, "info"),
        footer=t.gettext("{prefix} help <command> shows its options").format(prefix=prefix),
    )


def help_card(spec: BotSpec, topic: str = "", t: Catalog = ENGLISH) -> RenderedCard:
    topic = topic.strip().split()[0].lower() if topic.strip() else ""
    if not topic:
        return overview(spec, t)
    command = spec.command(topic)
    if command is not None:
        return command_help(spec, command, t)
    hint = suggest(spec, topic)
    did_you_mean = t.gettext("Did you mean `{prefix} {command}`?").format(prefix=spec.bot.prefix, command=hint)
    return RenderedCard(
        title=t.gettext("Unknown command: {topic}").format(topic=data(topic)),  # what the user typed: data
        description=(did_you_mean + " " if hint else "")
        + t.gettext("`{prefix} help` lists every command.").format(prefix=spec.bot.prefix),
        color=_color(spec, "error"),
    )


def suggest(spec: BotSpec, word: str) -> str | None:
    names = [c.name for c in spec.commands] + [a for c in spec.commands for a in c.aliases]
    return nearest(word, names)


def _color(spec: BotSpec, name: str) -> int | None:
    return hex_color(spec.bot.colors.get(name))
