"""The Slack side of the runtime: Bolt listeners that turn Slack's input into core calls.

* `/<prefix> createwar -players @ana @bo -game 4`: the slash command named after the
  bot's prefix, parsed exactly as Discord's prefix commands (`Core.run_prefix`);
* `@Gmbot createwar ...`: the same as an app mention;
* a click on a card's button: `action_id` / `value` hold the core's custom id.

Slack wants every request acknowledged within 3 s. Each listener is registered as an
immediate `ack()` plus a Bolt "lazy" function doing the work in the background (with the
app's `process_before_response`, see app.py: Bolt then answers the HTTP request as soon as
the ack returns, instead of polling for it every 10 ms); the card follows: through `response_url` for commands and clicks (in the channel for results,
ephemeral for usage errors and problems), with `chat.postMessage` /
`chat.postEphemeral` for mentions, which have no `response_url`. The backend being
down is a "service unavailable" card like any other outcome.

Slack retries an event it thinks was not acknowledged (`X-Slack-Retry-Num`); a retried
mention carries the same `event_id`, which is both remembered here (no second post) and
the idempotency key the backend honours (no second war, even after a restart).
"""

from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Awaitable
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from gmbot.chat.backend import BackendClient
from gmbot.chat.core import BUTTON_PREFIX, Core, Invocation, Outcome
from gmbot.chat.options import Person, UsageError
from gmbot.service.shutdown import OPEN, RESTARTING, Gate, admitted
from gmbot.slack import CLIENT, PLATFORM
from gmbot.slack.blocks import card_to_message
from gmbot.slack.mentions import MENTION, SlackPeople
from gmbot.spec.model import BotSpec

log = logging.getLogger("gmbot.slack")

PUBLIC_KINDS = frozenset({"reply"})  # the rest (usage, problem, unavailable, help) only the author sees
_LEADING_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>\s*")


def response_type(outcome: Outcome) -> str:
    return "in_channel" if outcome.kind in PUBLIC_KINDS else "ephemeral"


async def _ack(ack: Any) -> None:
    await ack()


class _Recent:
    """The last `size` keys seen: a retried event is recognised without growing forever."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._keys: OrderedDict[str, None] = OrderedDict()

    def first_time(self, key: str) -> bool:
        if not key:
            return True
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self.size:
            self._keys.popitem(last=False)
        return True


class SlackRuntime:
    def __init__(self, spec: BotSpec, backend: BackendClient, *, people: SlackPeople | None = None) -> None:
        self.spec = spec
        self.backend = backend
        self.core = Core(spec, backend, PLATFORM)
        self.gate: Gate = OPEN  # a service sets its Shutdown: commands then count as work in flight
        self.people = people or SlackPeople()
        self.team_names: dict[str, str] = {}  # team id -> domain, learnt from commands and clicks
        self._events = _Recent()
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        """One pooled HTTP session for `response_url` posts (Bolt's `respond()` opens a new
        one per post: a new connection each time, about 1 ms on loopback, more to Slack)."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
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

    # -- who and where ---------------------------------------------------------------------
    def _team(self, team_id: str, domain: str | None) -> Person:
        if domain:
            self.team_names[team_id] = domain
        return Person(team_id, self.team_names.get(team_id, team_id))

    # -- /gmbot ... ------------------------------------------------------------------------
    async def on_command(self, command: dict[str, Any], client: AsyncWebClient) -> None:
        await admitted(self.gate, lambda: self._command(command, client),
                       lambda: self.tell(str(command.get("response_url", "")), RESTARTING))

    async def _command(self, command: dict[str, Any], client: AsyncWebClient) -> None:
        team = str(command.get("team_id", ""))
        user = Person(str(command.get("user_id", "")), str(command.get("user_name") or command.get("user_id", "")))
        self.people.remember(team, user)
        inv = Invocation(
            PLATFORM, author=user, server=self._team(team, command.get("team_domain")),
            channel=Person(str(command.get("channel_id", "")), str(command.get("channel_name") or command.get("channel_id", ""))),
            id=str(command.get("trigger_id", "")),
        )
        name, _, args = str(command.get("text", "")).strip().partition(" ")
        outcome = await self._guarded(self.core.run_prefix(name, args.strip(), inv, self.people.resolver(client, team)))
        self._log(name or "help", outcome)
        await self._respond(str(command.get("response_url", "")), outcome, f"{self.command_name} {name}")

    # -- @Gmbot ... ------------------------------------------------------------------------
    async def on_mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                         context: Any) -> None:
        await admitted(self.gate, lambda: self._mention(body, event, client, context),
                       lambda: client.chat_postEphemeral(channel=str(event.get("channel", "")),
                                                         user=str(event.get("user", "")), text=RESTARTING))

    async def _mention(self, body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient,
                       context: Any) -> None:
        if not self._events.first_time(str(body.get("event_id", ""))):
            log.info("event %s retried by Slack: already handled", body.get("event_id"))
            return
        if event.get("bot_id"):
            return  # another bot's message: never talk to bots
        team = str(body.get("team_id") or event.get("team") or "")
        channel = str(event.get("channel", ""))
        user_id = str(event.get("user", ""))
        text = self._without_bot_mention(str(event.get("text", "")), getattr(context, "bot_user_id", None))
        name, _, args = text.partition(" ")
        if name.lower() == self.spec.bot.prefix.lower():  # "@Gmbot gmbot createwar ..." reads as well
            name, _, args = args.strip().partition(" ")
        author = await self.people.person(client, team, user_id) or Person(user_id, user_id)
        inv = Invocation(PLATFORM, author=author, server=self._team(team, None), channel=Person(channel, channel),
                         id=str(body.get("event_id", "")))
        outcome = await self._guarded(self.core.run_prefix(name, args.strip(), inv, self.people.resolver(client, team)))
        self._log(name or "help", outcome)
        message = card_to_message(outcome.card)
        try:
            if response_type(outcome) == "in_channel":
                await client.chat_postMessage(channel=channel, **message)
            else:
                await client.chat_postEphemeral(channel=channel, user=user_id, **message)
        except SlackApiError as error:
            log.error("could not answer a mention in %s: %s", channel, error.response.get("error"))

    @staticmethod
    def _without_bot_mention(text: str, bot_user_id: str | None) -> str:
        """The text after the mention that addressed the bot (the first one, normally)."""
        if bot_user_id:
            for token in re.finditer(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>", text):
                if token.group(1) == bot_user_id:
                    return (text[:token.start()] + text[token.end():]).strip()
        return _LEADING_MENTION.sub("", text, count=1).strip()

    # -- buttons ---------------------------------------------------------------------------
    async def on_button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        await admitted(self.gate, lambda: self._button(body, action),
                       lambda: self.tell(str(body.get("response_url", "")), RESTARTING))

    async def _button(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        custom_id = str(action.get("value") or action.get("action_id", ""))
        user = body.get("user") or {}
        team = body.get("team") or {}
        channel = body.get("channel") or {}
        author = Person(str(user.get("id", "")), str(user.get("username") or user.get("name") or user.get("id", "")))
        team_id = str(team.get("id") or user.get("team_id") or "")
        self.people.remember(team_id, author)
        inv = Invocation(
            PLATFORM, author=author, server=self._team(team_id, team.get("domain")),
            channel=Person(str(channel.get("id", "")), str(channel.get("name") or channel.get("id", ""))),
            # one click, one trigger: the key a double delivery of the same click shares
            id=str(body.get("trigger_id") or action.get("action_ts", "")),
        )
        outcome = await self._guarded(self.core.click(custom_id, inv))
        self._log("button", outcome)
        await self._respond(str(body.get("response_url", "")), outcome, "a button")

    # -- answers ---------------------------------------------------------------------------
    async def _respond(self, response_url: str, outcome: Outcome, what: str) -> None:
        """Post the card to `response_url` (valid 30 minutes, up to 5 posts)."""
        if not response_url:
            log.error("no response_url to answer %s", what)
            return
        payload = {"response_type": response_type(outcome), "replace_original": False, **card_to_message(outcome.card)}
        try:
            reply = await AsyncWebhookClient(response_url, session=self.session()).send_dict(payload)
        except (aiohttp.ClientError, TimeoutError) as error:
            log.error("could not answer %s through response_url: %s", what, error)
            return
        if reply.status_code != 200:  # expired (after 30 min or 5 posts) or refused: the user saw the ack
            log.error("response_url refused the answer to %s: HTTP %s %s", what, reply.status_code, reply.body)

    async def tell(self, response_url: str, text: str) -> None:
        """A short notice only the user sees (the bot is restarting), through `response_url`."""
        await self._respond(response_url, Outcome(self.core.notice("Try again soon", text, "error"), "unavailable"),
                            "a notice")

    async def _guarded(self, work: Awaitable[Outcome]) -> Outcome:
        """Whatever goes wrong, the user gets a card, never silence."""
        try:
            return await work
        except UsageError as error:
            return self.core.usage_outcome(error)
        except Exception:
            log.exception("command failed")
            return Outcome(self.core.notice("Something went wrong", "The bot hit an unexpected error; it was logged.",
                                            "error"), "problem")

    def _log(self, name: str, outcome: Outcome) -> None:
        log.info("%s -> %s status=%s request_id=%s", name, outcome.kind, outcome.status, outcome.request_id)


__all__ = ["CLIENT", "MENTION", "PLATFORM", "SlackRuntime", "response_type"]
