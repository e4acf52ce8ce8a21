"""Command references in cards: `{{ command('accept', war=reply.id) }}` names a command with
options, and each platform writes it in its own syntax (`Platform.write_command`):

    Discord   /accept war:zyo8          Slack     /gmbot accept -war zyo8
    Telegram  /accept -war zyo8         playground gmbot accept -war zyo8

The template global writes a marker, `⟨cmd <base64 of [name, [[option, value], ...]]>⟩`, the
author's markup (`Trusted`) like the `time` filter's; the renderer, which knows the card's
platform, writes it (`write_commands`). The option values are data: a writer marks them
(`markup.data`), so each platform's escaping applies to them as to any value. A value that
is missing (`reply.x` the reply does not have) leaves its option out.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any

from jinja2 import Undefined

from gmbot.chat.markup import Trusted, data, on_literal

MARK = re.compile(r"⟨cmd ([A-Za-z0-9_=-]+)⟩")
Args = list[tuple[str, str]]
# (prefix, command name, [(option, value), ...]) -> the platform's text, values marked as data
CommandWriter = Callable[[str, str, Args], str]


def command(name: str, /, **options: Any) -> str:
    """The card global: a reference to the command `name` with these options."""
    given = [[key, _text(value)] for key, value in options.items()
             if value is not None and not isinstance(value, Undefined)]
    payload = json.dumps([str(name), given], separators=(",", ":"), ensure_ascii=False)
    return Trusted(f"⟨cmd {base64.urlsafe_b64encode(payload.encode()).decode()}⟩")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def flags(args: Args) -> str:
    """`-war zyo8 -players @...`: the prefix syntax's flags, values marked as data."""
    return "".join(f" -{key} {data(value)}" for key, value in args)


def write_plain(prefix: str, name: str, args: Args) -> str:
    """The prefix syntax (`gmbot accept -war zyo8`): the playground, and where no platform is."""
    return f"{prefix} {name}{flags(args)}"


def write_commands(text: str, prefix: str, write: CommandWriter) -> str:
    """The command markers of the author's text written by `write`; data is left as it is."""
    if "⟨cmd " not in text:
        return text

    def one(match: re.Match[str]) -> str:
        try:
            name, args = json.loads(base64.urlsafe_b64decode(match.group(1)))
            return write(prefix, str(name), [(str(k), str(v)) for k, v in args])
        except (ValueError, TypeError):
            return ""

    return on_literal(text, lambda literal: MARK.sub(one, literal))
