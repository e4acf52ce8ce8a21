"""`gmbot chat`: the offline playground. Type bot commands, read the cards.

Each input line is one of:
  as <user> in <server>   switch who types, and in which server (joining it)
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

_MENTION = re.compile(r"^(<@!?\d+>|@\S+)$")  # as typed here: "@alice", or pasted: "<@123>"
_AS = re.compile(r"^as\s+(\S+)\s+in\s+(.+?)\s*$", re.IGNORECASE)


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
    def __init__(self, core: Core, out: TextIO) -> None:
        self.core = core
        self.out = out
        self.prefix = core.spec.bot.prefix
        self.run_id = uuid.uuid4().hex[:8]
        self.counter = 0
        self.servers: dict[str, Person] = {}  # lower-cased name -> server
        self.channels: dict[str, Person] = {}  # server id -> its channel
        self.users: dict[str, Person] = {}
        self.members: dict[str, set[str]] = {}  # server id -> user ids
        self.user: Person | None = None
        self.server: Person | None = None
        self.buttons: dict[str, RenderedCard] = {}  # server id -> last card with buttons
        self.last_war: str | None = None
        self.events = EventConsumer(core, core.backend, MemoryCursor(), self._show_event, wait=0, limit=100)

    # -- who is who ----------------------------------------------------------------------
    def _id(self, base: int, count: int) -> str:
        return str(base + count + 1)

    def switch(self, user_name: str, server_name: str) -> None:
        key = server_name.lower()
        if key not in self.servers:
            server = Person(self._id(700_000_000_000_000_000, len(self.servers) << 22), server_name)
            self.servers[key] = server
            self.channels[server.id] = Person(self._id(900_000_000_000_000_000, len(self.channels)), "general")
            self.members[server.id] = set()
        user_key = user_name.lstrip("@").lower()
        if user_key not in self.users:
            self.users[user_key] = Person(self._id(800_000_000_000_000_000, len(self.users)), user_name.lstrip("@"))
        self.server, self.user = self.servers[key], self.users[user_key]
        self.members[self.server.id].add(self.user.id)
        self.print(f"-- {self.user.name} in {self.server.name}")

    async def resolve(self, token: str) -> Person | None:
        if not _MENTION.match(token):
            raise NotAMention(token)
        if self.server is None:
            return None
        name = token.lstrip("@").lower()
        person = self.users.get(name) or next((u for u in self.users.values() if f"<@{u.id}>" == token), None)
        return person if person is not None and person.id in self.members[self.server.id] else None

    def invocation(self) -> Invocation:
        assert self.user is not None and self.server is not None
        self.counter += 1
        return Invocation("discord", author=self.user, server=self.server, channel=self.channels[self.server.id],
                          mentions=(), id=f"chat-{self.run_id}-{self.counter}")

    # -- output ----------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, card: RenderedCard, server_id: str) -> None:
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
        self.print(f"  >> {event.get('type')} in {server.name} #{self.channels[server_id].name}:")
        self.show(card, server_id)

    async def skip_old_events(self) -> None:
        """Start after whatever the feed already holds (a shared backend)."""
        if not self.core.spec.events:  # no event cards: the feed has no route (generated/chat/routes.py)
            return
        route = self.core.backend.route(EVENTS_OPERATION)
        while True:
            after = self.events.cursor.load()
            reply = await self.core.backend.call(HttpRequest(EVENTS_OPERATION, route.method, route.path,
                                                             query={"after": after, "wait": 0, "limit": 100}))
            body = reply.body if isinstance(reply.body, dict) else {}
            if not body.get("items") or not isinstance(body.get("next"), int) or body["next"] <= after:
                return
            self.events.cursor.save(body["next"])

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
            self.switch(switch.group(1), switch.group(2))
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
        elif word.lower() == self.prefix.lower():
            name, _, args = rest.strip().partition(" ")
            outcome = await self.core.run_prefix(name, args, self.invocation(), self.resolve)
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
        outcome = await self.core.click(button.custom_id, self.invocation())
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
            while await self.events.poll(wait=0):
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
