"""Forms (spec `form:` on a command or a button): fields asked before the operation is called.

A form's fields are options (every check an option has) whose values reach the request as
`$<field>`. What the core hands a front end is an `Outcome` of kind "form" holding a
`RenderedForm`: a platform with forms shows it as its own (Discord's and Slack's modals);
one without asks the fields one at a time (Telegram, the playground: `Steps`). The form's id
says what submitting it runs, as a button's id does (gmbot/chat/core.py), so a submit works
after a restart:

* a command's form: `[S, command, asker id, 0, option values or a pending token]` (only the
  one who ran the command may submit it, as only they may confirm it);
* a spec button's form: the button's own id with `?` after its kind (`e?`): anyone who may
  click the button may fill it in.

Where a form cannot be shown at once (a message, not an interaction, asked for it: a prefix
command on Discord, a mention on Slack), the outcome's card is a prompt with one button,
"Fill in the form" (`[F, ...]`, the command's payload), whose click opens it.

A submitted form is checked field by field (`check_fields`): every wrong field is named, not
only the first. A backend 4xx whose problem names a field (`pointer`: a JSON pointer into the
request body, `/evidence/1`; or `field`; or the validator's `- 'name'` / `query parameter
'name'` in its detail) is the error of the field that filled it (`problem_field`); a problem
naming none is answered as the command's problem card, and the form closes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gmbot.chat.i18n import N_, Words
from gmbot.chat.options import AuthorZone, MentionResolver, UsageError, coerce_value, default_of
from gmbot.chat.request import CONDITION, is_reference
from gmbot.chat.vocabulary import RenderedForm, RenderedInput, ZoneLookup
from gmbot.spec.model import Command, Form, Option, Request

SUBMIT_KIND = "S"  # a command's form, submitted
OPEN_KIND = "F"  # "Fill in the form" under a prompt: opens a command's form
BUTTON_MARK = "?"  # after a spec button's kind: its form, submitted
OPEN_LABEL = N_("Fill in the form")
PROMPT_TEXT = N_("Press the button to fill in the form.")
REFUSED_TITLE = N_("Please correct the form")


@dataclass
class Checked:
    """A submitted form's values, coerced; `errors` by field name when some were refused."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


def widened(command: Command) -> Command:
    """The command as its text form reads it: the form's fields are flags too, optional
    there (a field left out is asked in the form)."""
    if command.form is None:
        return command
    fields = [f.model_copy(update={"required": False}) for f in command.form.fields]
    return command.model_copy(update={"options": [*command.options, *fields]})


def complete(form: Form, values: Mapping[str, Any]) -> bool:
    """Every required field of `form` was given (as a flag): nothing left to ask."""
    return all(values.get(f.name) is not None for f in form.fields if f.required)


def without_fields(form: Form, values: Mapping[str, Any]) -> dict[str, Any]:
    names = {f.name for f in form.fields}
    return {k: v for k, v in values.items() if k not in names}


def inputs(form: Form, label: Any, prefill: Mapping[str, Any] | None = None) -> list[RenderedInput]:
    """The form's fields as inputs; `label(text)` translates a field's description."""
    given = prefill or {}
    return [
        RenderedInput(
            name=f.name, label=label(f.description), long=f.long, required=f.required,
            min_length=f.min_length, max_length=f.max_length, placeholder=f.placeholder,
            value=_text(given.get(f.name)) if given.get(f.name) is not None else _text(f.default),
            suggested=f.autocomplete is not None,
        )
        for f in form.fields
    ]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def message_of(error: UsageError, name: str, gettext: Any) -> str:
    """A field's error without its flag (`-reason must be ...` -> `must be ...`): shown
    under or beside the field, which names it already."""
    said = error.message_in(gettext)
    return re.sub(rf"^-{re.escape(name)}:?\s+", "", said)


async def check_fields(form: Form, source: str, raw: Mapping[str, Any], resolve: MentionResolver,
                       zone: ZoneLookup | None, gettext: Any) -> Checked:
    """Each field's text as its option would be coerced; every refusal, by field."""
    checked = Checked()
    author_zone = AuthorZone(zone)  # asked once, if a datetime field needs it
    for option in form.fields:
        typed = raw.get(option.name)
        text = typed.strip() if isinstance(typed, str) else typed
        try:
            checked.values[option.name] = await check_one(option, source, text, resolve, author_zone)
        except UsageError as error:
            checked.errors[option.name] = message_of(error, option.name, gettext)
    return checked


async def check_one(option: Option, source: str, text: Any, resolve: MentionResolver,
                    zone: AuthorZone | None) -> Any:
    """One field's value (None: left empty, optional); a UsageError says why not."""
    if text is None or text == "":
        if option.required:
            raise UsageError(Words(N_("is required")), command=source, option=option.name)
        return await default_of(option, source, resolve, zone)
    return await coerce_value(option, source, text, resolve, zone)


def problem_field(body: Any, request: Request, names: set[str]) -> str | None:
    """The form field a backend problem blames, or None when it names no field of the form."""
    if not isinstance(body, Mapping):
        return None
    blamed: list[tuple[str, str]] = []  # (location, dotted name or pointer)
    for key in ("pointer", "field"):
        if isinstance(body.get(key), str):
            blamed.append(("body", body[key]))
    for item in body.get("errors") or [] if isinstance(body.get("errors"), list) else []:
        if isinstance(item, Mapping):
            blamed += [("body", item[k]) for k in ("pointer", "field") if isinstance(item.get(k), str)]
    detail = body.get("detail")
    if isinstance(detail, str) and detail.strip():
        found = _WHERE.search(detail.strip().splitlines()[0])
        if found:
            blamed.append((found.group("location") or "body", found.group("name")))
    for location, where in blamed:
        name = _filled_by(request, location, where)
        if name in names:
            return name
    return None


_WHERE = re.compile(r" - (?:(?P<location>path|query|header) parameter )?'(?P<name>[^']*)'$")


def _filled_by(request: Request, location: str, where: str) -> str | None:
    """The `$reference` at `where` in the request (a JSON pointer `/a/0`, or `a.0`), by name."""
    steps = [s for s in re.split(r"[/.]", where.removeprefix("#")) if s]
    value: Any
    if location == "body":
        value = request.body
    else:
        given = {"path": request.path, "query": request.query, "header": request.headers}.get(location, {})
        value = next((v for k, v in given.items() if k.lower() == (steps[0] if steps else "").lower()), None)
        steps = steps[1:]
    for step in steps:
        if isinstance(value, Mapping):
            value = value.get(step)
        elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
            value = value[int(step)]
        else:
            return None
    if isinstance(value, Mapping) and CONDITION in value:
        value = value.get("then")
    if is_reference(value) and "." not in value:
        return value[1:]
    return None


def refused_text(form: Form, errors: Mapping[str, str], label: Any) -> str:
    """The refusals as lines naming each field by its label (for a platform that cannot show
    them under the field)."""
    labels = {f.name: label(f.description) for f in form.fields}
    return "\n".join(f"**{labels.get(name, name)}**: {message}" for name, message in errors.items())


__all__ = ["BUTTON_MARK", "OPEN_KIND", "SUBMIT_KIND", "Checked", "RenderedForm", "check_fields", "complete",
           "inputs", "problem_field", "widened"]
