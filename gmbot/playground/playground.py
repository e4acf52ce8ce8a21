"""`gmbot chat`: the offline playground. Type bot commands, read the cards.

Each input line is one of:
  as <user> in <server> [on <platform>] [speaking <locale>]
                          switch who types, and in which server (joining it); `on <platform>`
                          (any registered platform, default the first) makes it a server of
                          that platform: its commands run as that platform's bot, and its
                          cards print as that platform shows them; `speaking es` is the
                          user's language as their platform would send it (`es-ES`, `pt-BR`
                          work too): replies to them come in it. Without it, replies come in
                          the clan's language (`gmbot setup -language es`), as event cards do
  click <button label>    click a button of the last card with buttons here
  fill name=value ...     send the form asked here (gmbot/playground/forms.py); while a form
                          is open, other lines answer its fields one by one, `cancel` closes it
  menu "<entry>" on @user pick a context-menu entry (spec `menus:`) on a member of the server
  menu "<entry>" on message @user: <text>
                          ... or on a message that member wrote; as the server's platform
                          offers it (an entry its platform has no menu for is refused)
  choose <select> <option>
                          choose an option of a select of that card: the select by its
                          number (1, 2...) or the first word of its placeholder, the option
                          by its label (`choose subscribe fortnite`, `choose 1 zyo8 vs bears`)
  wait <seconds>          let time pass (wars end), then show new events
  # a comment             echoed as is
  anything else           a message in the server's channel; `gmbot ...` runs a
                          command (so does `/gmbot ...`) through the same parsing
                          and request building as the bots' prefix commands; other
                          chat is ignored.
`{war}` in a line stands for the id of the last war shown.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TextIO

from gmbot.chat import menus
from gmbot.chat.core import BUTTON_PREFIX, Core
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.chat.options import NotAMention
from gmbot.chat.request import HttpRequest
from gmbot.chat.routes import EVENTS_OPERATION
from gmbot.chat.selects import choice_id
from gmbot.chat.vocabulary import Invocation, Outcome, Person, Place, RenderedCard
from gmbot.platforms import Platform, names, platform
from gmbot.playground.forms import Forms
from gmbot.spec.model import MenuTarget

# as typed here: "@alice", or pasted as a platform writes a mention: "<@123>", "<@!123>",
# "<@U123|alice>" (the ids are the platform's own: see Platform.fake_id)
_MENTION = re.compile(r"^(<@!?[A-Za-z0-9]+(?:\|[^>]*)?>|@\S+)$")
# `menu "Clan profile" on @bob`, `menu "Clan profile" on message @bob: gg`
_MENU = re.compile(r'^"([^"]+)"\s+on\s+(message\s+)?(\S+?):?(?:\s+(.*))?$', re.IGNORECASE)


def _as_line() -> re.Pattern[str]:
    """`as <user> in <server> [on <platform>]`, for the registered platforms: a server
    named "Wolves on fire" stays a server name."""
    registered = "|".join(re.escape(name) for name in names())
    return re.compile(rf"^as\s+(\S+)\s+in\s+(.+?)(?:\s+on\s+({registered}))?(?:\s+speaking\s+([A-Za-z0-9_-]+))?\s*$",
                      re.IGNORECASE)


def as_text(side: Platform) -> Callable[[RenderedCard], str]:
    """A card as `side` shows it, read back as text: its message converter, then its reader."""
    to_message, message_to_text = side.load(side.to_message), side.load(side.message_to_text)
    return lambda card: str(message_to_text(to_message(card)))


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
    def __init__(self, cores: Mapping[str, Core], out: TextIO) -> None:
        """`cores`: by platform name, the Core that talks to the backend as that platform's bot
        (its own client and key: the backend keeps each platform's clans, users and events
        apart). The first registered platform among them is where `as ... in ...` plays."""
        if not cores:
            raise ValueError("the playground needs the Core of at least one platform")
        self.cores = dict(cores)
        self.default = next((name for name in names() if name in self.cores), next(iter(self.cores)))
        self.core = self.cores[self.default]
        self.sides = {name: platform(name) for name in self.cores}
        self.texts = {name: as_text(side) for name, side in self.sides.items()}
        self.as_line = _as_line()
        self.out = out
        self.prefix = self.core.spec.bot.prefix
        self.run_id = uuid.uuid4().hex[:8]
        self.counter = 0
        self.servers: dict[str, Place] = {}  # "platform:lower-cased name" -> server
        self.platform_of: dict[str, str] = {}  # server id -> its platform
        self.channels: dict[str, Place] = {}  # server id -> its channel
        self.users: dict[str, Person] = {}
        self.speaking: dict[str, str] = {}  # user id -> the language their platform would send
        self.members: dict[str, set[str]] = {}  # server id -> user ids
        self.user: Person | None = None
        self.server: Place | None = None
        self.buttons: dict[str, RenderedCard] = {}  # server id -> last card with buttons
        self.last_war: str | None = None
        self.forms = Forms(self.print)  # the form open for each (server, user)
        # one reader: the transcript in event order (in_order), not one lane per channel
        self.feeds = {name: EventConsumer(c, c.backend, MemoryCursor(), self._show_event, wait=0, limit=100,
                                          in_order=True)
                      for name, c in self.cores.items()}

    # -- who is who ----------------------------------------------------------------------
    @property
    def platform(self) -> str:
        return self.platform_of.get(self.server.id, self.default) if self.server else self.default

    def elsewhere(self, name: str) -> str:
        """How a server's platform is noted: nothing for the default one."""
        return "" if name == self.default else self.sides[name].title

    def switch(self, user_name: str, server_name: str, name: str | None = None, locale: str | None = None) -> None:
        name = name or self.default
        if name not in self.cores:
            self.print(f"!! no {name} bot here (it needs its own API key)")
            return
        new_id = self.sides[name].fake_id
        key = f"{name}:{server_name.lower()}"
        if key not in self.servers:
            server = Place(new_id("server", len(self.servers)), server_name)
            self.servers[key] = server
            self.platform_of[server.id] = name
            self.channels[server.id] = Place(new_id("channel", len(self.channels)), "general")
            self.members[server.id] = set()
        user_key = f"{name}:{user_name.lstrip('@').lower()}"
        if user_key not in self.users:
            self.users[user_key] = Person(new_id("user", len(self.users)), user_name.lstrip("@"))
        self.server, self.user = self.servers[key], self.users[user_key]
        self.members[self.server.id].add(self.user.id)
        if locale:
            self.speaking[self.user.id] = locale
        where = self.elsewhere(name)
        speaks = self.speaking.get(self.user.id)
        self.print(f"-- {self.user.name} in {self.server.name}" + (f" (on {where})" if where else "")
                   + (f" speaking {speaks}" if speaks else ""))

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
                          mentions=(), id=f"chat-{self.run_id}-{self.counter}", locale=self.speaking.get(self.user.id))

    # -- output ----------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def show(self, card: RenderedCard, server_id: str) -> None:
        # as the server's platform shows the card (its own message, read back as text)
        self.print(indent(self.texts[self.platform_of.get(server_id, self.default)](card)))
        if any(b.custom_id for b in card.buttons) or any(m.custom_id for m in card.selects):
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
        where = self.elsewhere(self.platform_of[server_id])
        self.print(f"  >> {event.get('type')} in {server.name}{f' ({where})' if where else ''}"
                   f" #{self.channels[server_id].name}:")
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
        switch = self.as_line.match(text)
        if switch:
            self.switch(switch.group(1), switch.group(2), (switch.group(3) or self.default).lower(), switch.group(4))
            return
        if self.user is None or self.server is None:
            self.print("!! start with a line `as <user> in <server>`")
            return
        self.print(f"{self.user.name}@{self.server.name}> {text}")
        word, _, rest = text.partition(" ")
        key = (self.server.id, self.user.id)
        if word.lower() not in (self.prefix.lower(), f"/{self.prefix.lower()}") and \
                await self.forms.answer(key, text, self.cores[self.platform], self.invocation(), self.resolve,
                                        self.shown):
            await self.poll_events()
            return
        if word.lower() == "click":
            await self.click(rest.strip())
        elif word.lower() == "menu":
            await self.menu(rest.strip())
        elif word.lower() == "choose":
            await self.choose(rest.strip())
        elif word.lower() == "wait":
            await self.wait(rest.strip())
        elif word.lower() in (self.prefix.lower(), f"/{self.prefix.lower()}"):  # `/gmbot`: a slash command
            name, _, args = rest.strip().partition(" ")
            outcome = await self.cores[self.platform].run_prefix(name, args, self.invocation(), self.resolve)
            await self.shown(outcome, typed=True)
        else:
            return  # ordinary chat: the bot ignores it
        await self.poll_events()

    async def click(self, label: str) -> None:
        assert self.server is not None
        card = self.buttons.get(self.server.id)
        button = next((b for b in (card.buttons if card else []) if _label(b.label) == _label(label) and b.custom_id),
                      None)
        if button is None or button.custom_id is None:
            self.print(f"  !! no button [{label}] on the last card here")
            return
        outcome = await self.cores[self.platform].click(button.custom_id, self.invocation())
        await self.shown(outcome)

    async def shown(self, outcome: Outcome, typed: bool = False) -> None:
        """A command's, a click's or a form's outcome, as this server's chat shows it."""
        assert self.server is not None and self.user is not None
        self.remember_war(outcome.body)
        if outcome.kind == "form" and outcome.form is not None:  # asked here, field by field
            self.forms.show((self.server.id, self.user.id), outcome.form)
            return
        if outcome.replaces:  # a page button, a confirmation's answer: the chat edits the card clicked
            self.print("  (the card above, edited in place:)")
        if outcome.only_author and typed:  # `private: true` in the spec: the chat shows it to the author alone
            self.print(f"  (only {self.user.name} sees this:)")
        self.show(outcome.card, self.server.id)

    async def menu(self, typed: str) -> None:
        """`menu "Clan profile" on @bob` (a member's menu) or `... on message @bob: gg` (a message's)."""
        found = _MENU.match(typed)
        if found is None:
            self.print('  !! menu "<entry>" on @user, or menu "<entry>" on message @user: <text>')
            return
        label, on_message, who, text = found.groups()
        target = MenuTarget.MESSAGE if on_message else MenuTarget.MEMBER
        core = self.cores[self.platform]
        local = {t.casefold(): e.menu.name for e in menus.entries(core.spec) for c in core.locales.catalogs.values()
                 if (t := c.translated(menus.MENU, e.menu.name))}  # "Perfil del clan" picks "Clan profile"
        entry = menus.by_name(core.spec, label, target, local)
        side = self.sides[self.platform]
        if entry is None:
            self.print(f"  !! no {target.value} menu entry '{label}'")
            return
        if target.value not in side.menu_targets:
            self.print(f"  !! {side.title} has no {target.value}'s menu: '{label}' is not offered there")
            return
        parts = {"member": who} if target is MenuTarget.MEMBER else {"author": who, "text": text or None}
        outcome = await core.run(entry.command.name, menus.raw_options(entry.menu, parts), self.invocation(),
                                 self.resolve)
        if outcome.only_author:
            self.print(f"  (only {self.user.name if self.user else '?'} sees this:)")
        assert self.server is not None
        self.show(outcome.card, self.server.id)

    async def choose(self, words: str) -> None:
        """`choose <select> <option>`: as the chat sends a choice, the select's id with the value."""
        assert self.server is not None
        card = self.buttons.get(self.server.id)
        menus = [m for m in (card.selects if card else []) if m.custom_id]
        which, _, label = words.partition(" ")
        menu = next((m for i, m in enumerate(menus, 1)
                     if which == str(i) or (_label(which) and _label(m.placeholder).startswith(_label(which)))), None)
        option = next((o for o in (menu.options if menu else []) if _label(o.label) == _label(label)), None)
        if menu is None or menu.custom_id is None or option is None:
            shown = "; ".join(f"{i}. {m.placeholder}: {', '.join(o.label for o in m.options)}"
                              for i, m in enumerate(menus, 1))
            self.print(f"  !! no option [{label}] in a select [{which}] on the last card here"
                       + (f" (its selects: {shown})" if shown else ""))
            return
        custom_id = choice_id(menu.custom_id, option.value, BUTTON_PREFIX)
        outcome = await self.cores[self.platform].click(custom_id, self.invocation())
        if outcome.replaces:  # a confirmation's answer: the chat edits the prompt
            self.print("  (the card above, edited in place:)")
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


def _label(text: str) -> str:
    """A button's label as `click` matches it: letters and digits only (`click next` presses
    [Next ▶])."""
    return "".join(c for c in text.lower() if c.isalnum())
