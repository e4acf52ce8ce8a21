"""The chat platforms the generator writes a front end for, each with its limits.

A card is checked against every target's limits (the strictest wins, and the
error names that platform); a platform's command-level limits are checked by
its own module (`discord.py`, `slack.py`). A new platform is a new module here
with a `CARD_LIMITS` table, added to `TARGETS`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from generator.targets import discord, slack


@dataclass(frozen=True)
class CardLimits:
    """The most fixed text a card part may hold on one platform (None: no limit)."""

    platform: str
    title: int
    description: int
    footer: int
    url: int
    fields: int  # fixed fields per card
    field_name: int
    field_value: int
    buttons: int
    button_label: int


TARGETS: tuple[CardLimits, ...] = (
    CardLimits("Discord", **discord.CARD_LIMITS),
    CardLimits("Slack", **slack.CARD_LIMITS),
)


@dataclass(frozen=True)
class Limit:
    value: int
    platform: str


def strictest(part: str) -> Limit:
    """The smallest limit on `part` (a CardLimits field) across targets, and whose it is."""
    assert part in {f.name for f in fields(CardLimits)} - {"platform"}, part
    target = min(TARGETS, key=lambda t: getattr(t, part))
    return Limit(getattr(target, part), target.platform)
