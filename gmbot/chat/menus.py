"""Context-menu commands (docs/spec.md, Context menus): a command offered in a platform's menu
on a member or on a message, the target clicked filling some of its options.

A front end says what was clicked as parts (`member`; or a message's `author`, `text` and
`link`), each in the form its own option values take (a Discord Member, a Slack mention token,
a `Person`): `raw_options` hands them to the options the spec names, and the command then runs
as a slash command would, through the same coercion and checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gmbot.spec.model import BotSpec, Command, Menu, MenuTarget, OptionType

MENU = "menu"  # the catalogs' context of menu entry names (gmbot/chat/i18n.py)

# the parts of each kind of target, and the option types each part can fill
PARTS: dict[MenuTarget, tuple[str, ...]] = {
    MenuTarget.MEMBER: ("member",),
    MenuTarget.MESSAGE: ("author", "text", "link"),
}
PART_TYPES: dict[str, tuple[OptionType, ...]] = {
    "member": (OptionType.USER, OptionType.USERS),
    "author": (OptionType.USER, OptionType.USERS),
    "text": (OptionType.STRING,),
    "link": (OptionType.STRING,),
}
# what a member's entry fills when it names nothing: the option called `member`
DEFAULT_OPTIONS: dict[MenuTarget, dict[str, str]] = {MenuTarget.MEMBER: {"member": "member"}}


def filled(menu: Menu) -> dict[str, str]:
    """A part of the target -> the option it fills."""
    return dict(menu.options) or dict(DEFAULT_OPTIONS.get(menu.target, {}))


def raw_options(menu: Menu, parts: Mapping[str, Any]) -> dict[str, Any]:
    """The command's raw option values from what was clicked (parts left out stay unset)."""
    return {option: parts[part] for part, option in filled(menu).items() if parts.get(part) is not None}


@dataclass(frozen=True)
class Entry:
    """One context-menu entry of a spec: the command it runs and its place in `menus:`."""

    command: Command
    index: int
    menu: Menu

    @property
    def key(self) -> str:
        """A stable id of the entry (`clanof:0`): what a platform's callback carries."""
        return f"{self.command.name}:{self.index}"


def entries(spec: BotSpec, on: MenuTarget | str | None = None) -> Iterator[Entry]:
    for command in spec.commands:
        for index, menu in enumerate(command.menus):
            if on is None or menu.target == on:
                yield Entry(command, index, menu)


def by_key(spec: BotSpec, key: str) -> Entry | None:
    name, _, index = key.rpartition(":")
    command = spec.command(name)
    if command is None or not index.isdigit() or int(index) >= len(command.menus):
        return None
    return Entry(command, int(index), command.menus[int(index)])


def by_name(spec: BotSpec, name: str, on: MenuTarget | str, local: Mapping[str, str] = {}) -> Entry | None:
    """The entry a person picked by the name they read (`local`: translated name -> canonical)."""
    wanted = local.get(name.casefold(), name).casefold()
    return next((e for e in entries(spec, on) if e.menu.name.casefold() == wanted), None)
