"""A fake Telegram Bot API on loopback, recording calls, and the updates Telegram sends.

The Telegram front end under test talks to it exactly as to api.telegram.org: aiogram's
`Bot` with `AiohttpSession(api=TelegramAPIServer.from_base(fake.url))`, requests to
`/bot<token>/<method>`, form-encoded with JSON-serialized objects, as aiogram sends them.
Tests wait on recorded calls, never sleep.

What it checks as Telegram does (core.telegram.org/bots/api):

* the token: unknown tokens get 401 `Unauthorized` on every method;
* `sendMessage` / `editMessageText` with `parse_mode` HTML: only Telegram's tags, every
  `<`, `>` and `&` outside them escaped, tags properly nested (else 400 "can't parse
  entities"); 1-4096 characters of text after parsing, counted in UTF-16 code units; an
  inline keyboard's `callback_data` 1-64 bytes. The message it returns has the visible
  text and its entities, with the entities Telegram finds in text by itself: `mention`
  (@username), `bot_command`, `hashtag`, `url` and `email`, by patterns that (as this fake
  assumes of Telegram) do not run across a non-word character such as U+2060;
* `setMyCommands`: 1-100 commands named `[a-z0-9_]{1,32}`, descriptions 1-256.

Failures, for the service tests: `refused_tokens`; `fail(method, chat_id, *failures)` makes
the next calls of `method` to that chat fail, one failure each: `Rate(retry_after)` (429
with `parameters.retry_after`), `Forbidden()` (403, the bot was removed) or `ServerError()`;
`pause()` / `resume()` stop listening and listen again on the same port; `hold_sends`: how
many `sendMessage` calls to hold until `release` is set (`holding` is set when one is held):
a command kept in flight.

Updates: `message(...)` and `click(...)` build them (a command's `bot_command`, `mention`
and `text_mention` entities in UTF-16 offsets, as Telegram sends them); `deliver(update)`
hands one to the bot: queued for `getUpdates` (long polling) or POSTed to the webhook set
with `setWebhook` (or `webhook_url`), with its secret token.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
        "tg-spoiler", "span", "tg-emoji", "tg-time"}
ENTITY_OF = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
             "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "a": "text_link",
             "code": "code", "pre": "pre", "blockquote": "blockquote", "tg-spoiler": "spoiler", "span": "spoiler"}
_TAG = re.compile(r'<(/?)([a-z-]+)((?:\s+[a-z-]+="[^"<>]*")*)\s*>')
_CHARREF = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# what Telegram finds in text by itself (a model: word characters only, nothing across U+2060)
DETECTED = [
    ("email", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("url", re.compile(r"\b(?:https?://)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?:/[^\s]*)?")),
    ("mention", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}\b")),
    ("bot_command", re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]+)?\b")),
    ("hashtag", re.compile(r"(?<![\w#])#\w+")),
]
COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")


class BadRequest(Exception):
    status = 400


class Conflict(BadRequest):
    status = 409


class Refused(BadRequest):
    status = 403


def units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def parse_html(html: str) -> tuple[str, list[dict[str, Any]]]:
    """Telegram's HTML -> (visible text, entities), or BadRequest as Telegram words it."""
    text: list[str] = []
    entities: list[dict[str, Any]] = []
    stack: list[tuple[str, int, dict[str, str]]] = []
    at = 0
    while at < len(html):
        char = html[at]
        if char == "<":
            match = _TAG.match(html, at)
            if match is None:
                raise BadRequest(f"can't parse entities: Unexpected start of tag at byte offset {at}")
            closing, tag, attributes = match.group(1), match.group(2), match.group(3)
            if tag not in TAGS:
                raise BadRequest(f'can\'t parse entities: Unsupported start tag "{tag}" at byte offset {at}')
            attrs = dict(re.findall(r'([a-z-]+)="([^"]*)"', attributes))
            offset = units("".join(text))
            if closing:
                if not stack or stack[-1][0] != tag:
                    raise BadRequest(f'can\'t parse entities: Unmatched end tag at byte offset {at}, expected "</'
                                     f'{stack[-1][0] if stack else ""}>", found "</{tag}>"')
                _, start, opened = stack.pop()
                if offset > start and tag in ENTITY_OF:
                    entity: dict[str, Any] = {"type": ENTITY_OF[tag], "offset": start, "length": offset - start}
                    if tag == "a":
                        entity["url"] = _unescape(opened.get("href", ""))
                    entities.append(entity)
            else:
                stack.append((tag, offset, attrs))
            at = match.end()
        elif char == "&":
            match = _CHARREF.match(html, at)
            if match is None:
                raise BadRequest(f"can't parse entities: Character entity expected at byte offset {at}")
            text.append(_unescape(match.group(0)))
            at = match.end()
        elif char == ">":
            raise BadRequest(f"can't parse entities: Unexpected end of tag at byte offset {at}")
        else:
            text.append(char)
            at += 1
    if stack:
        raise BadRequest(f'can\'t parse entities: Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    visible = "".join(text)
    return visible, entities + detected(visible)


def _unescape(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        ref = match.group(1)
        if ref in _NAMED:
            return _NAMED[ref]
        return chr(int(ref[2:], 16) if ref.startswith("#x") else int(ref[1:]))

    return _CHARREF.sub(one, text)


def detected(text: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    taken: list[range] = []
    for kind, pattern in DETECTED:
        for match in pattern.finditer(text):
            if any(match.start() in r for r in taken):
                continue
            taken.append(range(match.start(), match.end()))
            found.append({"type": kind, "offset": units(text[:match.start()]), "length": units(match.group(0)),
                          "text": match.group(0)})
    return found


@dataclass
class Call:
    method: str
    data: dict[str, Any]
    token: str
    at: float = field(default_factory=time.perf_counter)
    failed: str | None = None  # how the fake failed this call ("429", "403", "400 ...")
    result: Any = None


@dataclass(frozen=True)
class Rate:
    retry_after: int = 1


@dataclass(frozen=True)
class Forbidden:
    description: str = "Forbidden: bot was kicked from the group chat"


@dataclass(frozen=True)
class ServerError:
    status: int = 502


Failure = Rate | Forbidden | ServerError
JSON_FIELDS = {"reply_markup", "reply_parameters", "link_preview_options", "scope", "commands", "allowed_updates",
               "entities"}


class FakeTelegram:
    def __init__(self, *, token: str = "123456:TEST-token-for-the-fake", username: str = "GmBot") -> None:
        self.tokens = {token}
        self.token = token
        self.me = {"id": int(token.split(":")[0]), "is_bot": True, "first_name": "Gmbot", "username": username,
                   "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}
        self.refused_tokens: set[str] = set()
        self.calls: list[Call] = []
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}  # by first name, lower-cased
        self.admins: dict[int, list[dict[str, Any]]] = {}
        self.members: dict[int, set[int]] = {}  # chat id -> its members' ids (getChatMember)
        self.failures: dict[tuple[str, str], list[Failure]] = {}
        self.commands: dict[str, list[dict[str, str]]] = {}  # scope type -> the list set
        self.texts: dict[tuple[int, int], tuple[str, Any]] = {}  # (chat, message) -> (text, keyboard) shown
        self.photos: dict[tuple[int, int], bytes] = {}  # (chat, message) -> the photo uploaded (sendPhoto)
        self.webhook_url = ""
        self.webhook_secret = ""
        self.hold_sends = 0
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.url = ""
        self.port = 0
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._queries = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._http: aiohttp.ClientSession | None = None

    # -- set-up ------------------------------------------------------------------------------
    def user(self, first_name: str, *, username: str | None = None, last_name: str | None = None,
             user_id: int | None = None) -> dict[str, Any]:
        user = {"id": user_id or 7000 + len(self.users), "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if last_name:
            user["last_name"] = last_name
        self.users[first_name.lower()] = user
        return user

    def group(self, chat_id: int, title: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup" if str(chat_id).startswith("-100") else "group", "title": title}
        self.chats[chat_id] = chat
        return chat

    def private(self, user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        self.chats[user["id"]] = chat
        return chat

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self.resume(0)
        self.url = f"http://127.0.0.1:{self.port}"
        self._http = aiohttp.ClientSession()
        return self

    async def pause(self) -> None:
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def resume(self, port: int | None = None) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port if port is None else port)
        await self._site.start()
        self.port = self._runner.addresses[-1][1] if port == 0 else self.port

    async def stop(self) -> None:
        self.release.set()
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    def fail(self, method: str, chat_id: int | str, *failures: Failure) -> None:
        self.failures.setdefault((method, str(chat_id)), []).extend(failures)

    # -- recording -----------------------------------------------------------------------------
    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[Call], bool], *, within: float = 10.0, count: int = 1) -> list[Call]:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len([c for c in self.calls if predicate(c)]) >= count)
            return [c for c in self.calls if predicate(c)][:count]

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int) -> list[Call]:
        """The messages posted to a chat (failed attempts left out)."""
        return [c for c in self.calls if c.method == "sendMessage" and c.failed is None and
                str(c.data.get("chat_id")) == str(chat_id)]

    # -- updates -----------------------------------------------------------------------------------
    def message(self, chat: dict[str, Any], user: dict[str, Any], text: str,
                picked: dict[str, dict[str, Any]] | None = None, reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """A message update, with the entities Telegram gives it: the leading `bot_command`,
        `mention` for each @username and `text_mention` for each text in `picked` (a
        member chosen from the list: shown text -> that user)."""
        entities: list[dict[str, Any]] = []
        command = re.match(r"^/[A-Za-z0-9_]+(?:@[A-Za-z0-9_]+)?", text)
        if command:
            entities.append({"type": "bot_command", "offset": 0, "length": units(command.group(0))})
        for match in re.finditer(r"(?<![\w@])@[A-Za-z0-9_]{3,32}\b", text):
            entities.append({"type": "mention", "offset": units(text[:match.start()]), "length": units(match.group(0))})
        for shown, member in (picked or {}).items():
            start = text.index(shown)
            entities.append({"type": "text_mention", "offset": units(text[:start]), "length": units(shown),
                             "user": member})
        entities.sort(key=lambda e: e["offset"])
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                                   "from": user, "text": text}
        if entities:
            message["entities"] = entities
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return {"update_id": next(self._update_ids), "message": message}

    def click(self, user: dict[str, Any], posted: Call, index: int = 0) -> dict[str, Any]:
        """A callback query: `user` pressed button `index` of a message the bot posted."""
        keys = [k for row in posted.data["reply_markup"]["inline_keyboard"] for k in row]
        return {"update_id": next(self._update_ids), "callback_query": {
            "id": f"{next(self._queries)}{time.perf_counter_ns()}", "from": user, "chat_instance": "ci-1",
            "message": posted.result, "data": keys[index]["callback_data"]}}

    async def deliver(self, update: dict[str, Any], *, secret: str | None = None, url: str | None = None) -> int:
        """Hand `update` to the bot: POSTed to its webhook (answering its HTTP status) when one
        is set or `url` given, else queued for getUpdates (answering 0)."""
        target = url or self.webhook_url
        if not target:
            async with self._changed:
                self._updates.append(update)
                self._changed.notify_all()
            return 0
        assert self._http is not None
        headers = {} if secret == "" else {"X-Telegram-Bot-Api-Secret-Token": secret or self.webhook_secret}
        async with self._http.post(target, json=update, headers=headers) as response:
            return response.status

    # -- the Bot API -------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        data: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            data.update(await request.json())
        elif request.can_read_body:
            form = await request.post()
            for key, value in form.items():  # objects as JSON, booleans as words
                if isinstance(value, str) and (key in JSON_FIELDS or value in ("true", "false")):
                    value = json.loads(value)
                if isinstance(value, str) and value.startswith("attach://"):  # aiogram: the file is another part
                    value = form.get(value.removeprefix("attach://"), value)
                if isinstance(value, web.FileField):  # an upload (sendPhoto's `photo`): its name and bytes
                    value = {"filename": value.filename, "data": value.file.read()}
                data[key] = value
        if token not in self.tokens or token in self.refused_tokens:
            await self._record(Call(method, data, token, failed="401"))
            return _error(401, "Unauthorized")
        if method == "sendMessage" and self.hold_sends:
            self.hold_sends -= 1
            self.holding.set()
            await self.release.wait()
        failure = self._failure(method, data)
        if failure is not None:
            await self._record(Call(method, data, token, failed=_failed(failure)))
            return _failure_response(failure)
        try:
            if method == "getUpdates":
                result = await self._get_updates(data)
            else:
                result = self.answer(method, data)
        except BadRequest as error:
            await self._record(Call(method, data, token, failed=f"{error.status} {error}"))
            prefix = {409: "", 403: "Forbidden: "}.get(error.status, "Bad Request: ")
            return _error(error.status, f"{prefix}{error}")
        await self._record(Call(method, data, token, result=result))
        return web.json_response({"ok": True, "result": result})

    def _failure(self, method: str, data: dict[str, Any]) -> Failure | None:
        queued = self.failures.get((method, str(data.get("chat_id", ""))))
        return queued.pop(0) if queued else None

    async def _get_updates(self, data: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise Conflict("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
        offset = int(data.get("offset") or 0)
        async with self._changed:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            try:
                async with asyncio.timeout(float(data.get("timeout") or 0)):
                    await self._changed.wait_for(lambda: bool(self._updates))
            except TimeoutError:
                pass
            return list(self._updates[: int(data.get("limit") or 100)])

    def answer(self, method: str, data: dict[str, Any]) -> Any:
        if method == "getMe":
            return self.me
        if method == "sendMessage":
            sent = self._message(data)
            self.texts[(int(data["chat_id"]), sent["message_id"])] = (sent["text"], sent.get("reply_markup"))
            return sent
        if method == "sendPhoto":
            return self._photo(data)
        if method == "editMessageText":  # the message keeps its id; Telegram refuses an edit changing nothing
            key = (int(data["chat_id"]), int(data["message_id"]))
            if key in self.photos:
                raise BadRequest("there is no text in the message to edit")
            edited = self._message(data)
            if self.texts.get(key) == (edited["text"], edited.get("reply_markup")):
                raise BadRequest("message is not modified: specified new message content and reply markup "
                                 "are exactly the same as a current content and reply markup of the message")
            edited.update(message_id=key[1], edit_date=int(time.time()))
            self.texts[key] = (edited["text"], edited.get("reply_markup"))
            return edited
        if method == "answerCallbackQuery":
            if len(str(data.get("text", ""))) > 200:
                raise BadRequest("MESSAGE_TOO_LONG")
            return True
        if method == "setMyCommands":
            commands = data.get("commands") or []
            if not 1 <= len(commands) <= 100:
                raise BadRequest("BOT_COMMANDS_TOO_MUCH")
            for command in commands:
                if not COMMAND.match(command["command"]) or not 1 <= len(command["description"]) <= 256:
                    raise BadRequest("BOT_COMMAND_INVALID")
            self.commands[_scope(data)] = commands
            return True
        if method == "getMyCommands":
            return self.commands.get(_scope(data), [])
        if method == "deleteMyCommands":
            self.commands.pop(_scope(data), None)
            return True
        if method == "setWebhook":
            self.webhook_url, self.webhook_secret = str(data.get("url", "")), str(data.get("secret_token", ""))
            if not self.webhook_url.startswith(("https://", "http://127.0.0.1")):
                self.webhook_url = ""
                raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
            return True
        if method == "deleteWebhook":
            self.webhook_url = ""
            return True
        if method == "getChatMember":
            user = next((u for u in self.users.values() if u["id"] == int(data["user_id"])), None)
            if user is None:
                raise BadRequest("user not found")
            inside = user["id"] in self.members.get(int(data["chat_id"]), set())
            return {"status": "member" if inside else "left", "user": user}
        if method == "getChatAdministrators":  # the group's creator: ChatMemberOwner, the least to say
            return [{"status": "creator", "user": u, "is_anonymous": False}
                    for u in self.admins.get(int(data["chat_id"]), [])]
        raise BadRequest(f"method {method} is not in this fake")

    def _photo(self, data: dict[str, Any]) -> dict[str, Any]:
        """sendPhoto with an upload (multipart): a photo (PNG, JPEG or GIF, within 10 MB), its
        caption within 1024 characters after entity parsing."""
        upload = data.get("photo")
        if not isinstance(upload, dict):
            raise BadRequest("wrong remote file identifier specified: a URL or file_id was sent, not a file")
        photo: bytes = upload["data"]
        if not photo.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF8")) or len(photo) > 10 * 1024 * 1024:
            raise BadRequest("IMAGE_PROCESS_FAILED")
        raw = str(data.get("caption") or "")
        caption, entities = parse_html(raw) if data.get("parse_mode") == "HTML" else (raw, detected(raw))
        if units(caption) > 1024:
            raise BadRequest("message caption is too long")
        message = self._message({**data, "text": caption or "-"})  # the same chat and keyboard checks
        del message["text"]
        message.pop("entities", None)
        ident = f"photo-{message['message_id']}"
        message["photo"] = [{"file_id": ident, "file_unique_id": ident, "width": 640, "height": 320,
                             "file_size": len(photo)}]
        if caption:
            message["caption"] = caption
            if entities:
                message["caption_entities"] = [{k: v for k, v in e.items() if k != "text"} for e in entities]
        self.photos[(int(data["chat_id"]), message["message_id"])] = photo
        return message

    def _message(self, data: dict[str, Any]) -> dict[str, Any]:
        raw = str(data.get("text", ""))
        text, entities = parse_html(raw) if data.get("parse_mode") == "HTML" else (raw, detected(raw))
        if not text.strip():
            raise BadRequest("message text is empty")
        if units(text) > 4096:
            raise BadRequest("message is too long")
        force = (data.get("reply_markup") or {}).get("force_reply")
        if force is not None and (force is not True or not 1 <= len(str(
                data["reply_markup"].get("input_field_placeholder", "-"))) <= 64):
            raise BadRequest("REPLY_MARKUP_INVALID")
        for row in (data.get("reply_markup") or {}).get("inline_keyboard", []):
            for key in row:
                if not 1 <= len(str(key.get("callback_data", "")).encode()) <= 64:
                    raise BadRequest("BUTTON_DATA_INVALID")
        chat_id = int(data["chat_id"])
        if chat_id > 0 and chat_id not in self.chats:  # a user who never started a chat with the bot
            raise Refused("bot can't initiate conversation with a user")
        chat = self.chats.get(chat_id) or {"id": chat_id, "type": "group", "title": str(chat_id)}
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
                                   "from": self.me, "text": text}
        if entities:
            message["entities"] = [{k: v for k, v in e.items() if k != "text"} for e in entities]
        if (data.get("reply_markup") or {}).get("inline_keyboard"):  # a message carries an inline keyboard only
            message["reply_markup"] = data["reply_markup"]
        data["_entities"] = entities  # for tests: with each detected entity's text
        return message


def _scope(data: dict[str, Any]) -> str:
    """A command list's key: its scope, and its `language_code` (two letters, ISO 639-1) if any."""
    kind = str((data.get("scope") or {}).get("type", "default"))
    language = data.get("language_code")
    if language and not (len(str(language)) == 2 and str(language).isalpha() and str(language).islower()):
        raise BadRequest("LANGUAGE_CODE_INVALID")  # Telegram wants a two-letter code
    return f"{kind}:{language}" if language else kind


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)


def _failed(failure: Failure) -> str:
    return "429" if isinstance(failure, Rate) else "403" if isinstance(failure, Forbidden) else str(failure.status)


def _failure_response(failure: Failure) -> web.Response:
    if isinstance(failure, Rate):
        return _error(429, f"Too Many Requests: retry after {failure.retry_after}", {"retry_after": failure.retry_after})
    if isinstance(failure, Forbidden):
        return _error(403, failure.description)
    return _error(failure.status, "Bad Gateway")
