"""A Discord-compatible test server: REST and gateway on 127.0.0.1, for py-cord's own code.

Checked with py-cord 2.8.1 (Discord API v10). It speaks just enough of Discord's
documented protocol for a bot: gateway discovery, `users/@me`, application info and
commands, channels and messages, guild members, interaction callbacks and webhook
follow-ups; and the gateway websocket (HELLO, IDENTIFY, READY, GUILD_CREATE,
heartbeats, RESUME with replay, zlib-stream compression when the client asks for it).

    async with FakeDiscord() as discord:                     # or: await FakeDiscord().start(port)
        wolves = discord.add_guild("Wolves", members=["alice", "bob"], channels=["wars"])
        ...start a bot with DISCORD_API_BASE_URL=discord.api_url, DISCORD_TOKEN=discord.token...
        session = await discord.wait_for_session()           # a shard identified (READY sent)
        interaction = await discord.slash(wolves, "alice", "games", limit=5)
        reply = await discord.reply_to(interaction)          # the message the user sees
        await discord.say(wolves, "bob", "gmbot help")       # MESSAGE_CREATE
        message = await discord.wait_for_message(wolves.channel("wars"))
        await discord.click(wolves, "alice", message, "We won")

The world: `add_guild(name, members=, channels=, shard=, shard_count=)` -> `Guild`
(`.channel(name)`, `.member(name)`, ids are snowflakes: a guild made for shard `s` of `n`
has `(id >> 22) % n == s`), `add_user`, `add_member`; `commands[guild_id or None]` are the
registered commands (written by `gmbot sync-commands`), `messages[channel_id]` the posts.

What the bot did: `calls` (every REST request: `Call(method, path, query, body, headers,
status, at)`, status 0 when the connection was dropped), `find_calls(method, path_regex,
since=, where=)`, `await wait_for_call(...)`, `mark()` (an index for `since=`), `sessions`
(gateway connections: `identify`, `shard`, `sent`, `received`, `resumed_from`),
`wait_until(check)` (re-checked after every call and gateway message).

Faults, per route (`path` a regular expression below the API base):
- `fail(method, path, status, times=1 | for_seconds=)`: 403, 404, 500... `status=429,
  retry_after=s` is Discord's rate limit (py-cord waits and retries itself); `status=429`
  without it is Cloudflare's (no `Via` header: py-cord raises at once); `status=None`
  drops the connection without an answer. `slow(method, path, seconds)` answers late.
  `heal()` removes them all.
- Start-up and recovery (issue 12): `reject_token = True` answers 401 to every REST call
  and closes IDENTIFY with 4004; `await pause()` closes the gateway and stops listening
  (connections are refused) until `await resume()` listens again on the same port;
  `await close_gateway(code, shard=)` closes the open sessions with a close code (4014
  disallowed intents, 4004, 4000 resumable...); `await send_op(op, data)` sends a raw
  opcode (7 RECONNECT, 9 INVALID_SESSION); `allow_token(t)` makes another token valid, to
  tell several bot processes apart by their Authorization header.
- Duplicates: `await redeliver(guild, "MESSAGE_CREATE", message)` dispatches an event again
  (as a RESUME replay may).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import mimetypes
import re
import time
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

API_VERSION = 10
PYCORD_CHECKED = "2.8.1"
DISCORD_EPOCH_MS = 1420070400000
HEARTBEAT_INTERVAL_MS = 41250
ALL_PERMISSIONS = str((1 << 50) - 1)

# gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes)
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 0, 1, 2, 6, 7, 9, 10, 11
# interaction callback types
CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 4, 5, 6, 7
AS_USUAL = 0  # a Fault status: answer normally (after its delay)
EPHEMERAL, LOADING = 1 << 6, 1 << 7  # message flags
# interaction types
APPLICATION_COMMAND, MESSAGE_COMPONENT, APPLICATION_COMMAND_AUTOCOMPLETE = 2, 3, 4
AUTOCOMPLETE_RESULT = 8  # the callback answering an autocomplete interaction
MODAL = 9  # the callback showing a modal (a form); its submit is a MODAL_SUBMIT interaction
MODAL_SUBMIT = 5
# a modal's limits, as Discord checks them (title, custom_id, text inputs, label, placeholder, value)
MODAL_TITLE_MAX, CUSTOM_ID_MAX, MODAL_INPUTS_MAX, INPUT_LABEL_MAX, INPUT_PLACEHOLDER_MAX, INPUT_VALUE_MAX = \
    45, 100, 5, 45, 100, 4000
CHOICES_MAX = 25

_ids = itertools.count(1)


def _modal_fits(data: dict[str, Any]) -> bool:
    """A modal as Discord accepts it: within its limits, text inputs in action rows."""
    inputs = [c for row in data.get("components") or [] for c in row.get("components") or []]
    return (1 <= len(str(data.get("title", ""))) <= MODAL_TITLE_MAX and 1 <= len(str(data.get("custom_id", "")))
            <= CUSTOM_ID_MAX and 1 <= len(inputs) <= MODAL_INPUTS_MAX
            and all(c.get("type") == 4 and 1 <= len(str(c.get("label", ""))) <= INPUT_LABEL_MAX
                    and len(str(c.get("placeholder") or "")) <= INPUT_PLACEHOLDER_MAX
                    and len(str(c.get("value") or "")) <= INPUT_VALUE_MAX
                    and int(c.get("max_length") or 1) <= INPUT_VALUE_MAX for c in inputs))


def snowflake(shard: int | None = None, shard_count: int = 1) -> int:
    """A fresh id; with `shard`, one whose guild lives on that shard: `(id >> 22) % shard_count`."""
    ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
    if shard is not None:
        ms += (shard - ms % shard_count) % shard_count
    return (ms << 22) | (next(_ids) & 0x3FFFFF)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


# -- the world: users, guilds, channels --------------------------------------------------------
@dataclass
class User:
    id: int
    name: str
    bot: bool = False
    locale: str = "en-US"  # the language of their Discord client: every interaction of theirs carries it

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "username": self.name, "global_name": self.name, "discriminator": "0",
                "avatar": None, "bot": self.bot, "public_flags": 0}


@dataclass
class Channel:
    id: int
    name: str
    guild_id: int

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": 0, "name": self.name, "guild_id": str(self.guild_id),
                "position": 0, "permission_overwrites": [], "nsfw": False, "parent_id": None,
                "topic": None, "last_message_id": None, "rate_limit_per_user": 0}


@dataclass
class Guild:
    id: int
    name: str
    owner: User
    channels: dict[str, Channel] = field(default_factory=dict)
    members: dict[str, User] = field(default_factory=dict)

    def channel(self, name: str | None = None) -> Channel:
        return self.channels[name] if name else next(iter(self.channels.values()))

    def member(self, name: str) -> User:
        return self.members[name]

    def member_json(self, user: User) -> dict[str, Any]:
        return {"user": user.to_json(), "nick": None, "roles": [], "joined_at": _now(), "deaf": False,
                "mute": False, "flags": 0, "pending": False, "permissions": ALL_PERMISSIONS}

    def to_json(self, bot: User) -> dict[str, Any]:
        """GUILD_CREATE: without the GUILD_MEMBERS intent Discord sends only the bot's own member."""
        return {
            "id": str(self.id), "name": self.name, "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(self.owner.id), "afk_channel_id": None, "afk_timeout": 300,
            "verification_level": 0, "default_message_notifications": 0, "explicit_content_filter": 0,
            "roles": [{"id": str(self.id), "name": "@everyone", "permissions": ALL_PERMISSIONS, "position": 0,
                       "color": 0, "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
                       "hoist": False, "managed": False, "mentionable": False, "flags": 0}],
            "emojis": [], "stickers": [], "features": [], "mfa_level": 0, "system_channel_id": None,
            "system_channel_flags": 0, "rules_channel_id": None, "vanity_url_code": None, "description": None,
            "banner": None, "premium_tier": 0, "preferred_locale": "en-US", "public_updates_channel_id": None,
            "nsfw_level": 0, "premium_progress_bar_enabled": False,
            "joined_at": _now(), "large": False, "unavailable": False, "member_count": len(self.members) + 1,
            "voice_states": [], "members": [self.member_json(bot)], "presences": [], "threads": [],
            "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
            "channels": [c.to_json() for c in self.channels.values()],
        }


# -- what the bot did ---------------------------------------------------------------------------
@dataclass
class Call:
    """One REST request the bot made, and what the fake answered (0: the connection was dropped)."""

    method: str
    path: str  # below the API base, e.g. /channels/77/messages
    query: dict[str, str]
    body: Any  # JSON, or the payload_json of a multipart body
    headers: dict[str, str]
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """Answer matching requests with `status` (None: drop the connection) `times` times
    (None: until `until`, a monotonic deadline, or forever)."""

    method: str
    path: re.Pattern[str]
    status: int | None
    body: Any = None
    retry_after: float | None = None
    times: int | None = 1
    until: float | None = None
    delay: float = 0.0  # seconds to wait before answering

    def matches(self, method: str, path: str) -> bool:
        if self.until is not None and time.monotonic() >= self.until:
            return False
        if self.times is not None and self.times <= 0:
            return False
        return self.method in ("*", method) and self.path.fullmatch(path) is not None


@dataclass
class Interaction:
    id: int
    token: str
    payload: dict[str, Any]
    response_type: int | None = None  # the callback's type, once answered
    original: dict[str, Any] | None = None  # the response message (or the deferral's "thinking" one)
    replies: list[dict[str, Any]] = field(default_factory=list)  # the messages users see, in order
    choices: list[dict[str, Any]] | None = None  # an autocomplete's answer
    modal: dict[str, Any] | None = None  # the modal it was answered with (callback 9)
    created: float = field(default_factory=time.perf_counter)  # when it was dispatched
    answered: float | None = None  # when its callback came (perf_counter)


@dataclass
class Session:
    """One gateway connection."""

    ws: web.WebSocketResponse
    compress: Any | None  # a zlib compressobj when the client asked for zlib-stream
    number: int
    shard: tuple[int, int] = (0, 1)
    identify: dict[str, Any] | None = None
    resumed_from: str | None = None
    session_id: str = ""
    seq: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, payload: dict[str, Any]) -> None:
        if self.ws.closed:
            return
        text = json.dumps(payload)
        if self.compress is None:
            await self.ws.send_str(text)
        else:
            await self.ws.send_bytes(self.compress.compress(text.encode()) + self.compress.flush(zlib.Z_SYNC_FLUSH))

    async def dispatch(self, event: str, data: Any) -> None:
        self.seq += 1
        payload = {"op": DISPATCH, "t": event, "s": self.seq, "d": data}
        self.sent.append(payload)
        await self.send(payload)


class FakeDiscord:
    def __init__(self, *, token: str = "fake-bot-token", shard_count: int = 1, bot_name: str = "Gmbot") -> None:
        self.token = token
        self.tokens = {token}  # every token that authenticates this bot (`allow_token`)
        self.shard_count = shard_count  # what GET /gateway/bot recommends
        self.application_id = snowflake()
        self.bot = User(self.application_id, bot_name, bot=True)
        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.commands: dict[int | None, list[dict[str, Any]]] = {None: []}  # guild id (None: global) -> registered
        self.messages: dict[int, list[dict[str, Any]]] = {}  # channel id -> messages posted
        self.uploads: dict[str, bytes] = {}  # an attachment's URL -> the file's bytes, as uploaded
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.sessions: list[Session] = []
        self.interactions: dict[str, Interaction] = {}  # token -> interaction
        self.reject_token = False  # answer 401 to every REST call and 4004 to IDENTIFY
        self.port = 0
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # -- life ------------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeDiscord:
        app = web.Application()
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v{version}/{path:.*}", self._rest)
        # like Discord, finish a request whose client went away (a message is still created)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=False)
        await self._runner.setup()
        await self.resume(port)
        return self

    async def resume(self, port: int | None = None) -> None:
        """Listen (again, on the same port after `pause`)."""
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port if port is None else port)
        await self._site.start()
        self.port = self._runner.addresses[0][1]  # the one site listening: the port chosen for 0

    async def pause(self) -> None:
        """Stop listening and drop the gateway connections: new connections are refused."""
        await self.close_gateway(1001)
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def stop(self) -> None:
        for session in self.sessions:
            with contextlib.suppress(Exception):
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """What DISCORD_API_BASE_URL is set to."""
        return f"http://127.0.0.1:{self.port}/api/v{API_VERSION}"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    # -- the world -------------------------------------------------------------------------
    def allow_token(self, token: str) -> str:
        """Another valid token of the same bot: give each bot process its own and tell their
        calls apart by their Authorization header."""
        self.tokens.add(token)
        return token

    def add_user(self, name: str) -> User:
        user = User(snowflake(), name)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, *, members: Iterable[str] = (), channels: Iterable[str] = ("general",),
                  shard: int | None = None, shard_count: int | None = None) -> Guild:
        """A guild the bot is in; its first member owns it. With `shard`, its id lands on that
        shard of `shard_count` (default: this fake's recommended count)."""
        names = list(members) or ["owner"]
        people = {n: self.add_user(n) for n in names}
        guild = Guild(snowflake(shard, shard_count or self.shard_count), name, people[names[0]], members=people)
        for channel_name in channels:
            guild.channels[channel_name] = Channel(snowflake(), channel_name, guild.id)
        self.guilds[guild.id] = guild
        return guild

    def add_member(self, guild: Guild, name: str) -> User:
        user = guild.members[name] = self.add_user(name)
        return user

    def channel(self, channel_id: int) -> Channel | None:
        return next((c for g in self.guilds.values() for c in g.channels.values() if c.id == channel_id), None)

    def owns(self, shard: tuple[int, int], guild_id: int) -> bool:
        return (guild_id >> 22) % shard[1] == shard[0]

    # -- faults ----------------------------------------------------------------------------
    def fail(self, method: str, path: str, status: int | None = 500, *, times: int | None = 1,
             for_seconds: float | None = None, retry_after: float | None = None, body: Any = None) -> Fault:
        """Answer `method path` (a regular expression over the path below the API base, e.g.
        r"/channels/\\d+/messages") with `status`: `times` times, or during `for_seconds`.

        status=None drops the connection without an answer. status=429 with `retry_after`
        is Discord's own rate limit (JSON body, `Via` header: py-cord waits and retries by
        itself); without it, a 429 that py-cord does not retry (no `Via` header: what
        Cloudflare answers), so the caller sees the error.
        """
        fault = Fault(method.upper(), re.compile(path), status, body, retry_after,
                      None if for_seconds is not None else times,
                      time.monotonic() + for_seconds if for_seconds is not None else None)
        self.faults.append(fault)
        return fault

    def slow(self, method: str, path: str, seconds: float, *, times: int | None = 1) -> Fault:
        """Answer `method path` as usual, but only after `seconds`."""
        fault = Fault(method.upper(), re.compile(path), AS_USUAL, times=times, delay=seconds)
        self.faults.append(fault)
        return fault

    def heal(self) -> None:
        self.faults.clear()

    async def close_gateway(self, code: int = 4000, *, shard: int | None = None) -> None:
        """Close the open gateway connections (of one shard) with a close code, e.g. 4014
        (disallowed intents), 4004 (authentication failed) or 4000 (unknown error, resumable)."""
        for session in self.sessions:
            if not session.ws.closed and (shard is None or session.shard[0] == shard):
                await session.ws.close(code=code, message=b"closed by the test")

    async def send_op(self, op: int, data: Any = None, *, shard: int | None = None) -> None:
        """Send a raw opcode, e.g. RECONNECT (7) or INVALID_SESSION (9, data: resumable)."""
        for session in self.live_sessions(shard):
            await session.send({"op": op, "d": data})

    # -- waiting for the bot ---------------------------------------------------------------
    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_until(self, check: Callable[[], Any], within: float = 10.0, what: str = "a condition") -> Any:
        """The first truthy value of `check()`, re-evaluated after every call and gateway message."""
        async def loop() -> Any:
            async with self._changed:
                while not (result := check()):
                    await self._changed.wait()
                return result
        try:
            return await asyncio.wait_for(loop(), within)
        except TimeoutError:
            raise AssertionError(f"timed out after {within} s waiting for {what}; calls: {self.summary()}") from None

    def find_calls(self, method: str = "*", path: str = ".*", *, since: int = 0,
                   where: Callable[[Call], bool] | None = None, answered: bool = True) -> list[Call]:
        pattern = re.compile(path)
        return [c for c in self.calls[since:]
                if method in ("*", c.method) and pattern.fullmatch(c.path)
                and (not answered or c.status != -1) and (where is None or where(c))]

    async def wait_for_call(self, method: str = "*", path: str = ".*", *, count: int = 1, since: int = 0,
                            where: Callable[[Call], bool] | None = None, within: float = 10.0) -> Call:
        """The `count`-th answered call matching (from index `since` of `calls`)."""
        found = await self.wait_until(
            lambda: (calls := self.find_calls(method, path, since=since, where=where))[count - 1:] and calls,
            within, f"{count} x {method} {path}")
        return found[count - 1]

    def mark(self) -> int:
        """An index into `calls`: pass it as `since` to wait only for later calls."""
        return len(self.calls)

    def summary(self) -> str:
        return ", ".join(f"{c.method} {c.path} -> {c.status}" for c in self.calls[-15:]) or "none"

    def live_sessions(self, shard: int | None = None) -> list[Session]:
        return [s for s in self.sessions if s.ready.is_set() and not s.ws.closed
                and (shard is None or s.shard[0] == shard)]

    async def wait_for_session(self, shard: int | None = None, *, count: int = 1, within: float = 10.0) -> Session:
        """The `count`-th session (of a shard) to have received READY (or RESUMED)."""
        def ready() -> Session | None:
            done = [s for s in self.sessions if s.ready.is_set() and (shard is None or s.shard[0] == shard)]
            return done[count - 1] if len(done) >= count else None
        session: Session = await self.wait_until(ready, within, f"gateway session {count} of shard {shard}")
        return session

    # -- what users do ---------------------------------------------------------------------
    def session_for(self, guild: Guild) -> Session:
        for session in reversed(self.sessions):
            if session.ready.is_set() and not session.ws.closed and self.owns(session.shard, guild.id):
                return session
        raise AssertionError(f"no gateway session holds guild {guild.name}")

    def registered(self, name: str, guild: Guild | None = None, kind: int = 1) -> dict[str, Any]:
        """A command as registered (by `gmbot sync-commands`): in the guild, else global. `kind`:
        1 a slash command, 2 a user command, 3 a message command (one name per type)."""
        for scope in ([guild.id] if guild else []) + [None]:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command.get("type", 1) == kind:
                    return command
        raise AssertionError(f"command {name!r} is not registered (run gmbot sync-commands first)")

    def _interaction(self, kind: int, guild: Guild, user: User, channel: Channel, data: dict[str, Any],
                     message: dict[str, Any] | None = None) -> Interaction:
        interaction_id = snowflake()
        token = f"itoken-{interaction_id}"
        payload: dict[str, Any] = {
            "id": str(interaction_id), "application_id": str(self.application_id), "type": kind,
            "token": token, "version": 1, "guild_id": str(guild.id), "guild_locale": "en-US",
            "channel_id": str(channel.id), "channel": channel.to_json(), "member": guild.member_json(user),
            "locale": user.locale, "app_permissions": ALL_PERMISSIONS, "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)}, "context": 0, "data": data,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        interaction = Interaction(interaction_id, token, payload)
        self.interactions[token] = interaction
        return interaction

    async def slash(self, guild: Guild, user: User | str, name: str, channel: Channel | None = None, /,
                    **options: Any) -> Interaction:
        """A user runs `/name` with options (None values are left out, as Discord does); in
        `channel`, else the guild's first. A user option takes a `User`: Discord sends its id
        with the user under `resolved.users`, and under `resolved.members` only a member of
        the guild."""
        user = guild.member(user) if isinstance(user, str) else user
        channel = channel or guild.channel()
        command = self.registered(name, guild)
        types = {o["name"]: o["type"] for o in command.get("options") or []}
        given = {k: v for k, v in options.items() if v is not None}
        data: dict[str, Any] = {
            "id": command["id"], "name": name, "type": command.get("type", 1),
            "options": [{"name": k, "type": types[k], "value": str(v.id) if isinstance(v, User) else v}
                        for k, v in given.items()],
        }
        users = [v for v in given.values() if isinstance(v, User)]
        if users:  # a user option's value is an id; Discord resolves it, as a member only if it is one
            data["resolved"] = {
                "users": {str(u.id): u.to_json() for u in users},
                "members": {str(u.id): {k: v for k, v in guild.member_json(u).items() if k != "user"}
                            for u in users if u in guild.members.values()},
            }
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]  # Discord says where a guild command is registered
        interaction = self._interaction(APPLICATION_COMMAND, guild, user, channel, data)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def menu(self, guild: Guild, user: User | str, name: str, target: User | dict[str, Any],
                   channel: Channel | None = None) -> Interaction:
        """A user picks `name` in the context menu of a member (`target` a User: a user command,
        type 2) or of a message (`target` a message dict, as `say` returns it: a message command,
        type 3). Discord sends the target's id and resolves it: a user (and its member entry when
        it is one), or the message with its author as a user."""
        user = guild.member(user) if isinstance(user, str) else user
        channel = channel or guild.channel()
        kind = 2 if isinstance(target, User) else 3
        command = self.registered(name, guild, kind)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": kind}
        if isinstance(target, User):
            data["target_id"] = str(target.id)
            data["resolved"] = {"users": {str(target.id): target.to_json()}}
            if target in guild.members.values():  # no `members` key at all for someone else
                data["resolved"]["members"] = {
                    str(target.id): {k: v for k, v in guild.member_json(target).items() if k != "user"}}
        else:
            data["target_id"] = str(target["id"])
            message = {k: v for k, v in target.items() if k not in ("member", "guild_id")}
            data["resolved"] = {"messages": {str(target["id"]): message}}
        interaction = self._interaction(APPLICATION_COMMAND, guild, user, channel, data)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def autocomplete(self, guild: Guild, user: User | str, name: str, focused: str, typed: str,
                           channel: Channel | None = None, **options: Any) -> Interaction:
        """A user types `typed` into option `focused` of `/name` (the others as given so far):
        the autocomplete interaction Discord sends while they type."""
        user = guild.member(user) if isinstance(user, str) else user
        command = self.registered(name, guild)
        types = {o["name"]: o["type"] for o in command.get("options") or []}
        given = [{"name": k, "type": types[k], "value": v} for k, v in options.items() if v is not None]
        given.append({"name": focused, "type": types[focused], "value": typed, "focused": True})
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": command.get("type", 1), "options": given}
        interaction = self._interaction(APPLICATION_COMMAND_AUTOCOMPLETE, guild, user, channel or guild.channel(), data)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def choices(self, interaction: Interaction, within: float = 10.0) -> list[dict[str, Any]]:
        """The choices the bot answered an autocomplete interaction with."""
        found: tuple[list[dict[str, Any]]] = await self.wait_until(
            lambda: (interaction.choices or [],) if interaction.answered else None, within,
            f"choices for interaction {interaction.id}")
        return found[0]

    async def click(self, guild: Guild, user: User | str, message: dict[str, Any], label: str) -> Interaction:
        """A user presses the button labelled `label` on a message the bot posted."""
        user = guild.member(user) if isinstance(user, str) else user
        buttons = [c for row in message.get("components") or [] for c in row.get("components", [])]
        button = next((b for b in buttons if b.get("label") == label), None)
        if button is None:
            raise AssertionError(f"no button {label!r} on the message; buttons: {[b.get('label') for b in buttons]}")
        channel = self.channel(int(message["channel_id"])) or guild.channel()
        data = {"custom_id": button["custom_id"], "component_type": 2}
        interaction = self._interaction(MESSAGE_COMPONENT, guild, user, channel, data, message)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def modal(self, interaction: Interaction, within: float = 10.0) -> dict[str, Any]:
        """The modal the bot answered an interaction with."""
        found: dict[str, Any] = await self.wait_until(lambda: interaction.modal, within,
                                                      f"a modal for interaction {interaction.id}")
        return found

    async def submit(self, guild: Guild, user: User | str, modal: dict[str, Any], values: dict[str, str],
                     channel: Channel | None = None) -> Interaction:
        """A user fills in `modal` (`values` by the inputs' custom ids; the others empty) and
        submits it: the MODAL_SUBMIT interaction Discord sends."""
        user = guild.member(user) if isinstance(user, str) else user
        rows = [{"type": 1, "components": [{"type": 4, "id": i + 1, "custom_id": c["custom_id"],
                                            "value": values.get(c["custom_id"], "")}]}
                for i, c in enumerate(c for row in modal["components"] for c in row["components"])]
        data = {"custom_id": modal["custom_id"], "components": rows}
        interaction = self._interaction(MODAL_SUBMIT, guild, user, channel or guild.channel(), data)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def choose(self, guild: Guild, user: User | str, message: dict[str, Any], placeholder: str,
                     label: str) -> Interaction:
        """A user picks the option labelled `label` in the string select (type 3) whose
        placeholder is `placeholder`, on a message the bot posted: `values` holds its value."""
        user = guild.member(user) if isinstance(user, str) else user
        menus = [c for row in message.get("components") or [] for c in row.get("components", []) if c.get("type") == 3]
        menu = next((m for m in menus if m.get("placeholder") == placeholder), None)
        if menu is None:
            raise AssertionError(f"no select {placeholder!r} on the message; selects: {[m.get('placeholder') for m in menus]}")
        option = next((o for o in menu.get("options") or [] if o.get("label") == label), None)
        if option is None:
            raise AssertionError(f"no option {label!r}; options: {[o.get('label') for o in menu.get('options') or []]}")
        channel = self.channel(int(message["channel_id"])) or guild.channel()
        data = {"custom_id": menu["custom_id"], "component_type": 3, "values": [option["value"]]}
        interaction = self._interaction(MESSAGE_COMPONENT, guild, user, channel, data, message)
        await self.session_for(guild).dispatch("INTERACTION_CREATE", interaction.payload)
        return interaction

    async def say(self, guild: Guild, user: User | str, content: str, channel: Channel | None = None) -> dict[str, Any]:
        """A user writes a message in a channel (MESSAGE_CREATE); mentions as Discord resolves them."""
        user = guild.member(user) if isinstance(user, str) else user
        channel = channel or guild.channel()
        mentioned = [self.users[int(i)] for i in re.findall(r"<@!?(\d+)>", content) if int(i) in self.users]
        message = self._message(channel, user, {"content": content})
        message["member"] = {k: v for k, v in guild.member_json(user).items() if k != "user"}
        # Discord adds the partial member of a mentioned user only if they are in the guild
        message["mentions"] = [{**u.to_json(), **({"member": {k: v for k, v in guild.member_json(u).items() if k != "user"}}
                                                  if u in guild.members.values() else {})} for u in mentioned]
        message["guild_id"] = str(guild.id)
        await self.session_for(guild).dispatch("MESSAGE_CREATE", message)
        return message

    async def redeliver(self, guild: Guild, event: str, data: dict[str, Any]) -> None:
        """Dispatch a gateway event again (a `say` message, an interaction's payload), as Discord
        may after a RESUME: the same data under a new sequence number."""
        await self.session_for(guild).dispatch(event, data)

    async def reply_to(self, interaction: Interaction, count: int = 1, within: float = 10.0) -> dict[str, Any]:
        """The `count`-th message the bot answered an interaction with, as users see it: the
        callback's message, or after a deferral the follow-up (with the deferral's visibility).
        `_callback_type` says how it was answered (4 direct, 5 deferred...)."""
        message: dict[str, Any] = await self.wait_until(
            lambda: interaction.replies[count - 1] if len(interaction.replies) >= count else None,
            within, f"reply {count} to interaction {interaction.id}")
        return {**message, "_callback_type": interaction.response_type}

    def posted(self, channel: Channel | int) -> list[dict[str, Any]]:
        """The messages in a channel (the bot's and the users')."""
        return self.messages.get(channel if isinstance(channel, int) else channel.id, [])

    async def wait_for_message(self, channel: Channel, count: int = 1, within: float = 10.0,
                               where: Callable[[dict[str, Any]], bool] | None = None) -> dict[str, Any]:
        """The `count`-th message the bot posted in `channel`."""
        def found() -> dict[str, Any] | None:
            mine = [m for m in self.posted(channel)
                    if m["author"]["id"] == str(self.bot.id) and (where is None or where(m))]
            return mine[count - 1] if len(mine) >= count else None
        message: dict[str, Any] = await self.wait_until(found, within, f"message {count} in #{channel.name}")
        return message

    # -- REST ------------------------------------------------------------------------------
    def _message(self, channel: Channel, author: User, body: Mapping[str, Any]) -> dict[str, Any]:
        message = {
            "id": str(snowflake()), "channel_id": str(channel.id), "guild_id": str(channel.guild_id),
            "author": author.to_json(), "content": body.get("content") or "", "timestamp": _now(),
            "edited_timestamp": None, "tts": False, "mention_everyone": False, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": body.get("embeds") or [],
            "components": body.get("components") or [], "pinned": False, "type": 0, "flags": body.get("flags") or 0,
        }
        if body.get("nonce") is not None:
            message["nonce"] = body["nonce"]
        self._attach(message, body)
        self.messages.setdefault(channel.id, []).append(message)
        return message

    def _attach(self, message: dict[str, Any], body: Mapping[str, Any], files: list[dict[str, Any]] | None = None) -> None:
        """The files a multipart body uploaded become the message's attachments (an edit's
        `attachments` says which of the old ones stay), and an embed's `attachment://<name>`
        the attachment's URL, as Discord does."""
        files = files if files is not None else body.get("_files") or []
        if "attachments" in body or files:
            kept = {str(a.get("id")) for a in body.get("attachments") or []}
            message["attachments"] = [a for a in message.get("attachments") or [] if a["id"] in kept]
        for upload in files:
            ident = str(snowflake())
            url = f"https://cdn.discordapp.test/attachments/{message['channel_id']}/{ident}/{upload['filename']}"
            self.uploads[url] = upload["data"]
            # Discord names the type from the file (py-cord sends every file as octet-stream)
            kind = mimetypes.guess_type(upload["filename"])[0] or upload["content_type"]
            message["attachments"].append({"id": ident, "filename": upload["filename"], "size": len(upload["data"]),
                                           "content_type": kind, "url": url, "proxy_url": url})
        named = {f"attachment://{a['filename']}": a["url"] for a in message.get("attachments") or []}
        for embed in message.get("embeds") or []:
            for part in ("image", "thumbnail"):
                if isinstance(embed.get(part), dict) and embed[part].get("url") in named:
                    embed[part] = {"url": named[embed[part]["url"]], "proxy_url": named[embed[part]["url"]]}

    async def _body(self, request: web.Request) -> Any:
        """JSON, or the `payload_json` field of a form (multipart, or urlencoded: what aiohttp
        makes of py-cord's form when it carries no file)."""
        if not request.can_read_body:
            return None
        if request.content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            payload = form.get("payload_json")
            body = json.loads(payload) if isinstance(payload, str) else None
            # the files (`files[n]`): each one named by the payload's `attachments` entry of its id
            files = [{"field": key, "filename": value.filename, "content_type": value.content_type,
                      "data": value.file.read()} for key, value in form.items() if isinstance(value, web.FileField)]
            if files and isinstance(body, dict):
                body["_files"] = files
            return body
        raw = await request.read()
        return json.loads(raw) if raw else None

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        call = Call(request.method, path, dict(request.query), await self._body(request), dict(request.headers), -1)
        self.calls.append(call)
        await self._notify()  # a test may wait for a call to arrive, answered or not
        try:
            response = await self._answer(call, request)
            call.status = response.status
            return response
        finally:
            if call.status == -1:
                call.status = 0  # dropped
            await self._notify()

    async def _answer(self, call: Call, request: web.Request) -> web.StreamResponse:
        # interaction callbacks and webhooks are authorised by the token in their path
        token_in_path = call.path.startswith(("/interactions/", "/webhooks/"))
        if self.reject_token or (not token_in_path and call.headers.get("Authorization") not in {f"Bot {t}" for t in self.tokens}):
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        for fault in self.faults:
            if fault.matches(call.method, call.path):
                if fault.times is not None:
                    fault.times -= 1
                await asyncio.sleep(fault.delay)
                if fault.status != AS_USUAL:
                    return _fault_response(fault, request)
                break
        for method, pattern, handler in self._routes():
            if method == call.method and (match := re.fullmatch(pattern, call.path)):
                return await handler(call, *match.groups())
        return _json({"message": "404: Not Found", "code": 0}, 404)

    def _routes(self) -> list[tuple[str, str, Any]]:
        app = rf"/applications/{self.application_id}"
        return [
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/soundboard-default-sounds", self._get_default_sounds),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", app + r"/commands", self._get_commands),
            ("PUT", app + r"/commands", self._put_commands),
            ("GET", app + r"/guilds/(\d+)/commands", self._get_commands),
            ("PUT", app + r"/guilds/(\d+)/commands", self._put_commands),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/messages", self._post_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._get_message),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", rf"/webhooks/{self.application_id}/([^/]+)", self._followup),
            ("GET", rf"/webhooks/{self.application_id}/([^/]+)/messages/(@original|\d+)", self._get_webhook_message),
            ("PATCH", rf"/webhooks/{self.application_id}/([^/]+)/messages/(@original|\d+)", self._edit_webhook_message),
            ("DELETE", rf"/webhooks/{self.application_id}/([^/]+)/messages/(@original|\d+)",
             self._delete_webhook_message),
        ]

    async def _get_gateway(self, call: Call) -> web.Response:
        return _json({"url": self.gateway_url})

    async def _get_gateway_bot(self, call: Call) -> web.Response:
        return _json({"url": self.gateway_url, "shards": self.shard_count,
                      "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14400000,
                                              "max_concurrency": 1}})

    async def _get_me(self, call: Call) -> web.Response:
        return _json({**self.bot.to_json(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_default_sounds(self, call: Call) -> web.Response:
        return _json([])  # py-cord asks at READY (cache_default_sounds)

    async def _get_application(self, call: Call) -> web.Response:
        return _json({"id": str(self.application_id), "name": self.bot.name, "icon": None, "description": "",
                      "summary": "", "bot_public": True, "bot_require_code_grant": False, "verify_key": "0" * 64,
                      "flags": 0, "owner": self.bot.to_json(), "team": None, "rpc_origins": []})

    async def _get_commands(self, call: Call, guild: str | None = None) -> web.Response:
        return _json(self.commands.get(int(guild) if guild else None, []))

    async def _put_commands(self, call: Call, guild: str | None = None) -> web.Response:
        """Bulk overwrite: commands keep their id when their name and type stay (as Discord does)."""
        scope = int(guild) if guild else None
        old = {(c["name"], c.get("type", 1)): c for c in self.commands.get(scope, [])}
        stored = []
        refused = [problem for command in call.body or [] for problem in _localization_problems(command)]
        if refused:  # Discord refuses the whole overwrite, naming each field
            return _json({"message": "Invalid Form Body", "code": 50035, "errors": refused}, 400)
        for command in call.body or []:
            previous = old.get((command["name"], command.get("type", 1)))
            stored.append({
                "type": 1, "default_member_permissions": None, "nsfw": False, **command,
                "id": previous["id"] if previous else str(snowflake()),
                "application_id": str(self.application_id), "version": str(snowflake()),
                **({"guild_id": guild} if guild else {}),
            })
        self.commands[scope] = stored
        return _json(stored)

    async def _get_channel(self, call: Call, channel_id: str) -> web.Response:
        channel = self.channel(int(channel_id))
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        return _json(channel.to_json())

    async def _post_message(self, call: Call, channel_id: str) -> web.Response:
        channel = self.channel(int(channel_id))
        if channel is None:
            return _json({"message": "Unknown Channel", "code": 10003}, 404)
        body = call.body or {}
        if body.get("enforce_nonce") and body.get("nonce") is not None:
            # Discord: the same nonce from the same author within a few minutes returns the
            # message created first, and creates nothing
            for earlier in self.posted(channel):
                if earlier.get("nonce") == body["nonce"] and earlier["author"]["id"] == str(self.bot.id):
                    return _json(earlier)
        return _json(self._message(channel, self.bot, body))

    async def _get_message(self, call: Call, channel_id: str, message_id: str) -> web.Response:
        for message in self.posted(int(channel_id)):
            if message["id"] == message_id:
                return _json(message)
        return _json({"message": "Unknown Message", "code": 10008}, 404)

    async def _get_member(self, call: Call, guild_id: str, user_id: str) -> web.Response:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            return _json({"message": "Unknown Guild", "code": 10004}, 404)
        user = next((u for u in guild.members.values() if u.id == int(user_id)), None)
        if user is None:
            return _json({"message": "Unknown Member", "code": 10007}, 404)
        return _json(guild.member_json(user))

    async def _callback(self, call: Call, interaction_id: str, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or str(interaction.id) != interaction_id:
            return _json({"message": "Unknown interaction", "code": 10062}, 404)
        if interaction.response_type is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        body = call.body or {}
        data = body.get("data") or {}
        if body.get("type") == AUTOCOMPLETE_RESULT:
            choices = data.get("choices")
            if interaction.payload["type"] != APPLICATION_COMMAND_AUTOCOMPLETE or not isinstance(choices, list) \
                    or len(choices) > CHOICES_MAX or not all(1 <= len(str(c.get("name", ""))) <= 100 for c in choices):
                return _json({"message": "Invalid Form Body", "code": 50035}, 400)
            interaction.response_type, interaction.answered = AUTOCOMPLETE_RESULT, time.perf_counter()
            interaction.choices = choices
            return web.Response(status=204)
        if body.get("type") == MODAL:
            if interaction.payload["type"] == MODAL_SUBMIT or not _modal_fits(data):
                return _json({"message": "Invalid Form Body", "code": 50035}, 400)
            interaction.response_type, interaction.answered, interaction.modal = MODAL, time.perf_counter(), data
            return _json({"interaction": {"id": interaction_id, "type": interaction.payload["type"]},
                          "resource": {"type": MODAL}})
        kind = interaction.response_type = body.get("type")
        channel = self.channel(int(interaction.payload["channel_id"]))
        resource: dict[str, Any] = {"type": kind}
        if kind in (CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE) and channel is not None:
            if kind == DEFERRED_CHANNEL_MESSAGE:  # "Gmbot is thinking...": ephemeral or not, decided now
                data = {"flags": (data.get("flags") or 0) & EPHEMERAL | LOADING}
            message = interaction.original = self._message(channel, self.bot, {**data, "_files": body.get("_files")})
            message["interaction_token"] = token
            if kind == CHANNEL_MESSAGE:
                interaction.replies.append(message)
            resource["message"] = message
        if kind in (UPDATE_MESSAGE, DEFERRED_UPDATE) and channel is not None:
            # the message the clicked component is on: edited now (7) or by an edit of @original (6)
            clicked = str((interaction.payload.get("message") or {}).get("id", ""))
            message = next((m for m in self.posted(channel) if m["id"] == clicked), None)
            if message is None:
                return _json({"message": "Unknown Message", "code": 10008}, 404)
            interaction.original = message
            if kind == UPDATE_MESSAGE:
                message.update({k: v for k, v in data.items() if k in ("content", "embeds", "components")})
                self._attach(message, data, body.get("_files") or [])
                message["edited_timestamp"] = _now()
                interaction.replies.append(message)
                resource["message"] = message
        return _json({"interaction": {"id": interaction_id, "type": interaction.payload["type"],
                                      "response_message_loading": kind == DEFERRED_CHANNEL_MESSAGE,
                                      "response_message_ephemeral": False}, "resource": resource})

    async def _followup(self, call: Call, token: str) -> web.Response:
        interaction = self.interactions.get(token)
        if interaction is None or interaction.response_type is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        body = call.body or {}
        thinking = interaction.original
        if thinking is not None and thinking["flags"] & LOADING:
            # the first follow-up after a deferral replaces the "thinking" message and keeps
            # its visibility: its own ephemeral flag is ignored
            thinking.update({k: v for k, v in body.items() if k in ("content", "embeds", "components")})
            self._attach(thinking, body)
            thinking["flags"] = thinking["flags"] & EPHEMERAL
            interaction.replies.append(thinking)
            return _json(thinking)
        channel = self.channel(int(interaction.payload["channel_id"]))
        assert channel is not None
        message = self._message(channel, self.bot, body)
        message["interaction_token"] = token
        interaction.replies.append(message)
        return _json(message)

    def _webhook_message(self, token: str, message_id: str) -> dict[str, Any] | None:
        interaction = self.interactions.get(token)
        if interaction is None:
            return None
        if message_id == "@original":
            return interaction.original
        return next((m for m in interaction.replies if m["id"] == message_id), None)

    async def _get_webhook_message(self, call: Call, token: str, message_id: str) -> web.Response:
        message = self._webhook_message(token, message_id)
        return _json(message) if message else _json({"message": "Unknown Message", "code": 10008}, 404)

    async def _edit_webhook_message(self, call: Call, token: str, message_id: str) -> web.Response:
        message = self._webhook_message(token, message_id)
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        message.update({k: v for k, v in (call.body or {}).items() if k in ("content", "embeds", "components")})
        self._attach(message, call.body or {})
        interaction = self.interactions[token]
        if interaction.response_type == DEFERRED_UPDATE and message is interaction.original:
            message["edited_timestamp"] = _now()
            interaction.replies.append(message)  # the deferred update, done
        return _json(message)

    async def _delete_webhook_message(self, call: Call, token: str, message_id: str) -> web.Response:
        message = self._webhook_message(token, message_id)
        interaction = self.interactions[token]
        if message is None:
            return _json({"message": "Unknown Message", "code": 10008}, 404)
        if message is interaction.original:
            interaction.original = None
        with contextlib.suppress(ValueError):
            interaction.replies.remove(message)
        with contextlib.suppress(ValueError):
            self.messages[int(message["channel_id"])].remove(message)
        return web.Response(status=204)

    # -- the gateway -----------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        compress = zlib.compressobj() if request.query.get("compress") == "zlib-stream" else None
        session = Session(ws, compress, len(self.sessions) + 1)
        self.sessions.append(session)
        await session.send({"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                session.received.append(payload)
                await self._on_gateway(session, payload)
                await self._notify()
        finally:
            session.closed.set()
            await self._notify()
        return ws

    async def _on_gateway(self, session: Session, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        raw = payload.get("d")
        data: dict[str, Any] = raw if isinstance(raw, dict) else {}
        if op == HEARTBEAT:
            await session.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            if self.reject_token or data.get("token") not in self.tokens:
                await session.ws.close(code=4004, message=b"Authentication failed.")
                return
            session.identify = data
            shard = data.get("shard") or (0, 1)
            session.shard = (int(shard[0]), int(shard[1]))
            session.session_id = f"session-{session.number}"
            await session.dispatch("READY", {
                "v": API_VERSION, "user": {**self.bot.to_json(), "verified": True, "mfa_enabled": False, "flags": 0},
                "guilds": [{"id": str(g), "unavailable": True} for g in self.guilds if self.owns(session.shard, g)],
                "session_id": session.session_id, "resume_gateway_url": self.gateway_url,
                "shard": list(session.shard), "application": {"id": str(self.application_id), "flags": 0},
                "_trace": ["fake-discord"],
            })
            session.ready.set()
            for guild in list(self.guilds.values()):
                if self.owns(session.shard, guild.id):
                    await session.dispatch("GUILD_CREATE", guild.to_json(self.bot))
        elif op == RESUME:
            previous = next((s for s in self.sessions if s.session_id == data.get("session_id")), None)
            if previous is None or data.get("token") not in self.tokens:
                await session.send({"op": INVALID_SESSION, "d": False})
                return
            # replay what the client missed, then RESUMED
            session.shard, session.session_id, session.seq = previous.shard, previous.session_id, previous.seq
            session.resumed_from = previous.session_id
            missed = [p for p in previous.sent if p["s"] > (data.get("seq") or 0)]
            for event in missed:
                await session.send(event)
            session.sent = list(previous.sent)
            await session.dispatch("RESUMED", {"_trace": ["fake-discord"]})
            session.ready.set()


def _json(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    # exactly "application/json": py-cord's webhook client compares the header verbatim
    return web.Response(body=json.dumps(body).encode(), status=status, content_type="application/json",
                        headers=dict(headers or {}))


def _fault_response(fault: Fault, request: web.Request) -> web.StreamResponse:
    if fault.status is None:
        if request.transport is not None:
            request.transport.close()  # the client sees the connection drop with no answer
        raise asyncio.CancelledError
    if fault.status == 429:
        if fault.retry_after is None:
            # what Cloudflare answers: no JSON and no Via header, which py-cord does not retry
            return web.Response(status=429, text="error code: 1015", content_type="text/plain")
        body = fault.body or {"message": "You are being rate limited.", "retry_after": fault.retry_after,
                              "global": False}
        return _json(body, 429, {"Retry-After": str(max(1, round(fault.retry_after))), "Via": "1.1 google",
                                 "X-RateLimit-Scope": "user"})
    messages = {403: ("Missing Access", 50001), 404: ("Unknown Channel", 10003), 500: ("500: Internal Server Error", 0)}
    message, code = messages.get(fault.status, (f"{fault.status}", 0))
    return _json(fault.body or {"message": message, "code": code}, fault.status)


# Discord's locales (developer docs, "Locales"), and its rule for a command or option name
DISCORD_LOCALES = {"id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no",
                   "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th",
                   "zh-CN", "ja", "zh-TW", "ko"}
_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _localization_problems(command: dict[str, Any]) -> list[str]:
    """What Discord says of a command's localizations: unknown locales, command and option
    names against its rule (1-32 word characters, lowercase), descriptions and choice names
    outside 1-100 characters."""
    problems = []
    named = [command, *(command.get("options") or [])]
    choices = [c for o in command.get("options") or [] for c in o.get("choices") or []]
    for part in [*named, *choices]:
        for key in ("name_localizations", "description_localizations"):
            for locale, text in (part.get(key) or {}).items():
                where = f"{part.get('name')}.{key}.{locale}"
                if locale not in DISCORD_LOCALES:
                    problems.append(f"{where}: unknown locale")
                elif key == "name_localizations" and part is command and command.get("type", 1) != 1:
                    if not 1 <= len(text) <= 32:  # a user or message command: capitals and spaces allowed
                        problems.append(f"{where}: must be 1-32 characters")
                elif key == "name_localizations" and part not in choices:
                    if not _NAME.match(text) or text != text.lower():
                        problems.append(f"{where}: invalid name {text!r}")
                elif not 1 <= len(text) <= 100:
                    problems.append(f"{where}: must be 1-100 characters")
    return problems
