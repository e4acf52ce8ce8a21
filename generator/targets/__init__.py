"""The generator's side of each registered chat platform: its limits, its checks, its outputs.

Each platform of the registry (gmbot/platforms.py) names its `Target` (`Platform.target`).
A card or command is checked against every target's limits: the strictest wins and the
error names that platform. A target's own rules (a Slack command name, Discord's
"required options first") are its `problems`; the files it adds to `generated/` are its
`outputs`. Nothing here names a platform.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path as PathType
from typing import TYPE_CHECKING, Any

from gmbot.platforms import platforms

if TYPE_CHECKING:
    from generator.errors import Path
    from gmbot.chat.i18n import Catalog
    from gmbot.spec.model import BotSpec


@dataclass(frozen=True)
class CardLimits:
    """The most fixed text a card part may hold on one platform."""

    title: int
    description: int
    footer: int
    url: int
    fields: int  # fixed fields per card
    field_name: int
    field_value: int
    buttons: int
    button_label: int


@dataclass(frozen=True)
class SelectLimits:
    """What a platform shows of a card's selects (docs/spec.md, Selects)."""

    selects: int  # per card
    options: int  # per select (more at run time are cut, logged)
    label: int  # characters of an option's label
    value: int  # characters of an option's value
    description: int  # characters of an option's description
    placeholder: int
    # where a select takes a row of its own among the message's `rows`, the buttons filling
    # rows of `row_buttons` (None: the platform lays them out otherwise)
    rows: int | None = None
    row_buttons: int = 5
    # the platform has no menus: each option is a button of its own, whose id (the select's
    # with the value) must fit the platform's buttons (`Platform.button_fits`)
    option_buttons: bool = False


@dataclass(frozen=True)
class CommandLimits:
    """What a platform allows of registered commands (None: no such limit there)."""

    commands: int | None = None  # commands one bot may register
    description: int | None = None  # of a command or an option
    options: int | None = None  # per command
    choices: int | None = None  # per option
    choice_name: int | None = None
    choice_value: int | None = None
    string_length: int | None = None  # the largest max_length of a string option
    command_chars: int | None = None  # names, descriptions and choices of one command together


@dataclass(frozen=True)
class FormLimits:
    """What a platform's own form (a modal) holds (None: no such limit there)."""

    fields: int  # inputs in one form
    title: int
    label: int  # a field's label (its description)
    placeholder: int  # the hint inside an empty input (the field's placeholder)
    value: int  # the longest text an input takes
    submit: int | None = None  # the submit button's label (None: the platform writes its own)


@dataclass(frozen=True)
class MenuLimits:
    """What a platform offers of context menus (docs/spec.md, Context menus): the `on:` kinds it
    shows (a spec's entry of another kind is left out there) and its limits on them."""

    kinds: frozenset[str] = frozenset()  # "member", "message"
    name: int | None = None  # characters of an entry's name
    per_kind: int | None = None  # entries of one kind one bot may have


@dataclass(frozen=True)
class Outputs:
    """What the pipeline hands a target to write its files with (so a target needs no pipeline)."""

    spec: BotSpec
    spec_file: str  # the spec's name, for errors
    package: str  # the import name of generated/
    header: Any  # the spec's generated-file header (`Header`)
    render: Callable[..., str]  # (template path, **context) -> text, in the generator's environment
    json: Callable[[Any, str, dict[str, Any]], str]  # (header, header key, document) -> text
    # the spec's translations by locale (gmbot/chat/i18n.py `Catalog`): command names and
    # descriptions a platform localizes in its registrations
    translations: Mapping[str, Catalog] = field(default_factory=dict)


Problem = tuple["Path", str]  # (path in the spec, message)


class Target:
    """One platform's generator target: subclass it in the platform's target module."""

    title: str = "?"  # the platform's name in messages
    card_limits: CardLimits
    command_limits: CommandLimits = CommandLimits()
    # its own forms' limits; None: no forms there, a form's fields are asked one at a time
    form_limits: FormLimits | None = None
    menu_limits: MenuLimits = MenuLimits()  # context menus: none unless the platform has them
    select_limits: SelectLimits | None = None  # None: the platform has no selects (a spec with one is refused)
    # the platform lists a command's required options before its optional ones
    required_options_first: bool = False
    templates: PathType | None = None  # a folder of Jinja templates its outputs use, if any

    def name_problem(self, name: str) -> str | None:
        """Why `name` cannot be a command, alias or option name on this platform, or None."""
        return None

    def problems(self, data: dict[str, Any]) -> Iterable[Problem]:
        """This platform's own rules over the whole (schema-valid) spec document."""
        return ()

    def translated_problems(self, out: Outputs) -> Iterable[Problem]:
        """This platform's own rules over the spec with its translations (a budget that counts
        each text at its longest translation, say), checked before anything is written."""
        return ()

    def outputs(self, out: Outputs) -> dict[str, str]:
        """The files this platform adds to generated/ (path relative to it -> content)."""
        return {}


@cache
def targets() -> tuple[Target, ...]:
    """The target of every registered platform, in the registry's order."""
    found = []
    for platform in platforms():
        target = platform.load(platform.target)
        if not isinstance(target, Target):
            raise TypeError(f"{platform.target} is a {type(target).__name__}, not a generator Target")
        found.append(target)
    return tuple(found)


@dataclass(frozen=True)
class Limit:
    value: int
    platform: str


def strictest(part: str) -> Limit:
    """The smallest limit on a card `part` (a CardLimits field) across targets, and whose it is."""
    assert part in {f.name for f in fields(CardLimits)}, part
    target = min(targets(), key=lambda t: getattr(t.card_limits, part))
    return Limit(getattr(target.card_limits, part), target.title)


def strictest_select(part: str) -> Limit | None:
    """The smallest limit on a select `part` (a SelectLimits field) across the targets that have
    selects, and whose it is (None when none has)."""
    assert part in {f.name for f in fields(SelectLimits)}, part
    bounded = [t for t in targets() if t.select_limits is not None and getattr(t.select_limits, part) is not None]
    if not bounded:
        return None
    target = min(bounded, key=lambda t: getattr(t.select_limits, part))
    return Limit(getattr(target.select_limits, part), target.title)


def strictest_command(part: str) -> Limit | None:
    """The smallest limit on a command `part` (a CommandLimits field), or None where no target has one."""
    assert part in {f.name for f in fields(CommandLimits)}, part
    bounded = [t for t in targets() if getattr(t.command_limits, part) is not None]
    if not bounded:
        return None
    target = min(bounded, key=lambda t: getattr(t.command_limits, part))
    return Limit(getattr(target.command_limits, part), target.title)


def name_problem(name: str) -> str | None:
    """The first target's reason why `name` cannot be a command or option name, or None."""
    return next((p for t in targets() if (p := t.name_problem(name)) is not None), None)
