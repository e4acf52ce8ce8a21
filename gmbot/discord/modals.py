"""Forms as py-cord builds them: a RenderedForm to a modal, a MODAL_SUBMIT to its values
(limits in gmbot/discord/forms.py, which the generator reads without importing py-cord)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord

from gmbot.chat.vocabulary import RenderedForm
from gmbot.discord.forms import (
    CUSTOM_ID_MAX,
    INPUTS_MAX,
    LABEL_MAX,
    PLACEHOLDER_MAX,
    TITLE_MAX,
    VALUE_MAX,
)


def _cut(text: str | None, most: int) -> str | None:
    if not text:
        return None
    return text if len(text) <= most else text[: most - 1] + "…"


def modal(form: RenderedForm) -> discord.ui.Modal:
    """A form as Discord's modal: one text input per field (its custom id: the field's name),
    the form's id as the modal's. Not kept in py-cord's modal store: a submit is routed by its
    custom id in `on_interaction`, after a restart as well."""
    inputs = [
        discord.ui.InputText(
            style=discord.InputTextStyle.long if field.long else discord.InputTextStyle.short,
            custom_id=field.name, label=_cut(field.label, LABEL_MAX) or field.name,
            placeholder=_cut(field.placeholder, PLACEHOLDER_MAX), required=field.required,
            min_length=min(field.min_length, VALUE_MAX) if field.min_length else None,
            max_length=min(field.max_length or VALUE_MAX, VALUE_MAX), value=(field.value or "")[:VALUE_MAX] or None,
        )
        for field in form.inputs[:INPUTS_MAX]
    ]
    return discord.ui.Modal(*inputs, title=_cut(form.title, TITLE_MAX) or "-", custom_id=form.id[:CUSTOM_ID_MAX],
                            store=False)


def submitted(data: Mapping[str, Any]) -> dict[str, str]:
    """A MODAL_SUBMIT's values by field name: text inputs in action rows (or, in newer
    layouts, in labels)."""
    found: dict[str, str] = {}
    for row in data.get("components") or []:
        if not isinstance(row, Mapping):
            continue
        parts = list(row.get("components") or []) + ([row["component"]] if isinstance(row.get("component"), Mapping) else [])
        for part in parts:
            if isinstance(part, Mapping) and isinstance(part.get("custom_id"), str):
                value = part.get("value")
                found[part["custom_id"]] = value if isinstance(value, str) else ""
    return found
