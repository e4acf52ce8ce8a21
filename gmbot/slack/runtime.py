"""The Slack side of the runtime: Bolt listeners that turn Slack's input into core calls.

* `/<prefix> createwar -players @ana @bo -game 4`: the slash command named after the
  bot's prefix, parsed exactly as Discord's prefix commands (`Core.run_prefix`);
* `@Gmbot createwar ...`: the same as an app mention;
* a click on a card's button: `action_id` / `value` hold the core's custom id.

Slack wants every request acknowledged within 3 s. The entry (entry.py) answers our
requests with an empty 200 before Bolt even authorizes them (`acks_at_once`); each
listener is an immediate `ack()` plus a Bolt "lazy" function doing the work in the
background (with the app's `process_before_response`, see app.py). The card follows:
through `response_url` for commands and clicks (in the channel for results, ephemeral
for usage errors and problems), with `chat.postMessage` / `chat.postEphemeral` for
mentions, which have no `response_url`. The backend being down is a "service
unavailable" card like any other outcome.

Slack retries an event it thinks was not acknowledged (`X-Slack-Retry-Num`); a retried
mention carries the same `event_id`, which is both remembered (seen.py: no second post,
even after a restart) and the idempotency key the backend honours (no second war).

Text is read as Slack writes it (text.py): entities decoded, only real mentions are
mentions, names cut to what the API takes; a mentioned person must be a member of the
workspace (mentions.py).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Protocol

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from gmbot.chat.backend import BackendClient
from gmbot.chat.backoff import Backoff
from gmbot.chat.core import BUTTON_PREFIX, Core
from gmbot.chat.guard import guarded, log_outcome
from gmbot.chat.i18n import ENGLISH, Catalog
from gmbot.chat.vocabulary import Invocation, Outcome, Person, Place
from gmbot.service.shutdown import OPEN, RESTARTING, RESTARTING_TITLE, Gate, admitted
from gmbot.slack import CLIENT, PLATFORM, forms
from gmbot.slack.blocks import card_to_message
from gmbot.slack.mentions import MENTION, SlackPeople
from gmbot.slack.menus import SlackMenus
from gmbot.slack.menus import ours as shortcut_of_ours
from gmbot.slack.selects import chosen
from gmbot.slack.text import command_text, fit_name
from gmbot.slack.uploads import upload_pictures
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.slack")

_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>\s*")
RESPONSE_ATTEMPTS = 4  # a response_url answering 5xx, 429 or dropping the connection: 3 more tries
RESPONSE_TIMEOUT = 10.0  # seconds one response_url post may take


def response_type(outcome: Outcome) -> str:
    return "ephemeral" if outcome.private else "in_channel"


async def _ack(ack: Any) -> None:
    await ack()


class Seen(Protocol):
    """Where handled event ids are claimed (seen.py keeps them in a database)."""

    async def first_time(self, key: str) -> bool: ...


class Recent:
    """The last `size` keys seen, in memory only: for a runtime without a database (tests);
    `gmbot slack` gives the runtime seen.py's store."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    async def first_time(self, key: str) -> bool:
        if not key:
            return True
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class SlackRuntime:
    def __init__(self, spec: BotSpec, backend: BackendClient, *, people: SlackPeople | None = None,
                 seen: Seen | None = None, response_timeout: float = RESPONSE_TIMEOUT,
                 response_backoff: Backoff | None = None) -> None:
        self.spec = spec
        self.backend = backend
        self.core = Core(spec, backend, PLATFORM)
        self.gate: Gate = OPEN  # a service sets its Shutdown: commands then count as work in flight
        self.people = people or SlackPeople()
        self.team_names: dict[str, str] = {}  # team id -> domain, learnt from commands and clicks
        self.seen: Seen = seen or Recent()
        self.response_timeout = response_timeout
        self.response_backoff = response_backoff or Backoff(initial=0.5, cap=4.0)
        self._session: aiohttp.ClientSession | None = None
        self._submitted: dict[str, tuple[Outcome, str]] = {}  # view id -> a form's outcome, and where it goes

    def session(self) -> aiohttp.ClientSession:
        """One pooled HTTP session for `response_url` posts (Bolt's `respond()` opens a new
        one per post: a new connection each time, about 1 ms on loopback, more to Slack)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.response_timeout))
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def command_name(self) -> str:
        return f"/{self.spec.bot.prefix.lower()}"

    def install(self, app: AsyncApp) -> None:
        """Register the listeners: the slash command, app mentions and the buttons; each acks
        at once (an empty 200) and does its work lazily, after the HTTP answer."""
        app.command(self.command_name)(ack=_ack, lazy=[self.on_command])
        app.event("app_mention")(ack=_ack, lazy=[self.on_mention])
        app.action(re.compile("^" + re.escape(BUTTON_PREFIX)))(ack=_ack, lazy=[self.on_button])
        # a form's modal submitted: answered in the ack (errors under the fields, or closed),
        # its card posted after (docs/spec.md, Forms)
        app.view(re.compile("^" + re.escape(BUTTON_PREFIX)))(ack=self.on_submit, lazy=[self.after_submit])
        # a form's field with suggestions typed into (its external_select): answered in the ack
        app.options(re.compile("^" + re.escape(forms.SUGGEST_PREFIX)))(self.on_suggest)
        SlackMenus(self).install(app)  # message shortcuts (gmbot/slack/menus.py)

    def acks_at_once(self, body: Mapping[str, Any]) -> bool:
        """Whether a verified request is one our listeners answer with an empty 200 (our
        slash command, our buttons) or any event (Slack wants only the 200, and retries
        without it): the entry (entry.py) then answers before Bolt authorizes it."""
        if body.get("type") == "event_callback":
            return True
        if "command" in body:
            return str(body.get("command", "")).lower() == self.command_name
        if body.get("type") == "message_action":
            return shortcut_of_ours(body)
        if body.get("type") == "block_actions":
            actions = body.get("actions") or []
            return bool(actions) and all(isinstance(a, dict) and str(a.get("action_id", "")).startswith(BUTTON_PREFIX)
                                         for a in actions)
        return False

    # -- who and where ---------------------------------------------------------------------
    def _team(self, team_id: str, domain: str | None) -> Place:
        if domain:
            self.team_names[team_id] = fit_name(domain, team_id)
        return Place(team_id, self.team_names.get(team_id, team_id))

    @staticmethod
    def _named(ident: Any, *names: Any) -> Person:
        """A user from a payload's id and the first name it has, fit for the API."""
        ident = str(ident or "")
        return Person(ident, fit_name(str(next((n for n in names if n), "")), ident))

    @staticmethod
    def _channel(ident: Any, *names: Any) -> Place:
        """A channel from a payload's id and the first name it has, fit for the API."""
        ident = str(ident or "")
        return Place(ident, fit_name(str(next((n for n in names if n), "")), ident))

    # -- /gmbot ... ------------------------------------------------------------------------
    async def on_command(self, command: dict[str, Any], client: AsyncWebClient) -> None:
        await admitted(self.gate, lambda: self._command(command, client),
                       lambda: self.tell(str(command.get("response_url", "")), RESTARTING,
                                         self.reader(command.get("team_id"), command.get("user_id"))))

    async def _command(self, command: dict[str, Any], client: AsyncWebClient) -> None:
        team = str(command.get("team_id", ""))
        inv = Invocation(
            PLATFORM, author=self._named(command.get("user_id"), command.get("user_name")),
            server=self._team(team, command.get("team_domain")),
            channel=self._channel(command.get("channel_id"), command.get("channel_name")),
            id=str(command.get("trigger_id", "")),
            zone=self.people.zone(client, team, str(command.get("user_id", ""))),
            locale=await self.people.locale(client, team, str(command.get("user_id", ""))),
        )
        text = command_text(str(command.get("text", "")))
        name, _, args = text.text.strip().partition(" ")
        work = self.core.run_prefix(name, args.strip(), inv, self.people.resolver(client, team, text.mentions))
        outcome = await guarded(log, self.core, work, self.core.words(inv))
        log_outcome(log, name or "help", outcome)
        await self._answer(client, outcome, str(command.get("response_url", "")), str(command.get("trigger_id", "")),
                           inv, f"{self.command_name} {name}")

    # -- @Gmbot ... ------------------------------------------------------------------------
    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                         context: Any) -> None:
        await admitted(self.gate, lambda: self._mention(body, event, client, context),
                       lambda: client.chat_postEphemeral(channel=str(event.get("channel", "")),
                                                         user=str(event.get("user", "")),
                                                         text=self.reader(body.get("team_id") or event.get("team"),
                                                                          event.get("user")).gettext(RESTARTING)))

    async def _mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                       context: Any) -> None:
        if event.get("bot_id"):
            return  # another bot's message: never talk to bots
        if not await self.seen.first_time(str(body.get("event_id", ""))):
            log.info("event %s retried by Slack: already handled", body.get("event_id"))
            return
        team = str(body.get("team_id") or event.get("team") or "")
        channel = str(event.get("channel", ""))
        user_id = str(event.get("user", ""))
        text = command_text(self._without_bot_mention(str(event.get("text", "")),
                                                      getattr(context, "bot_user_id", None)))
        name, _, args = text.text.partition(" ")
        if name.lower() == self.spec.bot.prefix.lower():  # "@Gmbot gmbot createwar ..." reads as well
            name, _, args = args.strip().partition(" ")
        work = self._run_mention(client, team, channel, user_id, name, args.strip(), text.mentions,
                                 str(body.get("event_id", "")))
        outcome = await guarded(log, self.core, work)
        log_outcome(log, name or "help", outcome)
        message = card_to_message(outcome.card, await upload_pictures(client, outcome.card))
        # a mention inside a thread is answered in that thread (`thread_ts` names its parent)
        thread = str(event["thread_ts"]) if event.get("thread_ts") else None
        try:
            if response_type(outcome) == "in_channel":
                await client.chat_postMessage(channel=channel, thread_ts=thread, **message)
            else:
                await client.chat_postEphemeral(channel=channel, user=user_id, thread_ts=thread, **message)
        except SlackApiError as error:
            log.error("could not answer a mention in %s: %s", channel, error.response.get("error"))

    async def _run_mention(self, client: AsyncWebClient, team: str, channel: str, user_id: str, name: str, args: str,
                           mentions: frozenset[str], event_id: str) -> Outcome:
        author = await self.people.person(client, team, user_id) or Person(user_id, user_id)
        inv = Invocation(PLATFORM, author=author, server=self._team(team, None), channel=Place(channel, channel),
                         id=event_id, zone=self.people.zone(client, team, author.id),
                         locale=await self.people.locale(client, team, user_id))
        return await self.core.run_prefix(name, args, inv, self.people.resolver(client, team, mentions))

    @staticmethod
    def _without_bot_mention(text: str, bot_user_id: str | None) -> str:
        """The text after the mention that addressed the bot (the first one, normally)."""
        if bot_user_id:
            for token in re.finditer(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", text):
                if token.group(1) == bot_user_id:
                    return (text[:token.start()] + text[token.end():]).strip()
        return _LEADING_MENTION.sub("", text, count=1).strip()

    # -- buttons ---------------------------------------------------------------------------
    async def on_button(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await admitted(self.gate, lambda: self._button(body, action, client),
                       lambda: self.tell(str(body.get("response_url", "")), RESTARTING,
                                         self.reader((body.get("team") or {}).get("id"), (body.get("user") or {}).get("id"))))

    async def _button(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        # a choice in a select: its id with the option chosen (gmbot/slack/selects.py)
        custom_id = chosen(action) or str(action.get("value") or action.get("action_id", ""))
        user = body.get("user") or {}
        team = body.get("team") or {}
        channel = body.get("channel") or {}
        team_id = str(team.get("id") or user.get("team_id") or "")
        inv = Invocation(
            PLATFORM, author=self._named(user.get("id"), user.get("username"), user.get("name")),
            server=self._team(team_id, team.get("domain")),
            channel=self._channel(channel.get("id"), channel.get("name")),
            # one click, one trigger: the key a double delivery of the same click shares
            id=str(body.get("trigger_id") or action.get("action_ts", "")),
            locale=self.people.known_locale(team_id, str(user.get("id", ""))),
        )
        outcome = await guarded(log, self.core, self.core.click(custom_id, inv), self.core.words(inv))
        log_outcome(log, "button", outcome)
        await self._answer(client, outcome, str(body.get("response_url", "")), str(body.get("trigger_id", "")), inv,
                           "a button")

    # -- forms (gmbot/slack/forms.py) ------------------------------------------------------
    async def _answer(self, client: AsyncWebClient, outcome: Outcome, response_url: str, trigger_id: str,
                      inv: Invocation, what: str) -> None:
        """The outcome through `response_url`; a form opens as a modal (`views.open`, within the
        trigger's 3 s) and the prompt is posted only when it cannot."""
        if outcome.kind == "form" and outcome.form is not None and trigger_id:
            where = {"r": response_url, "c": inv.channel.id if inv.channel else ""}
            t = self.core.words(inv)
            view = forms.modal(outcome.form, json.dumps(where), t.gettext("Cancel"), t.gettext(forms.SEARCH_HINT))
            try:
                await client.views_open(trigger_id=trigger_id, view=view)
                return
            except SlackApiError as error:
                log.error("could not open the form of %s: %s", what, error.response.get("error"))
        await self._respond(response_url, outcome, what, client)

    async def on_submit(self, ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        """A modal submitted: Slack waits for this answer (3 s), so the backend gets 2.5 of them."""
        user = body.get("user") or {}
        team = body.get("team") or {}
        where = _metadata(view.get("private_metadata"))
        team_id = str(team.get("id") or user.get("team_id") or "")
        inv = Invocation(
            PLATFORM, author=self._named(user.get("id"), user.get("username"), user.get("name")),
            server=self._team(team_id, team.get("domain")), channel=self._channel(where.get("c"), None),
            id=str(body.get("trigger_id") or view.get("id", "")), patience=SUBMIT_PATIENCE,
            locale=self.people.known_locale(team_id, str(user.get("id", ""))),
        )
        form_id = str(view.get("callback_id", ""))
        work = self.core.submit(form_id, forms.values(view), inv)
        outcome = await guarded(log, self.core, work, self.core.words(inv))
        log_outcome(log, "form", outcome)
        if outcome.kind == "invalid" and outcome.errors:
            blocks = [str(b.get("block_id")) for b in view.get("blocks") or [] if isinstance(b, dict)]
            await ack(response_action="errors", errors=forms.errors(outcome.errors, blocks))
            return
        self._submitted[str(view.get("id", ""))] = (outcome, str(where.get("r", "")))
        await ack()  # the modal closes; the card follows where the command or the button was

    async def on_suggest(self, ack: Any, body: dict[str, Any]) -> None:
        """A `block_suggestion`: the options for what is typed in a form's field, from the
        field's operation (Core.suggest: a slow backend gives none, within Slack's 3 s)."""
        user = body.get("user") or {}
        team = body.get("team") or {}
        view = body.get("view") or {}
        team_id = str(team.get("id") or user.get("team_id") or "")
        where = _metadata(view.get("private_metadata"))
        inv = Invocation(
            PLATFORM, author=self._named(user.get("id"), user.get("username"), user.get("name")),
            server=self._team(team_id, team.get("domain")), channel=self._channel(where.get("c"), None),
            id=str(view.get("id", "")), locale=self.people.known_locale(team_id, str(user.get("id", ""))),
        )
        name = str(body.get("action_id", "")).removeprefix(forms.SUGGEST_PREFIX)
        found = await self.core.form_suggestions(str(view.get("callback_id", "")), name, str(body.get("value") or ""),
                                                 inv)
        await ack(options=forms.suggested(found))

    async def after_submit(self, view: dict[str, Any], client: AsyncWebClient) -> None:
        found = self._submitted.pop(str(view.get("id", "")), None)
        if found is not None:
            await self._respond(found[1], found[0], "a form", client)

    # -- answers ---------------------------------------------------------------------------
    async def _respond(self, response_url: str, outcome: Outcome, what: str,
                       client: AsyncWebClient | None = None) -> None:
        """Post the card to `response_url` (valid 30 minutes, up to 5 posts). A 5xx, a 429
        or a connection that failed is tried again, with backoff (429: after its
        Retry-After), RESPONSE_ATTEMPTS times in all. A post that timed out is not: Slack
        may have shown it, and a second card is worse than a late log line."""
        if not response_url:
            log.error("no response_url to answer %s", what)
            return
        # a page button's card, a confirmation's answer: in place of the message clicked
        # the card's pictures from the backend, uploaded with the workspace's token (uploads.py)
        files = await upload_pictures(client, outcome.card) if outcome.card.pictures else {}
        payload = {"response_type": response_type(outcome), "replace_original": outcome.replaces,
                   **card_to_message(outcome.card, files)}
        backoff = Backoff(initial=self.response_backoff.initial, cap=self.response_backoff.cap)
        reason = ""
        for attempt in range(1, RESPONSE_ATTEMPTS + 1):
            wait: float | None = None
            try:
                reply = await AsyncWebhookClient(response_url, session=self.session(),
                                                 retry_handlers=[]).send_dict(payload)
            except TimeoutError:
                log.error("could not answer %s through response_url: no answer within %g s (not tried again: "
                          "it may have arrived)", what, self.response_timeout)
                return
            except aiohttp.ClientError as error:
                reason = f"{type(error).__name__}: {error}".rstrip(": ")
            else:
                if reply.status_code == 200:
                    return
                reason = f"HTTP {reply.status_code} {reply.body[:200]}".strip()
                if reply.status_code != 429 and reply.status_code < 500:
                    # expired (after 30 min or 5 posts) or refused: the same post would be too
                    log.error("response_url refused the answer to %s: %s", what, reason)
                    return
                wait = _seconds(reply.headers.get("Retry-After")) if reply.status_code == 429 else None
            if attempt == RESPONSE_ATTEMPTS:
                break
            delay = wait if wait is not None else backoff.next_delay()
            log.warning("response_url failed to take the answer to %s (%s): trying again in %.1f s (attempt %d of %d)",
                        what, reason, delay, attempt + 1, RESPONSE_ATTEMPTS)
            await asyncio.sleep(delay)
        log.error("could not answer %s through response_url after %d attempts: %s", what, RESPONSE_ATTEMPTS, reason)

    def reader(self, team: Any, user: Any) -> Catalog:
        """The words of who reads a notice given before any command ran: their language where
        already known (no users.info call while refusing work), else their workspace clan's."""
        team_id, user_id = str(team or ""), str(user or "")
        return self.core.reader_words(self.people.known_locale(team_id, user_id), team_id or None)

    async def tell(self, response_url: str, text: str, t: Catalog = ENGLISH) -> None:
        """A short notice only the user sees (the bot is restarting), through `response_url`."""
        notice = self.core.notice(t.gettext(RESTARTING_TITLE), t.gettext(text), "error")
        await self._respond(response_url, Outcome(notice, "unavailable"),
                            "a notice")



SUBMIT_PATIENCE = 2.5  # seconds the backend may take for a modal's submission (Slack waits 3)


def _metadata(text: Any) -> dict[str, Any]:
    """What a modal carries of where it was opened: `{"r": response_url, "c": channel id}`."""
    try:
        found = json.loads(str(text or "{}"))
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 <= seconds <= 60 else None  # a longer wait: back off as usual instead


__all__ = ["CLIENT", "MENTION", "PLATFORM", "SlackRuntime", "response_type"]
