"""Checks of `form:` on a command or a button (gmbot/chat/forms.py).

A form's fields are options: each gets every check an option has (check_option), and fills
the request as `$<field>`. On top: what a form can ask (text typed into an input: not
members; suggestions as an option's, check_autocomplete), `long` only on a string field, names distinct from the command's
options, no `confirm:` beside it (a form is asked before anything runs already), a title that
reads only what is there when it opens, and every platform's own form limits (a platform
without forms asks the fields one at a time, which has none).
"""

from __future__ import annotations

from typing import Any

import jinja2

from generator.check_confirm import CARRIED_HEADS, carried
from generator.check_paging import PagingChecks
from generator.errors import Path
from generator.targets import targets
from generator.template_scan import analyse

# names a request already reads from the chat or the card: a field of that name could not be read
TAKEN = frozenset({"server", "channel", "author", "mentions", "event", "data", "reply", "options", "typed"})
NOT_IN_FORMS = {"user": "a member", "users": "members"}  # typed as mentions, which a form's input cannot hold


class FormChecks(PagingChecks):
    def check_option(self, name: str, option: dict[str, Any], path: Path) -> int:
        """generator/checks.py: every check of an option; its registered characters"""
        return 0

    def option_kind(self, option: dict[str, Any]) -> dict[str, Any]:
        """generator/checks.py"""
        return {"kind": None}

    def check_form(self, form: Any, path: Path, options: dict[str, Any], request: dict[str, Any] | None,
                   confirm: Any) -> dict[str, dict[str, Any]]:
        """The fields of `form` as request kinds (for check_request), after checking it.
        `request`: a button's (what its title can read), or None for a command's form."""
        if not isinstance(form, dict):
            return {}
        fields: dict[str, Any] = form.get("fields") or {}
        if confirm is not None:
            self.error((*path[:-1], "confirm"), "a form is asked before anything runs already: leave out confirm "
                                                "(or the form)")
        self.check_form_title(form.get("title"), (*path, "title"), options, request)
        for target in targets():
            limits = target.form_limits
            if limits is None:
                continue
            if len(fields) > limits.fields:
                self.error((*path, "fields"), f"{len(fields)} fields: {target.title} shows at most {limits.fields} "
                                              f"in a form")
            title = form.get("title")
            if isinstance(title, str):
                fixed = analyse(title)[0] if "{" in title and _parses(title) else len(title)
                if fixed > limits.title:
                    self.error((*path, "title"), f"{fixed} characters of fixed text: a form's title on "
                                                 f"{target.title} holds {limits.title}")
            submit = form.get("submit")
            if isinstance(submit, str) and limits.submit is not None and len(submit) > limits.submit:
                self.error((*path, "submit"), f"{len(submit)} characters: {target.title} allows {limits.submit} "
                                              f"on a form's button")
            for name, field in fields.items():
                fpath = (*path, "fields", name)
                label = str(field.get("description", ""))
                if len(label) > limits.label:
                    self.error((*fpath, "description"), f"description is {len(label)} characters: it is the field's "
                                                        f"label in a form, which {target.title} allows {limits.label}")
                hint = field.get("placeholder")
                if isinstance(hint, str) and len(hint) > limits.placeholder:
                    self.error((*fpath, "placeholder"), f"{len(hint)} characters: {target.title} allows "
                                                        f"{limits.placeholder} in a form's input")
                most = field.get("max_length")
                if isinstance(most, int) and most > limits.value:
                    self.error((*fpath, "max_length"), f"max_length {most}: a form's input on {target.title} takes "
                                                       f"at most {limits.value} characters")
        kinds: dict[str, dict[str, Any]] = {}
        for name, field in fields.items():
            fpath = (*path, "fields", name)
            if name in TAKEN:
                self.error(fpath, f"'{name}' is what ${name} reads already: give the field another name")
            elif name in options:
                self.error(fpath, f"'{name}' is an option of the command already: a field is asked in the form "
                                  f"instead, so give it another name (or drop the option)")
            self.check_option(name, field, fpath)
            kind = field.get("type")
            if kind in NOT_IN_FORMS:
                self.error((*fpath, "type"), f"a form cannot ask for {NOT_IN_FORMS[kind]} (mentions are typed in a "
                                             f"message): make it an option of the command")
            if isinstance(field.get("autocomplete"), dict):  # Slack's external_select; a "did you mean" elsewhere
                self.check_autocomplete(field, (*fpath, "autocomplete"))
            if field.get("long") and kind != "string":
                self.error((*fpath, "long"), "'long' is only for string fields")
            kinds[name] = {**self.option_kind(field), "option": field, "path": fpath,
                           "optional": not field.get("required") and field.get("default") is None}
        return kinds

    def check_form_title(self, title: Any, path: Path, options: dict[str, Any], request: dict[str, Any] | None) -> None:
        """A command's form title reads its `options` and `ctx`; a button's, `ctx` and what its
        request carries from the card (the click carries nothing else)."""
        if not isinstance(title, str):
            return
        if request is None:
            self.card_options = list(options)
            self.check_template(title, path, {"options", "ctx"}, None, None, None)
            return
        self.check_template(title, path, {"ctx", *CARRIED_HEADS}, None, None, None)
        if "{" not in title or not _parses(title):
            return
        allowed = carried(request)
        chains = analyse(title)[2]
        for chain in sorted(c for c in chains if not any(o != c and o[:len(c)] == c for o in chains)):
            if chain[0] in CARRIED_HEADS and not any(chain == a[:len(chain)] for a in allowed):
                reads = ", ".join(".".join(a) for a in sorted(allowed)) or "nothing of the card"
                self.error(path, f"{'.'.join(chain)}: a button's form title reads only what its request carries "
                                 f"({reads}) and ctx")

    def form_kinds(self, button: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
        return self.check_form(button.get("form"), (*path, "form"), {}, button.get("request") or {},
                               button.get("confirm"))


def _parses(source: str) -> bool:
    try:
        analyse(source)
    except jinja2.TemplateSyntaxError:
        return False  # said by check_template
    return True
