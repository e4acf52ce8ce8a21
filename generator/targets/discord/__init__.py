"""Discord as the generator sees it: its limits and rules, and the py-cord code it writes
(`generated/discord/commands.py`, and `commands.json`, what `gmbot sync-commands` registers)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.targets import (
    CardLimits,
    CommandLimits,
    FormLimits,
    MenuLimits,
    Outputs,
    Problem,
    SelectLimits,
    Target,
)
from generator.targets.discord import limits
from generator.targets.discord.budget import over_budget
from generator.targets.discord.localize import localize, localize_menu
from generator.targets.discord.model import bot_model
from gmbot.discord import forms, selects
from gmbot.discord.platform import PLATFORM, command_locales


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
    # a modal: its submit button is Discord's own
    form_limits = FormLimits(fields=forms.INPUTS_MAX, title=forms.TITLE_MAX, label=forms.LABEL_MAX,
                             placeholder=forms.PLACEHOLDER_MAX, value=forms.VALUE_MAX)
    # user commands (on: member) and message commands (on: message)
    menu_limits = MenuLimits(PLATFORM.menu_targets, limits.MENU_NAME_MAX, limits.MENU_COMMANDS_MAX)
    # string selects, each in an action row of its own (gmbot/discord/selects.py)
    select_limits = SelectLimits(
        selects=selects.ROWS, options=selects.OPTIONS_MAX, label=selects.OPTION_TEXT_MAX,
        value=selects.OPTION_TEXT_MAX, description=selects.OPTION_TEXT_MAX, placeholder=selects.PLACEHOLDER_MAX,
        rows=selects.ROWS, row_buttons=selects.ROW_BUTTONS)

    def name_problem(self, name: str) -> str | None:
        return limits.name_problem(name)

    def translated_problems(self, out: Outputs) -> Iterable[Problem]:
        catalog_of = {code: locale for locale in out.translations for code in command_locales(locale)}
        for name, message in over_budget(self.registrations(out), catalog_of):
            yield ("commands", name), message

    def registrations(self, out: Outputs) -> list[dict[str, Any]]:
        """What `gmbot sync-commands` registers: each command with its catalogs' names and
        descriptions (localize.py)."""
        return [localize(c.payload, spec_command, out.translations)
                for c, spec_command in zip(bot_model(out.spec).commands, out.spec.commands, strict=True)]

    def outputs(self, out: Outputs) -> dict[str, str]:
        bot = bot_model(out.spec)
        payloads = self.registrations(out)
        # context-menu entries beside them, in the same bulk overwrite (their names localized too)
        entries = [localize_menu(m.payload, out.translations) for m in bot.menus]
        commands_json = {"commands": (payloads if bot.slash else []) + entries}
        return {
            "discord/__init__.py": out.render("package_init.py.jinja",
                                              docstring=f"The Discord front end of {bot.name}."),
            "discord/commands.py": out.render("discord/commands.py.jinja", bot=bot),
            "discord/commands.json": out.json(out.header, "generated_by", commands_json),
        }


TARGET = Discord()
