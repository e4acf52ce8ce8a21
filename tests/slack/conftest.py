"""The Slack front end at the wire: real Bolt on loopback (real signature checks), the real
backend on loopback, and a fake Slack Web API recording what the bot sends."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.server.local import LocalBackend, local_backend
from gmbot.slack.app import build_app, web_app
from gmbot.slack.runtime import CLIENT, SlackRuntime
from gmbot.spec.model import BotSpec

from .fake_slack import FakeSlack, signed_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-test"


@dataclass
class Reply:
    status: int
    text: str
    ms: float  # request sent -> acknowledgement read


def _state(element: dict[str, Any], value: str | None) -> dict[str, Any]:
    """A submitted input's state: text typed, or the option chosen in a select (its value)."""
    if element["type"] in ("static_select", "external_select"):
        return {"type": element["type"], "selected_option": {"text": {"type": "plain_text", "text": value},
                                                             "value": value} if value else None}
    return {"type": element["type"], "value": value}


class SlackWire:
    """Posts what Slack posts to the bot: signed, form-encoded, to `/slack/events`."""

    def __init__(self, url: str, fake: FakeSlack, http: aiohttp.ClientSession, secret: str = SECRET) -> None:
        self.url = url
        self.fake = fake
        self.http = http
        self.secret = secret
        self.trigger = 0

    async def post(self, body: str, headers: dict[str, str], path: str = "/slack/events") -> Reply:
        started = time.perf_counter()
        async with self.http.post(self.url + path, data=body.encode(), headers=headers) as response:
            text = await response.text()
        return Reply(response.status, text, (time.perf_counter() - started) * 1000)

    async def signed(self, body: str, content_type: str = "application/x-www-form-urlencoded",
                     headers: dict[str, str] | None = None) -> Reply:
        return await self.post(body, {**signed_headers(self.secret, body, content_type=content_type), **(headers or {})})

    def _trigger(self) -> str:
        self.trigger += 1
        return f"{self.trigger}.{time.perf_counter_ns()}.trigger"

    def slash_body(self, text: str, *, user: tuple[str, str], team: tuple[str, str] = ("T0WOLF", "wolves"),
                   channel: tuple[str, str] = ("CWARS", "wars"), command: str = "/gmbot",
                   response_url: str | None = None) -> tuple[str, str]:
        url = response_url or self.fake.response_url()
        form = {
            "token": "deprecated", "team_id": team[0], "team_domain": team[1], "channel_id": channel[0],
            "channel_name": channel[1], "user_id": user[0], "user_name": user[1], "command": command,
            "text": text, "api_app_id": "AGMBOT", "is_enterprise_install": "false",
            "response_url": url, "trigger_id": self._trigger(),
        }
        return urllib.parse.urlencode(form), url

    async def slash(self, text: str, **kwargs: Any) -> tuple[Reply, str]:
        body, url = self.slash_body(text, **kwargs)
        return await self.signed(body), url

    async def click(self, button: dict[str, Any], *, user: tuple[str, str], team: tuple[str, str] = ("T0WOLF", "wolves"),
                    channel: tuple[str, str] = ("CWARS", "wars"), message: dict[str, Any] | None = None
                    ) -> tuple[Reply, str]:
        """A click on `button` (of `message`, which a `replace_original` answer then replaces)."""
        url = self.fake.response_url(message)
        payload = {
            "type": "block_actions", "api_app_id": "AGMBOT", "token": "deprecated", "trigger_id": self._trigger(),
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team[0]},
            "team": {"id": team[0], "domain": team[1]}, "channel": {"id": channel[0], "name": channel[1]},
            "container": {"type": "message_attachment", "message_ts": "1.1", "attachment_id": 1, "channel_id": channel[0]},
            "response_url": url,
            "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b1",
                         "value": button["value"], "text": button["text"], "action_ts": f"{time.time():.6f}"}],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.signed(body), url

    async def submit(self, view: dict[str, Any], values: dict[str, str], *, user: tuple[str, str],
                     team: tuple[str, str] = ("T0WOLF", "wolves")) -> Reply:
        """A `view_submission` of the modal `view` (as views.open kept it), `values` typed by
        block (the field's name); the reply's body is the bot's `response_action`, if any."""
        state = {block["block_id"]: {block["element"]["action_id"]: _state(block["element"], values.get(block["block_id"]))}
                 for block in view["blocks"] if block["type"] == "input"}
        payload = {
            "type": "view_submission", "api_app_id": "AGMBOT", "token": "deprecated", "trigger_id": self._trigger(),
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team[0]},
            "team": {"id": team[0], "domain": team[1]},
            "view": {**view, "state": {"values": state}, "team_id": team[0], "app_id": "AGMBOT"},
        }
        return await self.signed(urllib.parse.urlencode({"payload": json.dumps(payload)}))

    async def suggest(self, view: dict[str, Any], block_id: str, typed: str, *, user: tuple[str, str],
                      team: tuple[str, str] = ("T0WOLF", "wolves")) -> Reply:
        """A `block_suggestion`: `typed` in the external_select of block `block_id` of the open
        modal `view`; the reply's body is the bot's options."""
        element = next(b["element"] for b in view["blocks"] if b.get("block_id") == block_id)
        payload = {
            "type": "block_suggestion", "api_app_id": "AGMBOT", "token": "deprecated",
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team[0]},
            "team": {"id": team[0], "domain": team[1]}, "container": {"type": "view", "view_id": view["id"]},
            "action_id": element["action_id"], "block_id": block_id, "value": typed,
            "view": {**view, "team_id": team[0], "app_id": "AGMBOT", "state": {"values": {}}},
        }
        return await self.signed(urllib.parse.urlencode({"payload": json.dumps(payload)}))

    async def choose(self, select: dict[str, Any], label: str, *, user: tuple[str, str],
                     team: tuple[str, str] = ("T0WOLF", "wolves"), channel: tuple[str, str] = ("CWARS", "wars")
                     ) -> tuple[Reply, str]:
        """A choice of the option labelled `label` in the `static_select` element `select`."""
        option = next(o for o in select["options"] if o["text"]["text"] == label)
        url = self.fake.response_url()
        payload = {
            "type": "block_actions", "api_app_id": "AGMBOT", "token": "deprecated", "trigger_id": self._trigger(),
            "user": {"id": user[0], "username": user[1], "name": user[1], "team_id": team[0]},
            "team": {"id": team[0], "domain": team[1]}, "channel": {"id": channel[0], "name": channel[1]},
            "container": {"type": "message_attachment", "message_ts": "1.1", "attachment_id": 1, "channel_id": channel[0]},
            "response_url": url,
            "actions": [{"type": "static_select", "action_id": select["action_id"], "block_id": "b1",
                         "selected_option": option, "placeholder": select["placeholder"],
                         "action_ts": f"{time.time():.6f}"}],
        }
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return await self.signed(body), url

    async def mention(self, text: str, *, user: str, event_id: str, team: str = "T0WOLF", channel: str = "CWARS",
                      retry: int | None = None, thread_ts: str | None = None) -> Reply:
        event = {"type": "app_mention", "user": user, "text": text, "ts": f"{time.time():.6f}",
                 "channel": channel, "event_ts": f"{time.time():.6f}"}
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.event(event, event_id=event_id, team=team, retry=retry)

    async def event(self, event: dict[str, Any], *, event_id: str, team: str = "T0WOLF",
                    retry: int | None = None) -> Reply:
        """An Events API delivery (`X-Slack-Retry-Num` when `retry`), signed."""
        body = json.dumps({
            "token": "deprecated", "team_id": team, "api_app_id": "AGMBOT", "type": "event_callback",
            "event_id": event_id, "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": team, "user_id": self.fake.bot_user_id, "is_bot": True}],
        })
        extra = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return await self.signed(body, "application/json", extra)


class LogWatch(logging.Handler):
    """What the Slack front end logs, to wait on (a line, not a sleep)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self._changed = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        self._changed.set()

    def having(self, text: str) -> list[str]:
        return [m for m in self.messages if text in m]

    async def wait_for(self, text: str, within: float = 15.0) -> str:
        async with asyncio.timeout(within):
            while not self.having(text):
                self._changed.clear()
                await self._changed.wait()
        return self.having(text)[0]


@pytest.fixture
def logs() -> Iterator[LogWatch]:
    watch = LogWatch()
    logger = logging.getLogger("gmbot.slack")
    logger.addHandler(watch)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)


@dataclass
class Stack:
    live: LocalBackend
    fake: FakeSlack
    runtime: SlackRuntime
    wire: SlackWire


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@pytest.fixture
async def live() -> AsyncIterator[LocalBackend]:
    async with local_backend(application, clients={"DISCORD-BFF": "discord", CLIENT: "slack"}) as backend:
        yield backend


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    fake = await FakeSlack().start()
    # Wolves (T0WOLF, the fake's own workspace) and Bears: a mention must name a member of the command's workspace
    for user_id, name, team in (("UALICE", "alice", "T0WOLF"), ("UBOB", "bob", "T0WOLF"),
                                ("UBRUNO", "bruno", "T0BEAR"), ("UCARL", "carl", "T0BEAR")):
        fake.add_user(user_id, name, team)
    yield fake
    await fake.stop()


@pytest.fixture
async def stack(spec: BotSpec, live: LocalBackend, fake: FakeSlack) -> AsyncIterator[Stack]:
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    runtime = SlackRuntime(spec, backend)
    app = build_app(runtime, signing_secret=SECRET, token=TOKEN, api_url=fake.api_url)
    runner, url = await serve(web_app(app))
    async with aiohttp.ClientSession() as http:
        yield Stack(live, fake, runtime, SlackWire(url, fake, http))
    await runner.cleanup()
    await runtime.aclose()
    await backend.aclose()
