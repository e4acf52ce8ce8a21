"""Text as it comes from Slack, into what the chat core reads.

Slack's message text is markup: `<...>` are control sequences (`<@U123>` a mention,
`<!here>`, `<#C1|wars>`, `<https://x|label>`), and a literal `&`, `<` or `>` that a
person typed arrives as `&amp;`, `&lt;`, `&gt;` (Slack encodes only these three). So
"Tom & Jerry <3" arrives as `Tom &amp; Jerry &lt;3`. `command_text` decodes the
entities outside control sequences and says which tokens were real mentions: a person
typing the characters `<@U123>` (sent as `&lt;@U123&gt;`) wrote text, not a mention.

Names (a user's display name, a channel, a workspace domain) go to the backend as
`{id, name}` references, whose `name` the API allows up to `NAME_MAX` characters
(openapi.yaml, `UserRef.name` and its siblings; tests/slack/test_text.py checks the
two agree); a longer Slack name is cut where it enters, not refused by the backend.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME_MAX = 100  # openapi.yaml: maxLength of UserRef/ServerRef/ChannelRef/PlayerInput `name`
ELLIPSIS = "…"

_CONTROL = re.compile(r"<[^<>]*>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_USER_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")


def decode_entities(text: str) -> str:
    """`&amp;` `&lt;` `&gt;` -> `&` `<` `>`, in one pass (`&amp;lt;` is the text `&lt;`)."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


@dataclass(frozen=True)
class CommandText:
    text: str  # entities decoded outside control sequences, which are kept as Slack sent them
    mentions: frozenset[str]  # the user mention tokens Slack sent, as written in `text`


def command_text(raw: str) -> CommandText:
    pieces: list[str] = []
    mentions: set[str] = set()
    at = 0
    for control in _CONTROL.finditer(raw):
        pieces.append(decode_entities(raw[at:control.start()]))
        pieces.append(control.group())
        if _USER_MENTION.fullmatch(control.group()):
            mentions.add(control.group())
        at = control.end()
    pieces.append(decode_entities(raw[at:]))
    return CommandText("".join(pieces), frozenset(mentions))


def fit_name(name: str, fallback: str) -> str:
    """A name the API accepts: no NUL, not blank (`fallback`, an id, instead), at most
    NAME_MAX characters (cut, with an ellipsis to show it was)."""
    name = name.replace("\x00", "").strip()
    if not name:
        name = fallback
    if len(name) > NAME_MAX:
        name = name[:NAME_MAX - len(ELLIPSIS)].rstrip() + ELLIPSIS
    return name
