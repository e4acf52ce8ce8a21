"""Slack as the generator sees it: its limits and rules, and the App Manifest it writes
(`generated/slack/manifest.json`). Commands reach Slack through one slash command, the
bot's prefix, so Slack adds no limits on the spec's commands themselves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pydantic_core

from generator.errors import SpecError, SpecErrors
from generator.targets import (
    CardLimits,
    FormLimits,
    MenuLimits,
    Outputs,
    Problem,
    SelectLimits,
    Target,
)
from generator.targets.slack import limits
from gmbot.slack import blocks, forms, manifest, selects
from gmbot.slack.platform import PLATFORM


class Slack(Target):
    title = "Slack"
    card_limits = CardLimits(**limits.CARD_LIMITS)
    # a modal of input blocks (one kept for a general error message)
    form_limits = FormLimits(fields=forms.BLOCKS_MAX - 1, title=forms.TITLE_MAX, label=forms.LABEL_MAX,
                             placeholder=forms.PLACEHOLDER_MAX, value=forms.VALUE_MAX, submit=forms.SUBMIT_MAX)
    # message shortcuts (on: message); Slack has no member's menu (docs/spec.md, Context menus)
    menu_limits = MenuLimits(PLATFORM.menu_targets, manifest.SHORTCUT_NAME_MAX, manifest.SHORTCUTS_MAX)
    # static_selects in the card's actions block, beside its buttons (gmbot/slack/selects.py)
    select_limits = SelectLimits(
        selects=blocks.ACTIONS_ELEMENTS_MAX, options=selects.OPTIONS_MAX, label=selects.OPTION_TEXT_MAX,
        value=selects.VALUE_MAX, description=selects.OPTION_TEXT_MAX, placeholder=selects.PLACEHOLDER_MAX)

    def problems(self, data: dict[str, Any]) -> Iterable[Problem]:
        bot = data.get("bot") or {}
        prefix, name = bot.get("prefix"), bot.get("name")
        problem = limits.command_problem(prefix) if isinstance(prefix, str) else None
        if problem:
            yield ("bot", "prefix"), problem
        problem = limits.name_problem(name) if isinstance(name, str) else None
        if problem:
            yield ("bot", "name"), problem

    def outputs(self, out: Outputs) -> dict[str, str]:
        # the header rides in the app's long description: Slack refuses keys it does not know
        document = manifest.manifest(out.spec, provenance=out.header.json())
        problems = manifest.manifest_problems(document)
        if problems:
            raise SpecErrors([SpecError(out.spec_file, 1, 1, "bot", f"Slack manifest {where}: {why}")
                              for where, why in problems])
        return {
            "slack/__init__.py": out.render("package_init.py.jinja",
                                            docstring=f"The Slack front end of {out.spec.bot.name}."),
            "slack/manifest.json": pydantic_core.to_json(document, indent=2).decode() + "\n",
        }


TARGET = Slack()
