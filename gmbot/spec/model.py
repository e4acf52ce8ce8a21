"""The typed model of a bot spec (`specs/commands.yaml`).

The generator parses and validates YAML into these models; templates and the bot
runtime only ever see them (the runtime reads them back from
`generated/chat/spec.json`). Field names here are the spec language's names.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# A request value: a literal, a `$reference` string, or a mapping/list of them.
# References: `$<option>`, `$server`, `$channel`, `$author`, `$mentions`
# (context), `$event` / `$reply` (buttons only), each optionally followed by
# `.attr.attr`. A literal string that must start with `$` is written `$$...`.
RequestValue = Any


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OptionType(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    USER = "user"  # one mention -> {"id", "name"}
    USERS = "users"  # several mentions -> [{"id", "name"}, ...]
    CHOICE = "choice"  # one of `choices` -> its value
    DURATION = "duration"  # "12", "12h", "90m", "1.5d" -> a number in `unit`
    INTEGERS = "integers"  # "4,5 7" (commas or spaces) -> [4, 5, 7]; a string on Discord
    DATETIME = "datetime"  # "2026-11-01", "2026-11-01 18:00", "7d" -> an RFC 3339 date-time (UTC)


class DurationUnit(StrEnum):
    SECONDS = "seconds"
    MINUTES = "minutes"
    HOURS = "hours"
    DAYS = "days"


# Seconds in one of each `DurationUnit`: shared by option parsing and the `duration` card filter.
SECONDS_PER_UNIT: dict[str, int] = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class Relative(StrEnum):
    """Which way a bare relative time (`7d`) of a datetime option counts from now."""

    PAST = "past"  # `-since 7d`: seven days ago
    FUTURE = "future"  # `-until 2h`: in two hours


class Choice(_Strict):
    name: str  # shown to the user
    value: str | int | float


class Option(_Strict):
    name: str
    type: OptionType
    description: str
    required: bool = False
    default: Any = None
    min: float | None = None  # bounds of integer / number / duration values
    max: float | None = None
    min_length: int | None = None  # bounds of string lengths
    max_length: int | None = None
    pattern: str | None = None  # string only: a regular expression the text must match (re.search, as OpenAPI)
    min_items: int | None = None  # users / integers: how many values
    max_items: int | None = None
    choices: list[Choice] = Field(default_factory=list)
    unit: DurationUnit = DurationUnit.HOURS  # duration only: the unit sent to the backend
    relative: Relative = Relative.PAST  # datetime only: what a bare `7d` means
    # the word in usage lines: `-against <clan>` (else one made from the type or the name)
    placeholder: str | None = None
    autocomplete: Autocomplete | None = None  # suggestions from the backend while typing
    long: bool = False  # a form's text field: a paragraph (several lines) rather than one line


class Request(_Strict):
    """How options and context fill the operation's parameters and body."""

    path: dict[str, RequestValue] = Field(default_factory=dict)
    query: dict[str, RequestValue] = Field(default_factory=dict)
    headers: dict[str, RequestValue] = Field(default_factory=dict)
    body: RequestValue = None


class Autocomplete(_Strict):
    """An option's suggestions while it is typed: an operation called with the typed text
    (`$typed` in its request), its reply's `items` each shown as `label` and given as `value`."""

    operation: str
    request: Request = Field(default_factory=Request)
    items: str = "reply['items']"  # a Jinja expression giving the list of suggestions
    label: str = "{{ item.name }}"  # a template over `item`: what the user reads
    value: str = "{{ item.id }}"  # a template over `item`: what the option gets


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


class Confirm(_Strict):
    """Asked before a destructive button or command runs: each platform's own way (a dialog,
    an ephemeral prompt, a second keyboard), with `ok` going ahead and `cancel` giving up."""

    text: str  # a template
    title: str | None = None  # a template; "Are you sure?" when unset
    ok: str = "Confirm"  # the label going ahead (YAML reads a key `yes` as true: not that)
    cancel: str = "Cancel"


class Form(_Strict):
    """Fields asked in a form before a command's or a button's operation is called (a modal
    where the platform has one, else one question at a time): each field is an option, with
    every check an option has, and its value reaches the request as `$<field>`."""

    title: str  # a template (a command's: over `options` and `ctx`; a button's: what its click carries)
    fields: list[Option]  # in the order asked; YAML writes them as a mapping, as options
    submit: str = "Submit"  # the label of the button that sends it, where the platform has one

    @field_validator("fields", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            return [{"name": name, **(field or {})} for name, field in value.items()]
        return value


class Button(_Strict):
    label: str  # a template
    operation: str  # operationId called when clicked, as the clicking user
    style: ButtonStyle = ButtonStyle.SECONDARY
    confirm: Confirm | None = None  # asked before the operation is called
    form: Form | None = None  # asked when clicked; its fields fill the request as `$<field>`
    request: Request = Field(default_factory=Request)
    # The card to answer the click with, by status; falls back to the bot default.
    replies: dict[str, Card] = Field(default_factory=dict)


class SelectType(StrEnum):
    """What a select's chosen value is sent as (`$selected`): the option's value is text."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"


class SelectOption(_Strict):
    """A fixed option of a select."""

    label: str  # a template: what the user reads
    value: str | int | float  # what `$selected` is
    description: str | None = None  # a template: a second line under the label, where the platform has one


class Select(_Strict):
    """A select menu on a card (docs/spec.md, Selects): options from the reply (`each`, with
    `label` / `value` / `description` templates over `item`) or fixed (`options`); choosing
    one calls `operation` as the chooser, with the value as `$selected` in `request`."""

    placeholder: str  # a template: shown on the closed menu
    operation: str
    each: str | None = None  # a Jinja expression giving a list: one option per item
    label: str = "{{ item.name }}"
    value: str = "{{ item.id }}"
    description: str | None = None
    options: list[SelectOption] = Field(default_factory=list)
    type: SelectType = SelectType.STRING
    confirm: Confirm | None = None  # asked before the operation is called
    request: Request = Field(default_factory=Request)
    replies: dict[str, Card] = Field(default_factory=dict)


class CardField(_Strict):
    name: str  # a template
    value: str  # a template
    inline: bool = False
    # A Jinja expression giving a list: the field is repeated once per item,
    # with `item` (and `loop`) bound in `name` and `value`.
    each: str | None = None


class Paging(_Strict):
    """How a command's card over a list is paged: Prev / Next buttons under it re-run the
    command with the same options, one of them moved, and edit the card in place.

    By position: `offset` (the option holding the first item's offset) or `page` (a 1-based
    page option), with `limit` (the page size: an integer option's name, or a number) and
    `total` (an expression: how many items in all; Next is hidden on the last page). By
    cursor: `cursor` (a text option), `next` (an expression giving the next page's cursor;
    no Next when it is empty) and optionally `previous`.
    """

    offset: str | None = None
    page: str | None = None
    cursor: str | None = None
    limit: str | int | None = None
    total: str | None = None  # a Jinja expression over `reply` and `options`
    next: str | None = None
    previous: str | None = None

    @property
    def option(self) -> str:
        """The option the buttons move."""
        return self.offset or self.page or self.cursor or ""


class CardImage(_Strict):
    """A picture from an operation of the API (docs/spec.md, Images): its 200 reply is the
    image's bytes (an `image/*` media type), fetched by the chat core and uploaded with the
    card where the platform needs bytes."""

    operation: str
    request: Request = Field(default_factory=Request)


class CardOverride(_Strict):
    """What a card says differently on one platform (rare: a hint naming that platform's syntax).
    Buttons cannot differ: a click must route the same everywhere."""

    title: str | None = None
    description: str | None = None
    color: str | None = None
    url: str | None = None
    image: str | CardImage | None = None
    thumbnail: str | CardImage | None = None
    fields: list[CardField] | None = None
    footer: str | None = None


class Card(_Strict):
    """A platform-neutral message: rendered to a Discord embed or Slack blocks."""

    title: str | None = None
    description: str | None = None
    color: str | None = None  # a named colour of `bot.colors` or "#rrggbb"
    url: str | None = None
    # a URL template (only http(s) kept) or an operation answering the picture's bytes:
    image: str | CardImage | None = None  # a large picture under the card
    thumbnail: str | CardImage | None = None  # a small picture beside the card's text
    fields: list[CardField] = Field(default_factory=list)
    footer: str | None = None
    buttons: list[Button] = Field(default_factory=list)
    selects: list[Select] = Field(default_factory=list)  # select menus: a choice calls an operation
    paging: Paging | None = None  # a command's reply over a list: Prev / Next that edit it in place
    private: bool = False  # only the one who asked sees it (ephemeral; Telegram: a private chat)
    # platform ("discord", "slack") -> the parts that differ there
    platforms: dict[str, CardOverride] = Field(default_factory=dict)

    def on(self, platform: str | None) -> Card:
        """This card as shown on `platform`: its override's parts replace the card's."""
        override = self.platforms.get(platform) if platform else None
        if override is None:
            return self
        # None is "not overridden" (spec.json spells out every part of an override, unset ones as null)
        parts = {name: value for name in override.model_fields_set if (value := getattr(override, name)) is not None}
        return self.model_copy(update=parts)


class Permission(StrEnum):
    """Who may see a command (docs/spec.md, Permissions): each platform maps these to its own
    (gmbot/<platform>/platform.py, the generator target); the backend's roles still decide."""

    ADMINISTRATOR = "administrator"
    MANAGE_SERVER = "manage_server"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_ROLES = "manage_roles"


class MenuTarget(StrEnum):
    """What a context-menu entry is offered on (docs/spec.md, Context menus)."""

    MEMBER = "member"  # a member's menu: the member clicked
    MESSAGE = "message"  # a message's menu: its author, text and link


class Menu(_Strict):
    """A command offered in a platform's context menu (gmbot/chat/menus.py): the target clicked
    fills some of its options (`options`: a part of the target -> the option it fills)."""

    name: str  # what the menu shows: up to 32 characters, capitals and spaces allowed
    # (not `on:`: YAML reads a bare `on` as true, as it does `yes` and `no`)
    target: MenuTarget
    # member: {member: <a user option>} (the default); message: any of author (a user
    # option), text and link (text options)
    options: dict[str, str] = Field(default_factory=dict)


class Command(_Strict):
    name: str
    description: str
    operation: str
    aliases: list[str] = Field(default_factory=list)
    options: list[Option] = Field(default_factory=list)  # in declared order
    roles: list[str] = Field(default_factory=list)  # who may run it (help text; backend enforces)
    # who sees it in the platform's command list (members with all of these); empty: every member
    permissions: list[Permission] = Field(default_factory=list)
    request: Request = Field(default_factory=Request)
    # Cards by response status ("200", "201", ...) and "error" for any other.
    replies: dict[str, Card] = Field(default_factory=dict)
    examples: list[str] = Field(default_factory=list)
    confirm: Confirm | None = None  # a destructive command: asked before the operation is called
    # fields asked in a form (gmbot/chat/forms.py): flags of the text command too
    form: Form | None = None
    menus: list[Menu] = Field(default_factory=list)  # context-menu entries that run it on a member or message


class EventTarget(StrEnum):
    CLAN_CHANNEL = "clan_channel"  # the channel the target clan set up (event.channelId)


class EventSpec(_Strict):
    name: str  # the event type emitted by the backend, e.g. "war.requested"
    description: str = ""
    post_to: EventTarget = EventTarget.CLAN_CHANNEL
    # the component schema of openapi.yaml the event's `data` has: card templates are checked against it
    data: str | None = None
    card: Card


class BotSettings(_Strict):
    name: str
    prefix: str = "gmbot"  # the trigger word of prefix commands
    client: str | None = None  # deprecated, ignored: each platform declares its `client` (gmbot/platforms.py)
    backend_url_env: str = "GMBOT_BACKEND_URL"
    api_key_env: str = "GMBOT_API_KEY"
    url: str | None = None  # linked from card titles and help
    slash_commands: bool = True
    prefix_commands: bool = True
    colors: dict[str, str] = Field(
        default_factory=lambda: {
            "info": "#3498db",
            "success": "#2ecc71",
            "warning": "#ffff00",
            "error": "#e74c3c",
        }
    )


class Defaults(_Strict):
    error: Card | None = None  # used for any status a command has no card for


class BotSpec(_Strict):
    # generated/chat/spec.json carries its generated-file header here (JSON has no comments)
    generated_by: str | None = None
    version: Literal[1] = 1
    bot: BotSettings
    defaults: Defaults = Field(default_factory=Defaults)
    commands: list[Command]
    events: list[EventSpec] = Field(default_factory=list)

    def command(self, name_or_alias: str) -> Command | None:
        for command in self.commands:
            if name_or_alias == command.name or name_or_alias in command.aliases:
                return command
        return None

    def event(self, name: str) -> EventSpec | None:
        return next((e for e in self.events if e.name == name), None)


Button.model_rebuild()
Select.model_rebuild()
Option.model_rebuild()
