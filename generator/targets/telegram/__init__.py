"""Telegram as the generator sees it: its limits and rules, and the command lists it writes
(`generated/telegram/commands.json`, what `gmbot telegram-commands` sends with setMyCommands)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from generator.targets import CardLimits, CommandLimits, Outputs, Problem, SelectLimits, Target
from gmbot.telegram import buttons, commands, messages


class Telegram(Target):
    title = "Telegram"
    # A card is one message of text (messages.py splits a long one and cuts after three):
    # each part may take a whole message; the keyboard and its labels are Telegram's own.
    card_limits = CardLimits(
        title=messages.MESSAGE_MAX, description=messages.MESSAGE_MAX, footer=messages.MESSAGE_MAX,
        url=2048, fields=messages.MESSAGE_MAX // 2,  # a field takes a line of its own or more
        field_name=messages.MESSAGE_MAX,
        field_value=messages.MESSAGE_MAX, buttons=messages.BUTTONS_MAX, button_label=messages.LABEL_MAX,
    )
    # a select is a button per option on the keyboard (gmbot/telegram/selects.py): its value rides in
    # the option's callback data (checked whole, as a button id, where it can be); no descriptions
    select_limits = SelectLimits(
        selects=messages.BUTTONS_MAX, options=messages.BUTTONS_MAX, label=messages.LABEL_MAX,
        value=buttons.CALLBACK_DATA_MAX, description=messages.MESSAGE_MAX, placeholder=messages.MESSAGE_MAX,
        option_buttons=True)
    # the menus hold 100 commands, but any command runs through the prefix (commands.py): no limit
    command_limits = CommandLimits(description=commands.DESCRIPTION_MAX)

    def problems(self, data: dict[str, Any]) -> Iterable[Problem]:
        """Commands Telegram could not run at all, and descriptions it would refuse. (Option
        names are flags in the text: Telegram has no rule on them.)"""
        prefix = str((data.get("bot") or {}).get("prefix") or "gmbot")
        for name, command in (data.get("commands") or {}).items():
            if not isinstance(command, dict):
                continue
            words = [(("commands", name), name)] + [
                (("commands", name, "aliases", i), alias) for i, alias in enumerate(command.get("aliases") or [])]
            for path, word in words:
                problem = commands.name_problem(word, prefix) if isinstance(word, str) else None
                if problem:
                    yield path, f"'{word}' {problem}"
            if not str(command.get("description") or "").strip():
                yield ("commands", name, "description"), "Telegram needs a description of 1-256 characters"

    def outputs(self, out: Outputs) -> dict[str, str]:
        return {
            "telegram/__init__.py": out.render("package_init.py.jinja",
                                               docstring=f"The Telegram front end of {out.spec.bot.name}."),
            "telegram/commands.json": out.json(out.header, "generated_by", {"scopes": commands.scopes(out.spec, out.translations)}),
        }


TARGET = Telegram()
