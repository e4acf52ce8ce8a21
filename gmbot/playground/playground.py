"""`gmbot chat`: the offline playground. Type bot commands, read the cards.

Each input line is one of:
  as <user> in <server> [on slack]
                          switch who types, and in which server (joining it); `on slack`
                          makes the server a Slack workspace, whose cards print as
                          Slack shows them (Block Kit), and `/gmbot ...` works there too
  click <button label>    click a button of the last card with buttons here
  wait <seconds>          let time pass (wars end), then show new events
  # a comment             echoed as is
  anything else           a message in the server's channel; `gmbot ...` runs a
                          command through the same parsing and request building
                          as Discord prefix commands; other chat is ignored.
`{war}` in a line stands for the id of the last war shown.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

from gmbot.chat.cards import RenderedCard, card_to_text
from gmbot.chat.core import Core, Invocation
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.chat.options import NotAMention, Person
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import EVENTS_OPERATION
from gmbot.slack.blocks import card_to_message, message_to_text

# as typed here: "@alice", or pasted: Discord's "<@123>", Slack's "<@U123>" / "<@U123|alice>"
_MENTION = re.compile(r"^(<@!?\d+>|<@[UW][A-Z0-9]+(?:\|[^>]*)?>|@\S+)$")
_AS = re.compile(r"^as\s+(\S+)\s+in\s+(.+?)(?:\s+on\s+(discord|slack))?\s*$", re.IGNORECASE)
DISCORD, SLACK = "discord", "slack"


# what a new id looks like: Discord snowflakes, Slack's T.../U.../C... (the backend keeps
# each platform's ids apart anyway)
_DISCORD_BASE = {"server": 700_000_000_000_000_000, "user": 800_000_000_000_000_000, "channel": 900_000_000_000_000_000}
_SLACK_LETTER = {"server": "T", "user": "U", "channel": "C"}


def new_id(platform: str, kind: str, count: int) -> str:
    if platform == SLACK:
        return f"{_SLACK_LETTER[kind]}{count + 1:08d}"
    return str(_DISCORD_BASE[kind] + (count << 22 if kind == "server" else count) + 1)

class MemoryCursor(CursorStore):
    def __init__(self) -> None:
        self.value = 0

    def load(self) -> int:
        return self.value

    def save(self, cursor: int) -> None:
        self.value = cursor


def indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


class Playground:
    def __init__(self, core: Core, out: TextIO, *, slack: Core | None = None) -> None:
        """`core` talks to the backend as the Discord bot; `slack`, when given, as the Slack bot
        (its own key: the backend keeps each platform's clans, users and events apart)."""
        self.core = core
        self.cores = {DISCORD: core, **({SLACK: slack} if slack is not None else {})}
        self.out = out
        self.prefix = core.spec.bot.prefix
        self.run_id = uuid.uuid4().hex[:8]
        self.counter = 0
        self.servers: dict[str, Person] = {}  # "platform:lower-cased name" -> server
        self.platform_of: dict[str, str] = {}  # server id -> its platform
        self.channels: dict[str, Person] = {}  # server id -> its channel
        self.users: dict[str, Person] = {}
        self.members: dict[str, set[str]] = {}  # server id -> user ids
        self.user: Person | None = None
        self.server: Person | None = None
        self.buttons: dict[str, RenderedCard] = {}  # server id -> last card with buttons
        self.last_war: str | None = None
        # one reader: the transcript in event order (in_order), not one lane per channel
        self.feeds = {name: EventConsumer(c, c.backend, MemoryCursor(), self._show_event, wait=0, limit=100,
                                          in_order=True)
                      for name, c in self.cores.items()}
        self.events = self.feeds[DISCORD]

    # -- who is who ----------------------------------------------------------------------
    @property
    def platform(self) -> str:
        return self.platform_of.get(self.server.id, DISCORD) if self.server else DISCORD

    def switch(self, user_name: str, server_name: str, platform: str = DISCORD) -> None:
        if platform not in self.cores:
            self.print(f"!! no {platform} bot here (it needs its own API key)")
            return
        key = f"{platform}:{server_name.lower()}"
        if key not in self.servers:
            server = Person(new_id(platform, "server", len(self.servers)), server_name)
            self.servers[key] = server
            self.platform_of[server.id] = platform
            self.channels[server.id] = Person(new_id(platform, "channel", len(self.channels)), "general")
            self.members[server.id] = set()
        user_key = f"{platform}:{user_name.lstrip('@').lower()}"
        if user_key not in self.users:
            self.users[user_key] = Person(new_id(platform, "user", len(self.users)), user_name.lstrip("@"))
        self.server, self.user = self.servers[key], self.users[user_key]
        self.members[self.server.id].add(self.user.id)
        self.print(f"-- {self.user.name} in {self.server.name}" + (" (on Slack)" if platform == SLACK else ""))

    async def resolve(self, token: str) -> Person | None:
        if not _MENTION.match(token):
            raise NotAMention(token)
        if self.server is None:
            return None
        name = f"{self.platform}:{token.lstrip('@').lower()}"
        user_id = token.strip("<@!>").split("|")[0]
        person = self.users.get(name) or next((u for u in self.users.values() if u.id == user_id), None)
        return person if person is not None and person.id in self.members[self.server.id] else None

    def invocation(self) -> Invocation:
        assert self.user is not None and self.server is not None
        self.counter += 1
        return Invocation(self.platform, author=self.user, server=self.server, channel=self.channels[self.server.id],
                          mentions=(), id=f"chat-{self.run_id}-{self.counter}")

    # -- output ----------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, card: RenderedCard, server_id: str) -> None:
        if self.platform_of.get(server_id) == SLACK:
            self.print(indent(message_to_text(card_to_message(card))))  # as Slack lays out the blocks
        else:
            self.print(indent(card_to_text(card)))
        if any(b.custom_id for b in card.buttons):
            self.buttons[server_id] = card

    def remember_war(self, body: Any) -> None:
        if isinstance(body, dict) and "host" in body and isinstance(body.get("id"), str):
            self.last_war = body["id"]

    async def _show_event(self, event: Mapping[str, Any], card: RenderedCard) -> None:
        server_id = str(event.get("serverId"))
        server = next((s for s in self.servers.values() if s.id == server_id), None)
        if server is None:
            return
        data = event.get("data")
        self.remember_war(data.get("war") if isinstance(data, dict) else None)
        where = " (Slack)" if self.platform_of.get(server_id) == SLACK else ""
        self.print(f"  >> {event.get('type')} in {server.name}{where} #{self.channels[server_id].name}:")
        self.show(card, server_id)

    async def skip_old_events(self) -> None:
        """Start after whatever the feeds already hold (a shared backend)."""
        if not self.core.spec.events:  # no event cards: the feed has no route (generated/chat/routes.py)
            return
        for feed in self.feeds.values():
            route = feed.backend.route(EVENTS_OPERATION)
            while True:
                after = feed.cursor.load()
                reply = await feed.backend.call(HttpRequest(EVENTS_OPERATION, route.method, route.path,
                                                            query={"after": after, "wait": 0, "limit": 100}))
                body = reply.body if isinstance(reply.body, dict) else {}
                if not body.get("items") or not isinstance(body.get("next"), int) or body["next"] <= after:
                    break
                feed.cursor.save(body["next"])

    # -- input ---------------------------------------------------------------------------
    async def line(self, raw: str) -> None:
        text = raw.strip()
        if not text:
            return
        if text.startswith("#"):
            self.print(text)
            return
        if self.last_war:
            text = text.replace("{war}", self.last_war)
        switch = _AS.match(text)
        if switch:
            self.switch(switch.group(1), switch.group(2), (switch.group(3) or DISCORD).lower())
            return
        if self.user is None or self.server is None:
            self.print("!! start with a line `as <user> in <server>`")
            return
        self.print(f"{self.user.name}@{self.server.name}> {text}")
        word, _, rest = text.partition(" ")
        if word.lower() == "click":
            await self.click(rest.strip())
        elif word.lower() == "wait":
            await self.wait(rest.strip())
        elif word.lower() == self.prefix.lower() or (self.platform == SLACK and word.lower() == f"/{self.prefix.lower()}"):
            name, _, args = rest.strip().partition(" ")
            outcome = await self.cores[self.platform].run_prefix(name, args, self.invocation(), self.resolve)
            self.remember_war(outcome.body)
            self.show(outcome.card, self.server.id)
        else:
            return  # ordinary chat: the bot ignores it
        await self.poll_events()

    async def click(self, label: str) -> None:
        assert self.server is not None
        card = self.buttons.get(self.server.id)
        button = next((b for b in (card.buttons if card else []) if b.label.lower() == label.lower() and b.custom_id), None)
        if button is None or button.custom_id is None:
            self.print(f"  !! no button [{label}] on the last card here")
            return
        outcome = await self.cores[self.platform].click(button.custom_id, self.invocation())
        self.show(outcome.card, self.server.id)

    async def wait(self, seconds: str) -> None:
        try:
            delay = float(seconds.rstrip("s") or 1)
        except ValueError:
            self.print("  !! wait <seconds>")
            return
        await asyncio.sleep(delay)

    async def poll_events(self) -> None:
        if not self.core.spec.events:
            return
        try:
            for feed in self.feeds.values():
                while await feed.poll(wait=0):
                    pass
        except Exception as error:  # the feed is best effort here: the reply was shown
            self.print(f"  !! events unavailable: {error}")

    async def run(self, lines: Iterable[str]) -> None:
        await self.skip_old_events()
        for raw in lines:
            await self.line(raw)

    async def run_stream(self, stream: TextIO) -> None:
        """Line by line as typed: the backend keeps serving while we wait for input."""
        await self.skip_old_events()
        while raw := await asyncio.to_thread(stream.readline):
            await self.line(raw)
