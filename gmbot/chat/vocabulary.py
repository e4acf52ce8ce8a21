"""The chat core's neutral vocabulary: who (`Person`), where (`Place`), what was asked
(`Invocation`), what it came to (`Outcome`) and the card to show (`RenderedCard`).

Every front end speaks these words to the core and back; none of them names a platform.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Person:
    """Someone on a platform: a user, by the platform's id and the name shown."""

    id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


@dataclass(frozen=True)
class Place:
    """Where something happens on a platform: a server (a clan's community: a Discord guild,
    a Slack workspace, a Telegram group) or a channel in it, by id and name."""

    id: str
    name: str

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "name": self.name}


# The author's IANA time zone ("Europe/Paris") where the platform can tell it, asked only when
# a datetime option needs it; None (or no lookup) is UTC.
ZoneLookup = Callable[[], Awaitable[str | None]]


@dataclass(frozen=True)
class Invocation:
    """Who typed what where: the context a request can draw on."""

    platform: str  # the front end's registered name (gmbot/platforms.py): it namespaces `id`
    author: Person
    server: Place | None = None
    channel: Place | None = None
    mentions: tuple[Person, ...] = ()
    id: str = ""  # the platform's message / interaction id: the idempotency key
    # how long the front end can wait for the backend, in seconds (None: the client's time-out):
    # longer once the platform has been told an answer is coming
    patience: float | None = None
    zone: ZoneLookup | None = None  # the author's time zone, where the platform gives it
    # the person's language as the platform names it (`es-ES`, `pt-br`), when it sends one:
    # the core answers in the nearest shipped catalog (gmbot/chat/i18n.py)
    locale: str | None = None

    def scope(self) -> dict[str, Any]:
        return {
            "server": self.server.to_json() if self.server else None,
            "channel": self.channel.to_json() if self.channel else None,
            "author": self.author.to_json(),
            "mentions": [m.to_json() for m in self.mentions],
        }

    def idempotency_key(self) -> str | None:
        return f"{self.platform}-{self.id}" if self.id else None


@dataclass
class RenderedField:
    """A card field as rendered: plain strings, values marked as data (gmbot/chat/markup.py)."""

    name: str
    value: str
    inline: bool = False


@dataclass
class RenderedConfirm:
    """A button's confirmation as rendered (plain texts), for a platform that asks natively."""

    title: str
    text: str
    yes: str
    no: str


@dataclass
class RenderedButton:
    label: str
    style: str
    index: int  # position in the card's `buttons` (a page button: after them)
    custom_id: str | None = None  # set by the core: what a click calls
    page: int | None = None  # a page button (gmbot/chat/paging.py): PREVIOUS or NEXT
    # a button that asks first: what to ask, and the custom id of the click once confirmed
    # (a platform with a native dialog posts that id; the others post `custom_id`, which
    # prompts, gmbot/chat/confirm.py)
    confirm: RenderedConfirm | None = None
    confirmed_id: str | None = None


@dataclass(frozen=True)
class Picture:
    """An image's bytes from the backend (a card's `image: {operation: ...}`), which the front
    end uploads with the card (gmbot/chat/images.py)."""

    data: bytes
    media_type: str  # "image/png"
    name: str  # a file name for the upload: "getClanRatingChart.png"

    def __repr__(self) -> str:  # a log line names it, never prints its bytes
        return f"Picture({self.name!r}, {self.media_type}, {len(self.data)} bytes)"


@dataclass
class RenderedOption:
    """One option of a select as rendered: plain texts, `value` what choosing it sends."""

    label: str
    value: str
    description: str = ""
    # the core's id of choosing it (the select's id with the value): posted where each option
    # is a button of its own (gmbot/chat/selects.py)
    choice_id: str | None = None


@dataclass
class RenderedSelect:
    """A select menu under a card (gmbot/chat/selects.py): its options, and the custom id a
    choice is routed by (the chosen value comes beside it, or in the option's `choice_id`)."""

    placeholder: str
    index: int  # position in the card's `selects`
    options: list[RenderedOption] = field(default_factory=list)
    custom_id: str | None = None
    confirm: RenderedConfirm | None = None  # as a button's: asked before the choice goes through
    confirmed_id: str | None = None


@dataclass
class RenderedCard:
    """A card of the spec rendered for one platform's front end, before its converter
    turns it into that platform's message."""

    title: str = ""
    description: str = ""
    color: int | None = None
    url: str | None = None
    image: str | None = None  # an http(s) URL (the renderer drops anything else)
    thumbnail: str | None = None
    fields: list[RenderedField] = field(default_factory=list)
    footer: str = ""
    buttons: list[RenderedButton] = field(default_factory=list)
    selects: list[RenderedSelect] = field(default_factory=list)  # plain texts, as button labels
    # pictures from the backend, by the part they are ("image", "thumbnail"): the requests the
    # core fetches (`wanted`), then their bytes (`pictures`); a front end uploads these
    wanted: dict[str, Any] = field(default_factory=dict)  # part -> gmbot.chat.request.HttpRequest
    pictures: dict[str, Picture] = field(default_factory=dict)

    def map(self, change: Callable[[str, str], str]) -> RenderedCard:
        """A copy with `change(part, text)` applied to each text part (a name of PARTS)."""
        return dataclasses.replace(
            self,
            title=change("title", self.title),
            description=change("description", self.description),
            footer=change("footer", self.footer),
            fields=[dataclasses.replace(f, name=change("field_name", f.name), value=change("field_value", f.value))
                    for f in self.fields],
            buttons=[dataclasses.replace(b, label=change("button_label", b.label)) for b in self.buttons],
        )


@dataclass
class RenderedInput:
    """A form's field as rendered (gmbot/chat/forms.py): what a platform's input shows and takes."""

    name: str  # the field's name: what a submit's values are keyed by
    label: str  # its description, in the reader's language
    long: bool = False  # a paragraph
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    placeholder: str | None = None
    value: str | None = None  # filled in already (a flag given with the command, a default)
    suggested: bool = False  # has `autocomplete:`: a platform whose form can search offers its suggestions


@dataclass
class RenderedForm:
    """A form to show: its id says what a submit runs (gmbot/chat/forms.py)."""

    id: str
    title: str
    submit: str
    inputs: list[RenderedInput] = field(default_factory=list)


@dataclass
class Outcome:
    """What a command or a click came to: always a card to show, and what kind of answer it is."""

    card: RenderedCard
    # "reply", "problem", "usage", "unavailable", "help", "confirm" (a prompt with Confirm / Cancel),
    # "form" (a form to show: `form`; `card` is a prompt opening it where it cannot be shown at
    # once), "invalid" (a submitted form refused: `errors` by field; `card` says the same)
    kind: str
    status: int | None = None
    request_id: str | None = None
    body: Any = None
    command: str | None = None
    # the card replaces the message whose button was clicked (a page button's reply, the
    # answer to a confirmation prompt): front ends edit that message in place
    replaces: bool = False
    only_author: bool = False  # a reply card marked `private: true` in the spec
    form: RenderedForm | None = None  # kind "form"
    errors: dict[str, str] = field(default_factory=dict)  # kind "invalid": field name -> why

    @property
    def private(self) -> bool:
        """Only the one who asked needs to see it (a mistake, a refusal, an outage, a
        confirmation prompt, a reply the spec marks `private`), where the platform can show a
        message to one person."""
        return self.only_author or self.kind != "reply"
