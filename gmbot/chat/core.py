"""The platform-neutral pipeline every front end shares (Discord, Slack, the playground).

1. coerce raw options (prefix strings or slash values) per spec type;
2. build the HTTP request from the command's `request:` mapping and the context;
3. call the backend;
4. choose the card by status and render it, in the reader's language (gmbot/chat/i18n.py):
   the person's locale when the platform sends one, else their clan's, else English; an
   event card in its clan's language.
Nothing here raises to the caller for a user mistake or a backend failure: the
outcome is always a card.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from gmbot.chat import confirm, form_runs, forms, paging, selects
from gmbot.chat.backend import BackendClient, BackendReply, BackendUnavailable
from gmbot.chat.cards import CardRenderer
from gmbot.chat.help import help_card, suggest, usage
from gmbot.chat.i18n import ENGLISH, N_, Catalog, Locales, Words
from gmbot.chat.images import Pictures
from gmbot.chat.markup import data
from gmbot.chat.options import (
    MentionResolver,
    NotAMention,
    UsageError,
    coerce_options,
    coerce_value,
    default_of,
    split_flags,
)
from gmbot.chat.plain import MISCONFIGURED, Plain
from gmbot.chat.request import (
    HttpRequest,
    MisconfiguredSpec,
    build_request,
    lookup,
    request_references,
)
from gmbot.chat.vocabulary import (
    Invocation,
    Outcome,
    Person,
    RenderedCard,
    RenderedField,
    ZoneLookup,
)
from gmbot.platforms import PlatformError
from gmbot.platforms import platform as registered
from gmbot.spec.model import BotSpec, Button, Card, Command, Confirm, Option, OptionType

log = logging.getLogger("gmbot.chat.core")
T = TypeVar("T")

STATIC_HEADS = ("event", "data", "reply", "options")  # button references fixed when the card is posted
BUTTON_PREFIX = "gm:"
CUSTOM_ID_MAX = 100
SUGGESTIONS_MAX = 25  # Discord shows at most 25 autocomplete choices
SUGGESTION_TEXT_MAX = 100  # characters of a choice's name and value (Discord)
SUGGEST_PATIENCE = 2.0  # seconds: an autocomplete answer must reach Discord within 3
DID_YOU_MEAN_MAX = 5
SUGGESTIONS_TTL = 10.0  # seconds an autocomplete reply is reused for the very same request


async def _no_members(token: str) -> Person | None:
    raise NotAMention(token)


# Told of every finished entry point: (outcome, "run" | "run_prefix" | "click"). Metrics hang here.
OutcomeObserver = Callable[[Outcome, str], None]


class Core:
    def __init__(self, spec: BotSpec, backend: BackendClient, platform: str,
                 locales: Locales | None = None) -> None:
        self.spec = spec
        self.backend = backend
        self.observers: list[OutcomeObserver] = []
        self.plain = Plain(spec)
        self.platform = platform  # the front end's: whose card overrides its cards use
        self.languages: dict[str, str] = {}  # server id -> its clan's language, as last seen
        self.localize(locales or Locales())
        try:  # whether a button id can be posted there (Telegram's callback data is shorter)
            self.fits = registered(platform).button_fits
        except PlatformError:
            self.fits = fits_anywhere
        self.pending = confirm.Pending()  # a confirmed command's options too long for a button id
        self.suggested: Expiring[BackendReply] = Expiring(SUGGESTIONS_TTL)  # autocomplete replies, by request
        self.pictures = Pictures.for_platform(backend, platform)  # a card's pictures from the backend

    def localize(self, locales: Locales) -> None:
        """Speak the languages of these catalogs (English only until called)."""
        self.locales = locales
        self.renderer = CardRenderer(self.spec.bot, locales)
        self.local_commands = locales.command_names(c.name for c in self.spec.commands)

    # -- which language ------------------------------------------------------------------
    def locale(self, inv: Invocation) -> str:
        """A reply's language: the person's locale where the platform gives it, else their clan's."""
        return self.reader_locale(inv.locale, inv.server.id if inv.server else None)

    def reader_locale(self, person: str | None, server_id: str | None) -> str:
        """The same choice before an invocation exists (a notice refusing work): a person's tag, a clan's id."""
        clan = self.languages.get(server_id) if server_id else None
        return self.locales.choose(person, clan)

    def learn_language(self, server_id: Any, language: Any) -> None:
        if isinstance(server_id, str) and isinstance(language, str) and language:
            self.languages[server_id] = language

    def words(self, inv: Invocation) -> Catalog:
        return self.locales.catalog(self.locale(inv))

    def reader_words(self, person: str | None, server_id: str | None) -> Catalog:
        return self.locales.catalog(self.reader_locale(person, server_id))

    # -- 1. which command, which options -------------------------------------------------
    def command(self, name: str) -> Command:
        command = self.spec.command(name.lower()) or self.spec.command(self.local_commands.get(name.lower(), ""))
        if command is None:
            hint = suggest(self.spec, name)
            raise UsageError(
                (Words(N_("unknown command '{name}'"), {"name": name}),
                 *((Words(N_(": did you mean `{prefix} {command}`?"), {"prefix": self.spec.bot.prefix, "command": hint}),)
                   if hint else ())),
                suggestion=hint,
            )
        return command

    async def prepare(
        self, name: str, raw: Mapping[str, Any], resolve: MentionResolver = _no_members,
        zone: ZoneLookup | None = None,
    ) -> tuple[Command, dict[str, Any]]:
        command = self.command(name)
        return command, await coerce_options(command, raw, resolve, zone)

    async def prepare_prefix(
        self, name: str, args: str, resolve: MentionResolver = _no_members, zone: ZoneLookup | None = None,
    ) -> tuple[Command, dict[str, Any]]:
        command = self.command(name)
        typed = forms.widened(command)  # a form's fields are flags too
        local_flags = self.locales.option_names(o.name for o in typed.options)  # `-jugadores` is `-players`
        return command, await coerce_options(typed, split_flags(typed, args, local_flags), resolve, zone)

    # -- 2. the request ------------------------------------------------------------------
    def build(self, command: Command, options: Mapping[str, Any], inv: Invocation) -> HttpRequest:
        if inv.server is None and any(ref.split(".")[0] == "server" for ref in request_references(command.request)):
            raise UsageError(Words(N_("`{command}` works only in a server (a clan)"), {"command": command.name}),
                             command=command.name)
        scope = {**inv.scope(), **options}
        return build_request(command.operation, self.backend.route(command.operation), command.request, scope)

    # -- 3 and 4. call, choose the card, render ------------------------------------------
    async def execute(self, command: Command, options: Mapping[str, Any], inv: Invocation) -> Outcome:
        try:
            request = self.build(command, options, inv)
        except UsageError as error:
            return self.usage_outcome(error, self.words(inv))
        except MisconfiguredSpec as error:
            log.error("spec error in %s: %s", command.name, error)
            return Outcome(self.misconfigured(self.words(inv)), "problem", command=command.name)
        scope = {"options": dict(options), "ctx": inv.scope()}
        outcome = await self._call(request, inv, command.replies, scope, "c", command.name, command)
        outcome.command = command.name
        return outcome

    async def _call(
        self,
        request: HttpRequest,
        inv: Invocation,
        replies: Mapping[str, Card],
        scope: dict[str, Any],
        kind: str,
        source: str,
        command: Command | None = None,
    ) -> Outcome:
        t = self.words(inv)
        try:
            reply = await self.backend.call(request, idempotency_key=inv.idempotency_key(), read_timeout=inv.patience)
        except BackendUnavailable as error:
            if error.reason == "timeout":
                waited = inv.patience if inv.patience is not None else self.backend.timeout
                return Outcome(self.late_card(waited, error.request_id, t), "unavailable", request_id=error.request_id)
            return Outcome(self.unavailable_card(error.request_id, t), "unavailable", request_id=error.request_id)
        if reply.ok and isinstance(reply.body, dict) and "language" in reply.body:  # a clan: its language
            self.learn_language(reply.body.get("serverId"), reply.body.get("language"))
            t = self.words(inv)
        if not reply.ok:
            plain = self.plain_outcome(reply, replies, source, command, t)
            if plain is not None:
                return plain
            reply = dataclasses.replace(reply, body=self.plain.reword_body(reply.body))  # operationIds -> commands
        card = self.choose_card(reply, replies)
        scope = {**scope, "reply": reply.body if reply.body is not None else {}}
        if card is None:
            rendered = self.fallback_card(reply, t)
        else:
            rendered = self.renderer.render(card, scope, inv.platform, t.locale)
            if reply.ok:
                bind_buttons(rendered, card.buttons, scope, kind, source, str(reply.status))
                if card.paging is not None and command is not None:
                    paging.add_buttons(rendered, card.paging, command, str(reply.status), scope.get("options") or {},
                                       scope, self.renderer, BUTTON_PREFIX, CUSTOM_ID_MAX)
                if card.selects and kind in selects.KINDS:
                    selects.add_selects(rendered, card.selects, scope, self.renderer, selects.KINDS[kind], source,
                                        str(reply.status), BUTTON_PREFIX, CUSTOM_ID_MAX, self.fits)
            await self.pictures.attach(rendered, card, {**inv.scope(), "reply": scope["reply"]}, inv.platform)
        if not (rendered.title or rendered.description or rendered.fields):
            rendered.title = t.gettext("Done.") if reply.ok else t.gettext("Error {status}").format(status=reply.status)
        return Outcome(rendered, "reply" if reply.ok else "problem", reply.status, reply.request_id, reply.body,
                       only_author=card is not None and card.private)

    def plain_outcome(self, reply: BackendReply, replies: Mapping[str, Card], source: str,
                      command: Command | None, t: Catalog) -> Outcome | None:
        """A 501, 5xx or request-validation 400 in plain words, unless the spec has a card for
        that very status: the developer's text (the function to write, the validator's message)
        goes to the log, with the request id the card shows."""
        if str(reply.status) in replies:
            return None
        plain = self.plain.problem(reply.status, reply.body, command, t)
        if plain is None:
            return None
        log.warning("%s: HTTP %s (request id %s): %s", source, reply.status, reply.request_id, reply.body)
        card = self.notice(plain.title, plain.description, "error")
        card.footer = t.gettext("request id {id}").format(id=data(reply.request_id))
        return Outcome(card, "problem", reply.status, reply.request_id, reply.body)

    def choose_card(self, reply: BackendReply, replies: Mapping[str, Card]) -> Card | None:
        if reply.malformed or (reply.ok and reply.body is not None and not isinstance(reply.body, dict | list)):
            return None
        card = replies.get(str(reply.status))
        if card is not None:
            return card
        if reply.ok:
            return next((c for s, c in replies.items() if s.startswith("2")), None)
        if not isinstance(reply.body, dict):
            return None
        return replies.get("error") or self.spec.defaults.error

    def fallback_card(self, reply: BackendReply, t: Catalog) -> RenderedCard:
        if reply.ok and not reply.malformed:
            return self.notice(t.gettext("Done."), "", "success")
        body = reply.body if isinstance(reply.body, dict) else {}
        # the backend's words are data, as any value in a card
        title = data(body["title"]) if body.get("title") else (
            t.gettext("Unexpected reply from the service") if reply.ok
            else t.gettext("Error {status}").format(status=reply.status))
        detail = data(body["detail"]) if body.get("detail") else (
            t.gettext("The service answered HTTP {status} in a form the bot cannot read.").format(status=reply.status))
        card = self.notice(title, detail, "error")
        card.footer = t.gettext("request id {id}").format(id=data(reply.request_id))
        return card

    # -- whole runs ------------------------------------------------------------------------
    def _seen(self, outcome: Outcome, entry: str) -> Outcome:
        for observe in self.observers:
            observe(outcome, entry)
        return outcome

    async def run_prefix(
        self, name: str, args: str, inv: Invocation, resolve: MentionResolver = _no_members
    ) -> Outcome:
        """A prefix message after the trigger word, e.g. name="createwar", args="-game 4 ..."."""
        return self._seen(await self._run_prefix(name, args, inv, resolve), "run_prefix")

    async def _run_prefix(self, name: str, args: str, inv: Invocation, resolve: MentionResolver) -> Outcome:
        t = self.words(inv)
        if not name or name.lower() in ("help", t.pgettext("command", "help").lower()):
            return Outcome(help_card(self.spec, args, t), "help")
        try:
            command, options = await self.prepare_prefix(name, args, resolve, inv.zone)
        except UsageError as error:
            local = self.locales.option_names
            return await self._did_you_mean(
                error, lambda command: split_flags(command, args, local(o.name for o in command.options)), inv, t)
        if command.form is not None and not forms.complete(command.form, options):
            return form_runs.open_command(self, command, options, inv)
        if command.confirm is not None:
            return self.ask(command, options, inv)
        return await self.execute(command, options, inv)

    async def run(
        self, name: str, raw: Mapping[str, Any], inv: Invocation, resolve: MentionResolver = _no_members
    ) -> Outcome:
        """A command with already separated raw option values (slash commands)."""
        return self._seen(await self._run(name, raw, inv, resolve), "run")

    async def _run(self, name: str, raw: Mapping[str, Any], inv: Invocation, resolve: MentionResolver) -> Outcome:
        try:
            command, options = await self.prepare(name, raw, resolve, inv.zone)
        except UsageError as error:
            return await self._did_you_mean(error, lambda _: raw, inv, self.words(inv))
        if command.form is not None and not forms.complete(command.form, {**options, **raw}):
            return form_runs.open_command(self, command, options, inv)
        if command.confirm is not None:
            return self.ask(command, options, inv)
        return await self.execute(command, options, inv)

    # -- autocomplete (spec `autocomplete:` on an option) ----------------------------------
    async def suggestions(self, name: str, option_name: str, typed: str, inv: Invocation,
                          patience: float = SUGGEST_PATIENCE) -> list[tuple[str, str]]:
        """(label, value) suggestions for `option_name` of command `name` as `typed` so far, from
        the option's operation; none when it has none, or the backend fails or is slow."""
        command = self.spec.command(name)
        option = next((o for o in command.options if o.name == option_name), None) if command else None
        if option is None:
            return []
        return await self.suggest(option, name, typed, inv, patience)

    async def suggest(self, option: Option, name: str, typed: str, inv: Invocation,
                      patience: float = SUGGEST_PATIENCE) -> list[tuple[str, str]]:
        """`suggestions` for an option or a form's field (gmbot/chat/form_runs.py) itself."""
        if option.autocomplete is None:
            return []
        option_name = option.name
        asked = option.autocomplete
        head = ""
        if option.type is OptionType.INTEGERS:  # "4, Fort": suggest for the last one, keep the others
            cut = max(typed.rfind(","), typed.rfind(" ")) + 1
            head, typed = typed[:cut].rstrip(" ,"), typed[cut:]
            head = f"{head}," if head else ""
        scope = {**inv.scope(), "typed": typed}
        try:
            request = build_request(asked.operation, self.backend.route(asked.operation), asked.request, scope)
            key = json.dumps([request.path, request.query, request.headers, request.body], sort_keys=True, default=str)
            reply = self.suggested.get(key)
            if reply is None:
                reply = await self.backend.call(request, read_timeout=patience)
                if reply.ok:  # many users type the same first letters: asked once a while
                    self.suggested.put(key, reply)
        except (MisconfiguredSpec, BackendUnavailable) as error:
            log.warning("no suggestions for -%s of %s: %s", option_name, name, error)
            return []
        if not reply.ok or not isinstance(reply.body, dict | list):
            return []
        found: list[tuple[str, str]] = []
        for item in self.renderer.items(asked.items, {"reply": reply.body})[:SUGGESTIONS_MAX]:
            inner = {"reply": reply.body, "item": item}
            label, value = self.renderer.plain(asked.label, inner), self.renderer.plain(asked.value, inner)
            if label and value and len(head + value) <= SUGGESTION_TEXT_MAX:
                found.append((label[:SUGGESTION_TEXT_MAX], head + value))
        return found

    async def _did_you_mean(self, error: UsageError, raw_of: Callable[[Command], Mapping[str, Any]],
                            inv: Invocation, t: Catalog = ENGLISH) -> Outcome:
        """A usage error; for an option with suggestions, the nearest ones to what was typed
        (where a platform has no autocomplete, this is what the user gets instead)."""
        outcome = self.usage_outcome(error, t)
        command = self.spec.command(error.command) if error.command else None
        option = next((o for o in command.options if o.name == error.option), None) if command else None
        if command is None or option is None or option.autocomplete is None:
            return outcome
        try:
            typed = raw_of(command).get(option.name)
        except UsageError:
            return outcome
        if not isinstance(typed, str) or not typed.strip():
            return outcome
        found = await self.suggestions(command.name, option.name, typed.strip(), inv)
        if found:
            shown = ", ".join(f"-{option.name} {data(value)}: {data(label)}" for label, value in found[:DID_YOU_MEAN_MAX])
            outcome.card.fields.append(RenderedField(t.gettext("Did you mean"), shown))
        return outcome

    # -- built-in cards ------------------------------------------------------------------
    def notice(self, title: str, description: str, color: str) -> RenderedCard:
        return RenderedCard(title=title, description=description, color=self.renderer.color(color, {}))

    def usage_outcome(self, error: UsageError, t: Catalog = ENGLISH) -> Outcome:
        prefix = self.spec.bot.prefix
        command = self.spec.command(error.command) if error.command else None
        said = data(error.message_in(t.gettext))  # it quotes what the user typed: data, as any value in a card
        if command is None:
            title = t.gettext("Unknown command") if error.suggestion is not None or not error.command \
                else t.gettext("Usage")
            card = self.notice(title, said + "\n" + t.gettext("`{prefix} help` lists every command.").format(
                prefix=prefix), "error")
        else:
            card = self.notice(f"{prefix} {command.name}: {said}", "", "error")
            card.fields = [RenderedField(t.gettext("Usage"), f"`{usage(prefix, command, t)}`")]
            card.footer = t.gettext("{prefix} help {command} explains every option").format(
                prefix=prefix, command=command.name)
        return Outcome(card, "usage", command=error.command)

    def misconfigured(self, t: Catalog) -> RenderedCard:
        """A spec the runtime cannot follow (the log has the details): not the user's doing."""
        return self.notice(t.gettext(MISCONFIGURED.title), t.gettext(MISCONFIGURED.description), "error")

    def unavailable_card(self, request_id: str | None, t: Catalog) -> RenderedCard:
        card = self.notice(
            t.gettext("Service unavailable"),
            t.gettext("{bot}'s service is not answering right now. Please try again in a minute.").format(
                bot=self.spec.bot.name),
            "error",
        )
        if request_id:
            card.footer = t.gettext("request id {id}").format(id=data(request_id))
        return card

    def late_card(self, waited: float, request_id: str | None, t: Catalog) -> RenderedCard:
        """The backend got the request but did not answer in time: it may still carry it out,
        so "try again" could do it twice."""
        card = self.notice(
            t.gettext("No answer in time"),
            t.gettext("{bot}'s service did not answer within {seconds} s. What you asked for may "
                      "still go through: check before trying again.").format(bot=self.spec.bot.name,
                                                                             seconds=f"{waited:g}"),
            "error",
        )
        if request_id:
            card.footer = t.gettext("request id {id}").format(id=data(request_id))
        return card

    # -- events and buttons --------------------------------------------------------------
    def render_event(self, event: Mapping[str, Any]) -> RenderedCard | None:
        spec = self.spec.event(str(event.get("type", "")))
        if spec is None:
            log.info("no card for event type %r", event.get("type"))
            return None
        data = event.get("data") if isinstance(event.get("data"), dict) else {}
        scope = {"event": dict(event), "data": data, "ctx": {"server": {"id": event.get("serverId")}}}
        # posted in the clan's channel: in the clan's language (the event carries it)
        self.learn_language(event.get("serverId"), event.get("language"))
        locale = self.locales.choose(event.get("language"), self.languages.get(str(event.get("serverId"))))
        card = self.renderer.render(spec.card, scope, self.platform, locale)
        bind_buttons(card, spec.card.buttons, scope, "e", spec.name, "")
        selects.add_selects(card, spec.card.selects, scope, self.renderer, selects.EVENT_KIND, spec.name, "",
                            BUTTON_PREFIX, CUSTOM_ID_MAX, self.fits)
        self.pictures.want(card, spec.card, {"event": dict(event), "data": data}, self.platform)  # fetched when posted
        return card

    def find_button(self, custom_id: str) -> tuple[Button, dict[str, Any]] | None:
        """The spec button a custom id points at, and the scope its fixed values came from."""
        try:
            kind, source, status, index, values = json.loads(custom_id[len(BUTTON_PREFIX):])
            if kind == "e":
                event = self.spec.event(source)
                buttons = event.card.buttons if event else []
            else:
                command = self.spec.command(source)
                buttons = command.replies[status].buttons if command and status in command.replies else []
            button = buttons[index]
        except (ValueError, TypeError, IndexError, KeyError):
            return None
        scope: dict[str, Any] = {}
        for ref, value in zip(_static_references(button), values, strict=False):
            _set_path(scope, ref, value)
        return button, scope

    async def click(self, custom_id: str, inv: Invocation) -> Outcome:
        """A button clicked by `inv.author`: call its operation as that user."""
        return self._seen(await self._click(custom_id, inv), "click")

    async def _click(self, custom_id: str, inv: Invocation) -> Outcome:
        if custom_id.startswith(f'{BUTTON_PREFIX}["{paging.KIND}"'):
            return await self._page(custom_id, inv)
        kind = _kind(custom_id)
        t = self.words(inv)
        if kind == confirm.CANCEL_KIND:
            return Outcome(self.notice(t.gettext("Cancelled"), t.gettext("Nothing was done."), "info"), "reply",
                           replaces=True)
        if kind == confirm.COMMAND_KIND:
            return await self._confirmed_command(custom_id, inv)
        if kind == forms.OPEN_KIND:
            return await form_runs.open_by_id(self, custom_id, inv)
        if selects.is_choice(kind):
            return await self._choose(custom_id, kind, inv)
        confirmed = confirm.is_confirmed(kind)
        if confirmed:  # the same button, asked and answered
            custom_id = BUTTON_PREFIX + json.dumps([confirm.unconfirmed(kind),
                                                    *json.loads(custom_id[len(BUTTON_PREFIX):])[1:]],
                                                   separators=(",", ":"), ensure_ascii=False)
        found = self.find_button(custom_id)
        if found is None:
            return Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")
        button, fixed = found
        if button.form is not None:
            return await form_runs.open_by_id(self, custom_id, inv)
        if button.confirm is not None and not confirmed:
            event = fixed.get("event")
            data = event.get("data") if isinstance(event, dict) else None
            scope = {"data": data or {}, **fixed, "ctx": inv.scope()}  # what the click carries
            payload = json.loads(custom_id[len(BUTTON_PREFIX):])
            return self.prompt(button.confirm, scope, confirm.confirmed(payload, prompt=True),
                               f"a button of {payload[1]}")
        outcome = await self._button(button, fixed, inv)
        outcome.replaces = confirm.from_prompt(kind)  # the answer takes our prompt's place
        return outcome

    async def _button(self, button: Button, fixed: dict[str, Any], inv: Invocation,
                      fields: Mapping[str, Any] | None = None) -> Outcome:
        scope = {**fixed, **(fields or {}), **inv.scope()}
        try:
            request = build_request(button.operation, self.backend.route(button.operation), button.request, scope)
        except MisconfiguredSpec as error:
            log.error("spec error in a button calling %s: %s", button.operation, error)
            return Outcome(self.misconfigured(self.words(inv)), "problem")
        return await self._call(request, inv, button.replies, {"options": {}, "ctx": inv.scope()}, "b", button.operation)

    async def _choose(self, custom_id: str, kind: str, inv: Invocation) -> Outcome:
        """A choice in a select (gmbot/chat/selects.py): its operation as the one who chose,
        the chosen value as `$selected`; asked first when the select has `confirm:`."""
        t = self.words(inv)
        try:
            payload = json.loads(custom_id[len(BUTTON_PREFIX):])
        except ValueError:
            payload = None
        found = selects.find(self.spec, payload) if isinstance(payload, list) else None
        value = selects.typed(found[0], found[2]) if found is not None else None
        if found is None or value is None:
            return Outcome(self.notice(t.gettext(selects.GONE), "", "error"), "usage")
        select, fixed, _ = found
        if select.confirm is not None and not confirm.is_confirmed(kind):
            event = fixed.get("event")
            data = event.get("data") if isinstance(event, dict) else None
            asked = {"data": data or {}, **fixed, "ctx": inv.scope(), selects.SELECTED: value}
            return self.prompt(select.confirm, asked, confirm.confirmed(payload, prompt=True),
                               f"a select of {payload[1]}")
        try:
            request = build_request(select.operation, self.backend.route(select.operation), select.request,
                                    {**fixed, **inv.scope(), selects.SELECTED: value})
        except MisconfiguredSpec as error:
            log.error("spec error in a select calling %s: %s", select.operation, error)
            return Outcome(self.misconfigured(t), "problem")
        outcome = await self._call(request, inv, select.replies,
                                   {"options": {}, "ctx": inv.scope(), selects.SELECTED: value}, "b", select.operation)
        outcome.replaces = confirm.from_prompt(kind)  # the answer takes our prompt's place
        return outcome

    # -- forms (gmbot/chat/forms.py, form_runs.py) -----------------------------------------
    async def submit(self, form_id: str, values: Mapping[str, Any], inv: Invocation,
                     resolve: MentionResolver = _no_members) -> Outcome:
        """A filled-in form (field name -> the text typed): its command or button, run with it;
        kind "invalid" with `errors` by field when a field, or the backend, refuses it."""
        return self._seen(await form_runs.submit(self, form_id, values, inv, resolve), "submit")

    async def check_field(self, form_id: str, name: str, text: str, inv: Invocation,
                          resolve: MentionResolver = _no_members) -> str | None:
        """Why one field's text is refused, or None: for a form asked one field at a time."""
        return await form_runs.check_field(self, form_id, name, text, inv, resolve)

    async def form_suggestions(self, form_id: str, name: str, typed: str, inv: Invocation) -> list[tuple[str, str]]:
        """(label, value) suggestions for a form's field as `typed` so far (Slack's external_select)."""
        return await form_runs.suggestions(self, form_id, name, typed, inv)

    async def press(self, button: Button, fixed: dict[str, Any], inv: Invocation,
                    fields: Mapping[str, Any]) -> Outcome:
        """A spec button's operation with its form's values."""
        return await self._button(button, fixed, inv, fields)

    def gone(self, t: Catalog) -> Outcome:
        return Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")

    # -- confirmations (gmbot/chat/confirm.py) ---------------------------------------------
    def prompt(self, asked: Confirm, scope: Mapping[str, Any], yes: list[Any], what: str) -> Outcome:
        """The prompt before a destructive action: its text, and the buttons going ahead (`yes`,
        a custom id payload) or not."""
        ahead = BUTTON_PREFIX + json.dumps(yes, separators=(",", ":"), ensure_ascii=False)
        if not self.fits(ahead):
            log.error("the confirmation of %s does not fit in a button id (%d characters)", what, len(ahead))
            return Outcome(self.notice("This cannot be confirmed here", "The confirmation is too long for "
                                       "this chat's buttons; the log says more.", "error"), "problem")
        return Outcome(confirm.prompt_card(self.renderer, asked, scope, ahead, CANCEL_ID), "confirm")

    def ask(self, command: Command, options: Mapping[str, Any], inv: Invocation) -> Outcome:
        """A destructive command's prompt; its Confirm button carries who asked and the options."""
        assert command.confirm is not None
        values: Any = confirm.option_values(command, options)
        yes = [confirm.COMMAND_KIND, command.name, inv.author.id, 0, values]
        if not self.fits(BUTTON_PREFIX + json.dumps(yes, separators=(",", ":"), ensure_ascii=False)):
            yes[4] = self.pending.keep(values)  # too long for the platform's button id: kept here a while
        scope = {"options": dict(options), "ctx": inv.scope()}
        outcome = self.prompt(command.confirm, scope, yes, command.name)
        outcome.command = command.name
        return outcome

    async def _confirmed_command(self, custom_id: str, inv: Invocation) -> Outcome:
        t = self.words(inv)
        try:
            _, name, asker, _, values = json.loads(custom_id[len(BUTTON_PREFIX):])
        except (ValueError, TypeError):
            return Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")
        command = self.spec.command(str(name))
        if command is None or command.confirm is None:
            return Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")
        if str(asker) != inv.author.id:
            return Outcome(self.notice(t.gettext("Not yours to confirm"), t.gettext(
                "Only the one who ran `{prefix} {command}` can confirm it.").format(
                prefix=self.spec.bot.prefix, command=command.name), "error"), "usage")
        if isinstance(values, str):
            values = self.pending.take(values)
            if values is None:
                return Outcome(self.notice(t.gettext("This confirmation has expired"), t.gettext(
                    "Run `{prefix} {command}` again.").format(prefix=self.spec.bot.prefix, command=command.name),
                    "error"), "usage", replaces=True)
        options = confirm.options_from(command, values, await self.defaults(command)) if isinstance(values, list) else None
        if options is None:
            return Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")
        outcome = await self.execute(command, options, inv)
        outcome.replaces = True  # the answer takes the prompt's place
        return outcome

    async def _page(self, custom_id: str, inv: Invocation) -> Outcome:
        """A page button: its command again with the options it carries, the card replacing the
        one clicked."""
        t = self.words(inv)
        gone = Outcome(self.notice(t.gettext("This button no longer works"), "", "error"), "usage")
        try:
            _, source, status, _, values = json.loads(custom_id[len(BUTTON_PREFIX):])
            command = self.spec.command(str(source))
            card = command.replies.get(str(status)) if command else None
        except (ValueError, TypeError):
            return gone
        if command is None or card is None or card.paging is None or not isinstance(values, list):
            return gone
        options = paging.options_of(command, card.paging, values, await self.defaults(command))
        if options is None:
            return gone
        moved = next(o for o in command.options if o.name == card.paging.option)
        try:  # the moved option within its bounds, as if typed (callback data can be forged)
            options[moved.name] = await coerce_value(moved, command.name, options[moved.name], _no_members)
        except UsageError as error:
            return self.usage_outcome(error, t)
        outcome = await self.execute(command, options, inv)
        outcome.replaces = outcome.kind == "reply"  # a failure is the clicker's alone: the list stays
        return outcome

    async def defaults(self, command: Command) -> dict[str, Any]:
        """Every option of `command` at its default, coerced as when the user leaves it out."""
        return {option.name: await default_of(option, command.name, _no_members) for option in command.options}


def bind_buttons(
    card: RenderedCard, buttons: list[Button], scope: Mapping[str, Any], kind: str, source: str, status: str
) -> None:
    """Give each rendered button the custom id a click is routed by (its fixed values inside);
    a button whose id would be too long to post is left without one, and front ends skip it."""
    for rendered in card.buttons:
        values = [lookup(scope, ref) for ref in _static_references(buttons[rendered.index])]
        custom_id = BUTTON_PREFIX + json.dumps([kind, source, status, rendered.index, values], separators=(",", ":"))
        if len(custom_id) > CUSTOM_ID_MAX:
            log.warning("button %r of %s is too long to post (%d characters)", rendered.label, source, len(custom_id))
            continue
        rendered.custom_id = custom_id
        if rendered.confirm is not None:  # for a platform that asks with a dialog of its own
            payload = confirm.confirmed([kind, source, status, rendered.index, values], prompt=False)
            rendered.confirmed_id = BUTTON_PREFIX + json.dumps(payload, separators=(",", ":"))


def _static_references(button: Button) -> list[str]:
    """The references of a button's request that are fixed into its custom id when posted."""
    return [r for r in request_references(button.request) if r.split(".")[0] in STATIC_HEADS]


def _set_path(scope: dict[str, Any], reference: str, value: Any) -> None:
    *heads, last = reference.split(".")
    node = scope
    for head in heads:
        node = node.setdefault(head, {})
    node[last] = value


CANCEL_ID = BUTTON_PREFIX + json.dumps(confirm.CANCEL, separators=(",", ":"))


class Expiring(Generic[T]):
    """A few values by key, each for `ttl` seconds (bounded: the oldest go first)."""

    def __init__(self, ttl: float, size: int = 1024) -> None:
        self.ttl, self.size = ttl, size
        self._values: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def get(self, key: str) -> T | None:
        found = self._values.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return found[1]

    def put(self, key: str, value: T) -> None:
        self._values[key] = (time.monotonic() + self.ttl, value)
        self._values.move_to_end(key)
        while len(self._values) > self.size:
            self._values.popitem(last=False)


def fits_anywhere(custom_id: str) -> bool:
    return len(custom_id) <= CUSTOM_ID_MAX


def _kind(custom_id: str) -> str:
    """The kind of a core custom id (its first element), or "" when it is not one."""
    try:
        payload = json.loads(custom_id[len(BUTTON_PREFIX):])
    except ValueError:
        return ""
    return str(payload[0]) if isinstance(payload, list) and payload else ""
