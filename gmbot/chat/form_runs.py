"""The core's side of forms (gmbot/chat/forms.py): opening one, checking a field, a submit.

Functions over the `Core` rather than more of its methods, so the core only routes to them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gmbot.chat import confirm, forms
from gmbot.chat.i18n import SOURCE, Catalog
from gmbot.chat.markup import data
from gmbot.chat.options import MentionResolver, UsageError
from gmbot.chat.vocabulary import Invocation, Outcome, RenderedButton, RenderedCard, RenderedForm
from gmbot.spec.model import Button, Command, Form, Request

if TYPE_CHECKING:
    from gmbot.chat.core import Core

log = logging.getLogger("gmbot.chat.forms")


@dataclass
class Found:
    """What a form id points at: the form, and the command or the button it runs."""

    form: Form
    source: str  # the command's name, or the button's card
    request: Request
    command: Command | None = None
    asker: str = ""
    values: Any = None  # the command's option values (a list, or a pending token)
    button: Button | None = None
    fixed: dict[str, Any] | None = None  # what the button's id carries


def _payload(custom_id: str, prefix: str) -> list[Any] | None:
    try:
        payload = json.loads(custom_id[len(prefix):])
    except ValueError:
        return None
    return payload if isinstance(payload, list) and len(payload) == 5 else None


def find(core: Core, form_id: str) -> Found | None:
    from gmbot.chat.core import BUTTON_PREFIX

    payload = _payload(form_id, BUTTON_PREFIX)
    if payload is None:
        return None
    kind = str(payload[0])
    if kind in (forms.SUBMIT_KIND, forms.OPEN_KIND):
        command = core.spec.command(str(payload[1]))
        if command is None or command.form is None:
            return None
        return Found(command.form, command.name, command.request, command=command, asker=str(payload[2]),
                     values=payload[4])
    found = core.find_button(BUTTON_PREFIX + json.dumps([kind.removesuffix(forms.BUTTON_MARK), *payload[1:]],
                                                        separators=(",", ":"), ensure_ascii=False))
    if found is None or found[0].form is None:
        return None
    button, fixed = found
    assert button.form is not None
    return Found(button.form, f"a button of {payload[1]}", button.request, button=button, fixed=fixed)


def _title(core: Core, found: Found, scope: Mapping[str, Any], t: Catalog) -> str:
    renderer = core.renderer
    renderer.locale = t.locale if t.locale in renderer.locales.catalogs else SOURCE  # the reader's, not the last card's
    return renderer.plain(found.form.title, scope) or found.form.title


def _form(core: Core, found: Found, form_id: str, scope: Mapping[str, Any], t: Catalog,
          prefill: Mapping[str, Any] | None = None) -> RenderedForm:
    submit = t.gettext(found.form.submit)
    return RenderedForm(form_id, _title(core, found, scope, t), submit, forms.inputs(found.form, t.gettext, prefill))


def open_command(core: Core, command: Command, options: Mapping[str, Any], inv: Invocation) -> Outcome:
    """A command's form: to show at once (an interaction can), or behind the prompt's button."""
    from gmbot.chat.core import BUTTON_PREFIX

    assert command.form is not None
    t = core.words(inv)
    values: Any = confirm.option_values(command, forms.without_fields(command.form, options))
    payload = [forms.SUBMIT_KIND, command.name, inv.author.id, 0, values]
    if not core.fits(BUTTON_PREFIX + json.dumps([forms.OPEN_KIND, *payload[1:]], separators=(",", ":"),
                                                ensure_ascii=False)):
        payload[4] = core.pending.keep(values)  # too long for the platform's ids: kept here a while
    form_id = BUTTON_PREFIX + json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    found = Found(command.form, command.name, command.request, command=command)
    scope = {"options": dict(options), "ctx": inv.scope()}
    form = _form(core, found, form_id, scope, t, options)
    opener = BUTTON_PREFIX + json.dumps([forms.OPEN_KIND, *payload[1:]], separators=(",", ":"), ensure_ascii=False)
    return Outcome(_prompt(core, form, t, opener), "form", command=command.name, form=form)


def _prompt(core: Core, form: RenderedForm, t: Catalog, opener: str | None) -> RenderedCard:
    """What is posted where the form cannot be shown at once: its title, and the button that
    opens it (a command's; a spec button's form opens from that button again)."""
    card = core.notice(form.title, t.gettext(forms.PROMPT_TEXT), "info")
    if opener is not None:
        card.buttons = [RenderedButton(t.gettext(forms.OPEN_LABEL), "primary", 0, opener)]
    return card


async def open_by_id(core: Core, custom_id: str, inv: Invocation) -> Outcome:
    """A click that opens a form: "Fill in the form" under a prompt, or a spec button with one."""
    from gmbot.chat.core import BUTTON_PREFIX

    t = core.words(inv)
    found = find(core, custom_id)
    payload = _payload(custom_id, BUTTON_PREFIX)
    if found is None or payload is None:
        return core.gone(t)
    if found.command is not None:
        if found.asker != inv.author.id:
            return _not_yours(core, found, t)
        options = await _options(core, found)
        if options is None:
            return _expired(core, found, t)
        form_id = BUTTON_PREFIX + json.dumps([forms.SUBMIT_KIND, *payload[1:]], separators=(",", ":"),
                                             ensure_ascii=False)
        scope = {"options": options, "ctx": inv.scope()}
        form = _form(core, found, form_id, scope, t)
        return Outcome(_prompt(core, form, t, custom_id), "form", command=found.command.name, form=form)
    kind = str(payload[0]).removesuffix(forms.BUTTON_MARK)
    form_id = BUTTON_PREFIX + json.dumps([f"{kind}{forms.BUTTON_MARK}", *payload[1:]], separators=(",", ":"),
                                         ensure_ascii=False)
    if not core.fits(form_id):
        log.error("the form of %s does not fit in an id (%d characters)", found.source, len(form_id))
        return Outcome(core.misconfigured(t), "problem")
    fixed = found.fixed or {}
    event = fixed.get("event")
    scope = {"data": (event.get("data") if isinstance(event, dict) else None) or {}, **fixed, "ctx": inv.scope()}
    form = _form(core, found, form_id, scope, t)
    return Outcome(_prompt(core, form, t, None), "form", form=form)


async def _options(core: Core, found: Found) -> dict[str, Any] | None:
    assert found.command is not None
    values = found.values
    if isinstance(values, str):
        values = core.pending.peek(values)
    if not isinstance(values, list):
        return None
    return confirm.options_from(found.command, values, await core.defaults(found.command))


def _not_yours(core: Core, found: Found, t: Catalog) -> Outcome:
    return Outcome(core.notice(t.gettext("Not yours to fill in"), t.gettext(
        "Only the one who ran `{prefix} {command}` can fill in its form.").format(
        prefix=core.spec.bot.prefix, command=found.source), "error"), "usage")


def _expired(core: Core, found: Found, t: Catalog) -> Outcome:
    return Outcome(core.notice(t.gettext("This form has expired"), t.gettext("Run `{prefix} {command}` again.").format(
        prefix=core.spec.bot.prefix, command=found.source), "error"), "usage")


async def check_field(core: Core, form_id: str, name: str, text: str, inv: Invocation,
                      resolve: MentionResolver) -> str | None:
    """Why one field's text is refused (None: it is fine), for a form asked a field at a time."""
    found = find(core, form_id)
    option = next((f for f in found.form.fields if f.name == name), None) if found else None
    if found is None or option is None:
        return None
    try:
        await forms.check_one(option, found.source, text.strip(), resolve, None)
    except UsageError as error:
        t = core.words(inv)
        return await _did_you_mean(core, found, name, text, forms.message_of(error, name, t.gettext), inv, t)
    return None


async def suggestions(core: Core, form_id: str, name: str, typed: str, inv: Invocation) -> list[tuple[str, str]]:
    """(label, value) suggestions for field `name` of the form `form_id` as `typed` so far (a
    platform whose form can search, as Slack's external_select does); none for a field without."""
    found = find(core, form_id)
    option = next((f for f in found.form.fields if f.name == name), None) if found else None
    if found is None or option is None:
        return []
    return await core.suggest(option, found.source, typed, inv)


async def _did_you_mean(core: Core, found: Found, name: str, typed: Any, why: str, inv: Invocation,
                        t: Catalog) -> str:
    """A refused field's reason, followed by the nearest suggestions to what was typed when the
    field has some (a form without a search of its own: Discord's modal, questions)."""
    from gmbot.chat.core import DID_YOU_MEAN_MAX

    option = next((f for f in found.form.fields if f.name == name), None)
    if option is None or option.autocomplete is None or not isinstance(typed, str) or not typed.strip():
        return why
    found_ = await core.suggest(option, found.source, typed.strip(), inv)
    if not found_:
        return why
    shown = ", ".join(f"{value}: {label}" for label, value in found_[:DID_YOU_MEAN_MAX])
    return f"{why}\n{t.gettext('Did you mean')}: {shown}"


async def submit(core: Core, form_id: str, raw: Mapping[str, Any], inv: Invocation,
                 resolve: MentionResolver) -> Outcome:
    """A filled-in form: its fields checked (all refusals together), then its command or button
    run with them; a 4xx problem blaming a field is that field's refusal."""
    t = core.words(inv)
    found = find(core, form_id)
    if found is None:
        return core.gone(t)
    if found.command is not None and found.asker != inv.author.id:
        return _not_yours(core, found, t)
    checked = await forms.check_fields(found.form, found.source, raw, resolve, inv.zone, t.gettext)
    if checked.errors:
        errors = {name: await _did_you_mean(core, found, name, raw.get(name), why, inv, t)
                  for name, why in checked.errors.items()}
        return refused(core, found.form, errors, t)
    if found.command is not None:
        options = await _options(core, found)
        if options is None:
            return _expired(core, found, t)
        outcome = await core.execute(found.command, {**options, **checked.values}, inv)
    else:
        assert found.button is not None
        outcome = await core.press(found.button, found.fixed or {}, inv, checked.values)
    if outcome.kind == "problem" and outcome.status is not None and 400 <= outcome.status < 500:
        blamed = forms.problem_field(outcome.body, found.request, {f.name for f in found.form.fields})
        if blamed is not None:
            body = outcome.body if isinstance(outcome.body, dict) else {}
            why = str(body.get("detail") or body.get("title") or outcome.card.title)
            return refused(core, found.form, {blamed: why}, t, outcome)
    if found.command is not None and isinstance(found.values, str) and outcome.kind == "reply":
        core.pending.take(found.values)  # done: its options are no longer needed
    return outcome


def refused(core: Core, form: Form, errors: Mapping[str, str], t: Catalog, problem: Outcome | None = None) -> Outcome:
    """A form refused: each field's reason (a platform shows them under the fields, or this card)."""
    text = forms.refused_text(form, {name: data(why) for name, why in errors.items()}, t.gettext)
    card = core.notice(t.gettext(forms.REFUSED_TITLE), text, "error")
    outcome = Outcome(card, "invalid", errors=dict(errors))
    if problem is not None:
        outcome.status, outcome.request_id, outcome.body = problem.status, problem.request_id, problem.body
    return outcome
