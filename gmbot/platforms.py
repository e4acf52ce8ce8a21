"""The platform registry: every chat platform the library serves, found the same way.

A platform is one package (`gmbot/discord/`, `gmbot/slack/`, or a package of another
distribution) whose `platform` module declares one `Platform`, and one entry point that
names it, in the `gmbot.platforms` group of its distribution:

    [project.entry-points."gmbot.platforms"]
    discord = "gmbot.discord.platform:PLATFORM"

The `gmbot` commands, `gmbot run`, the application object, the generator, the preview and
the playground iterate over `platforms()` and name no platform themselves (the way pytest
finds its plugins). A `Platform` holds import paths for its heavy parts, so reading the
registry imports no platform SDK: `gmbot --help` and `gmbot keys` stay instant.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from gmbot.chat.commands import CommandWriter, write_plain

GROUP = "gmbot.platforms"

Writer = Callable[[int, str], str]  # a moment (unix seconds, style) as the platform writes it
# what the platform sent of a person (an interaction, a user object) -> their language as it names it
PersonLocale = Callable[[Any], "str | None"]
# a shipped locale (`es`, `pt_BR`) -> the platform's codes for it in command registrations (none: not localized)
CommandLocales = Callable[[str], "tuple[str, ...]"]
FakeId = Callable[[str, int], str]  # (kind: "server", "user" or "channel", count) -> a made-up id
ButtonFits = Callable[[str], bool]  # whether a core button id (gmbot/chat/core.py) can be posted
BUTTON_ID_MAX = 100  # characters of a core button id (Discord's custom_id; Slack takes more)


def fits_button_id(custom_id: str) -> bool:
    return len(custom_id) <= BUTTON_ID_MAX


class PlatformError(Exception):
    """A registered platform cannot be loaded or is declared wrongly; `str()` says which."""


_ID_BASE = {"server": 1_000_000_000, "user": 2_000_000_000, "channel": 3_000_000_000}


def no_locale(_: Any) -> str | None:
    """A platform that says nothing of a person's language: replies go in the clan's."""
    return None


def no_command_locales(_: str) -> tuple[str, ...]:
    """A platform whose command registrations have no per-language texts."""
    return ()


def fake_numeric_id(kind: str, count: int) -> str:
    """The playground's made-up id of the `count`-th `kind` ("server", "user", "channel")."""
    return str(_ID_BASE[kind] + count + 1)


@dataclass(frozen=True)
class Subcommand:
    """A `gmbot <name>` command a platform brings: `module:function(argv) -> exit code`."""

    name: str
    target: str
    help: str


@dataclass(frozen=True)
class PreviewLook:
    """How `gmbot preview` draws a platform's message: a column of the page.

    `to_message` is the front end's own converter (so the preview splits and cuts exactly as
    the bot does, and may add what the bot posts beside it, such as button rows);
    `template` draws its result, `message`, as HTML with the platform's `filters` (its
    markup -> HTML); `css` styles the template's classes.
    """

    to_message: Callable[[Any], Any]
    template: Path
    filters: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    css: str = ""
    # a form (gmbot/chat/forms.py `RenderedForm`) as the platform shows it, as HTML (None: not drawn)
    form: Callable[[Any], Any] | None = None


UPLOAD_MAX = 10 * 1024 * 1024  # bytes of a picture sent with a message (Discord, Telegram)


@dataclass(frozen=True)
class Platform:
    """What one chat platform brings, declared once in its own package."""

    name: str  # the id: the spec's `platforms:` key, `Invocation.platform`, the backend's namespace
    title: str  # how people call it ("Discord")
    client: str  # the `client` header its API key is issued for
    key_env: str  # the variable its API key is read from (GMBOT_API_KEY when unset)
    credentials: tuple[str, ...]  # `gmbot run` starts it when all of these are set
    command: Subcommand  # runs the front end (`gmbot bot`, `gmbot slack`)
    write_time: Writer  # `⟨time ...⟩` markers in card text, in the platform's syntax
    to_message: str  # `module:function(RenderedCard) -> the platform's message`
    message_to_text: str  # `module:function(message) -> readable text` (the playground)
    target: str  # `module:attribute` of its generator target (limits, outputs)
    preview: str  # `module:attribute` of how the card preview draws its messages (a `PreviewLook`)
    extra_commands: tuple[Subcommand, ...] = ()  # e.g. `gmbot sync-commands`
    # parts of a card the platform shows as plain text: time markers there are written plainly
    plain_time_parts: tuple[str, ...] = ("button_label",)
    settings: Mapping[str, str] = field(default_factory=dict)  # environment variable -> what it sets
    # the ids `gmbot chat` makes up for its servers, users and channels, shaped as the
    # platform's own (so a pasted mention looks right); distinct numbers when not given
    fake_id: FakeId = fake_numeric_id
    # languages (gmbot/chat/i18n.py): how the platform names a person's language in what it
    # sends, and which of its locale codes a catalog's command names and descriptions go to
    person_locale: PersonLocale = no_locale
    command_locales: CommandLocales = no_command_locales
    # whether a core button id can be posted on a button there (the core then keeps what
    # does not fit elsewhere, e.g. a confirmed command's options)
    button_fits: ButtonFits = fits_button_id
    # `{{ command('accept', war=...) }}` in card text, in the platform's syntax (gmbot/chat/commands.py)
    write_command: CommandWriter = write_plain
    # the context menus it shows (gmbot/chat/menus.py): "member", "message"; an entry of
    # another kind is not offered there (docs/spec.md, Context menus)
    menu_targets: frozenset[str] = frozenset()
    # the most bytes of a picture the platform takes with a message (a card's `image: {operation}`,
    # gmbot/chat/images.py): Discord's attachments and Telegram's photos hold 10 MiB
    upload_max: int = UPLOAD_MAX

    @property
    def subcommands(self) -> tuple[Subcommand, ...]:
        return (self.command, *self.extra_commands)

    def load(self, path: str) -> Any:
        """One of this platform's parts by its import path (`target`, `preview`, ...)."""
        return load(path, f"the {self.title} platform")


def load(path: str, owner: str) -> Any:
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attribute) if attribute else module
    except (ImportError, AttributeError) as error:
        raise PlatformError(f"{owner}: cannot load {path!r} ({error})") from error


@cache
def _registry() -> dict[str, Platform]:
    found: dict[str, Platform] = {}
    for entry in sorted(entry_points(group=GROUP), key=lambda e: e.name):
        try:
            platform = entry.load()
        except Exception as error:  # a broken plugin must say which it is, not break `gmbot`
            raise PlatformError(f"the platform {entry.name!r} ({entry.value}) failed to load: {error}") from error
        if not isinstance(platform, Platform):
            raise PlatformError(f"the platform {entry.name!r} ({entry.value}) is a {type(platform).__name__}, not a Platform")
        if platform.name != entry.name or platform.name in found:
            raise PlatformError(f"the platform {entry.value} is registered as {entry.name!r} but named {platform.name!r}")
        found[platform.name] = platform
    if not found:
        raise PlatformError(f"no platform is registered in the {GROUP!r} entry points: is gmbot installed (pip install -e .)?")
    return found


def platforms() -> tuple[Platform, ...]:
    """Every registered platform, by name."""
    return tuple(_registry().values())


def names() -> tuple[str, ...]:
    return tuple(_registry())


def platform(name: str) -> Platform:
    try:
        return _registry()[name]
    except KeyError:
        raise PlatformError(f"unknown platform {name!r} (registered: {', '.join(_registry())})") from None
