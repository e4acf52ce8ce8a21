"""Discord as the generator sees it: its limits and rules, and the py-cord code it writes
(`generated/discord/commands.py`, and `commands.json`, what `gmbot sync-commands` registers)."""

from __future__ import annotations

from generator.targets import CardLimits, CommandLimits, Outputs, SelectLimits, Target
from generator.targets.discord import limits
from generator.targets.discord.localize import localize
from generator.targets.discord.model import bot_model
from gmbot.discord import selects


class Discord(Target):
    title = "Discord"
    card_limits = CardLimits(**limits.CARD_LIMITS)
    command_limits = CommandLimits(
        commands=limits.GLOBAL_COMMANDS_MAX,
        description=limits.DESCRIPTION_MAX,
        options=limits.OPTIONS_MAX,
        choices=limits.CHOICES_MAX,
        choice_name=limits.CHOICE_NAME_MAX,
        choice_value=limits.CHOICE_VALUE_MAX,
        string_length=limits.STRING_MAX_LENGTH,
        command_chars=limits.COMMAND_CHARS_MAX,
    )
    required_options_first = True
    # string selects, each in an action row of its own (gmbot/discord/selects.py)
    select_limits = SelectLimits(
        selects=selects.ROWS, options=selects.OPTIONS_MAX, label=selects.OPTION_TEXT_MAX,
        value=selects.OPTION_TEXT_MAX, description=selects.OPTION_TEXT_MAX, placeholder=selects.PLACEHOLDER_MAX,
        rows=selects.ROWS, row_buttons=selects.ROW_BUTTONS)

    def name_problem(self, name: str) -> str | None:
        return limits.name_problem(name)

    def outputs(self, out: Outputs) -> dict[str, str]:
        bot = bot_model(out.spec)
        # the registrations, with each catalog's names and descriptions (localize.py)
        payloads = [localize(c.payload, spec_command, out.translations)
                    for c, spec_command in zip(bot.commands, out.spec.commands, strict=True)]
        commands_json = {"commands": payloads if bot.slash else []}
        return {
            "discord/__init__.py": out.render("package_init.py.jinja",
                                              docstring=f"The Discord front end of {bot.name}."),
            "discord/commands.py": out.render("discord/commands.py.jinja", bot=bot),
            "discord/commands.json": out.json(out.header, "generated_by", commands_json),
        }


TARGET = Discord()
