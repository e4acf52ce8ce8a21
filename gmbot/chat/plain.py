"""Backend problems in plain words for chat users; the developer's text goes to the log.

The backend is chat-neutral: its problem details name operations (`set one up first
(setupClan)`), and its request validation answers in a validator's words (`500 is greater
than the maximum of 100 - 'limit'`). The chat side knows the rest from the spec: which
command calls which operation, and which option filled which parameter or body field.
So it rewords, rather than the backend learning chat words:

* operationIds in a problem's title and detail become the command that calls them
  (`gmbot setup`), for every operation some command calls;
* a 400 from request validation becomes the option's rule (`-limit must be at most 100`),
  or a plain "could not accept" when no option is to blame;
* a 501 (an operation without its implementation) becomes "isn't available yet", any
  other 5xx "something went wrong", and a 401, 405 or 415 (the bot's key or its calls are
  wrong) "the bot is set up wrongly": none shows the developer text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gmbot.chat.i18n import ENGLISH, N_, Catalog
from gmbot.chat.request import CONDITION, is_reference
from gmbot.spec.model import BotSpec, Command

_IDENTIFIER = re.compile(r"\b[a-z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*\b")  # camelCase, as operationIds are
# The first line of a jsonschema message, then Connexion's " - 'path'" (body) or the
# " - query parameter 'name'" gmbot's server adds to parameter errors.
_WHERE = re.compile(r"^(?P<message>.*?)(?: - (?:(?P<location>path|query|header|cookie) parameter )?'(?P<name>[^']*)')?$")
_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"is greater than (?:or equal to )?the maximum of (?P<x>\S+)"), N_("must be at most {x}")),
    (re.compile(r"is less than (?:or equal to )?the minimum of (?P<x>\S+)"), N_("must be at least {x}")),
    (re.compile(r"is too long"), N_("is too long")),
    (re.compile(r"is too short"), N_("is too short")),
    (re.compile(r"is not one of \[(?P<x>.*)\]"), N_("must be one of {x}")),
    (re.compile(r"does not match"), N_("is not in the expected form")),
    (re.compile(r"is not of type '(?P<x>\w+)'"), N_("must be {x}")),
]
# Answers about how the bot calls the backend, not about what the user asked: 401 (API key or
# `client` header), 405 and 415 (method, content type).
_SETUP_PROBLEMS = {401, 405, 415}
_TYPE_WORDS = {"integer": N_("a whole number"), "number": N_("a number"), "boolean": N_("yes or no"), "string": N_("text"),
               "array": N_("a list"), "object": N_("a set of values")}


@dataclass(frozen=True)
class PlainProblem:
    title: str
    description: str


MISCONFIGURED = PlainProblem(N_("Not available"), N_("This can't run right now: the bot is set up wrongly. "
                                                    "Its admins will find the details in its log."))


class Plain:
    def __init__(self, spec: BotSpec) -> None:
        self.spec = spec
        self.commands: dict[str, str] = {}  # operationId -> how a user types the command
        for command in spec.commands:
            self.commands.setdefault(command.operation, self.invocation(command.name))

    def invocation(self, name: str) -> str:
        bot = self.spec.bot
        return f"`{bot.prefix} {name}`" if bot.prefix_commands else f"`/{name}`"

    def words(self, text: str) -> str:
        """`set one up first (setupClan)` -> "set one up first (`gmbot setup`)"."""
        return _IDENTIFIER.sub(lambda m: self.commands.get(m.group(), m.group()), text)

    def reword_body(self, body: Any) -> Any:
        """A problem body with the operationIds of its title and detail as commands."""
        if not isinstance(body, dict):
            return body
        return {k: self.words(v) if k in ("title", "detail") and isinstance(v, str) else v for k, v in body.items()}

    def problem(self, status: int, body: Any, command: Command | None, t: Catalog = ENGLISH) -> PlainProblem | None:
        """The plain card of a problem the user must not see raw (None: show the spec's card),
        in the reader's language (`t`)."""
        name = self.invocation(command.name) if command else t.gettext("This")
        if status == 501:
            return PlainProblem(t.gettext("Not available yet"), t.gettext("{command} isn't available yet.").format(
                command=name))
        if status >= 500:
            return PlainProblem(t.gettext("Something went wrong"),
                                t.gettext("Something went wrong on our side. Please try again later."))
        if status in _SETUP_PROBLEMS:  # the bot's key, or a route the generated table got wrong
            return PlainProblem(t.gettext(MISCONFIGURED.title), t.gettext(MISCONFIGURED.description))
        if status == 400:
            detail = body.get("detail") if isinstance(body, dict) else None
            said = option_rule(str(detail or ""), command, t) if command else None
            return PlainProblem(t.gettext("Not accepted"), said or t.gettext("The service could not accept this request."))
        return None


def option_rule(detail: str, command: Command, t: Catalog = ENGLISH) -> str | None:
    """`500 is greater than the maximum of 100 - query parameter 'limit'` -> `-limit must be at most 100`."""
    first = detail.strip().splitlines()[0] if detail.strip() else ""
    match = _WHERE.match(first)
    if match is None or match.group("name") is None:
        return None
    option = filled_by(command, match.group("location") or "body", match.group("name"))
    if option is None:
        return None
    for pattern, words in _RULES:
        found = pattern.search(match.group("message"))
        if found:
            values = {k: t.gettext(_TYPE_WORDS.get(v, v)).replace("'", "") for k, v in found.groupdict().items()}
            return f"-{option} " + t.gettext(words).format(**values)
    return None


def filled_by(command: Command, location: str, name: str) -> str | None:
    """The option whose value the request puts at `location` (`body`, `query`...) `name`
    (`a.b` for a body field inside another), or None when no option fills it."""
    request = command.request
    if location == "body":
        value: Any = request.body
        for part in name.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    else:
        given: Mapping[str, Any] = {"path": request.path, "query": request.query, "header": request.headers}.get(
            location, {})
        value = next((v for k, v in given.items() if k.lower() == name.lower()), None)
    if isinstance(value, Mapping) and CONDITION in value:
        value = value.get("then")
    if is_reference(value) and "." not in value:
        option = value[1:]
        return option if any(o.name == option for o in command.options) else None
    return None
