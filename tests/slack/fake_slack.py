"""A fake Slack on loopback: the Web API (`SLACK_API_URL`) and `response_url`s, recording calls.

The Slack front end under test talks to it exactly as to slack.com: slack-sdk's
`AsyncWebClient` with `base_url` pointed here, and Bolt's `respond()` posting to the
`response_url` a test put in its payload. Tests wait on recorded calls, never sleep.
Also the signing side: `signed_headers` signs a request body as Slack does.

Failures Slack has, for the service tests (gmbot/slack/lifecycle.py, delivery.py):

* `refused_tokens`: tokens every Web API method answers `invalid_auth` (auth.test too);
* `pause()` / `resume()`: drop the Socket Mode connections and stop listening
  (connections refused), then listen again on the same port, as when the network or
  Slack is down for a while;
* `fail_posts(channel, *failures)`: the next `chat.postMessage`s to that channel fail,
  one failure each: `Rate(retry_after)` (HTTP 429 with Retry-After), `ServerError()`
  (HTTP 500, an HTML page as a proxy sends) or an error code (`"channel_not_found"`:
  `ok: false`). Failed posts are recorded too (`Call.failed` says how);
* `fail_calls(method, *failures)`: the same for the next calls of any Web API method
  (`users.info` rate limited: `Rate(0)`);
* `fail_responses(*statuses)`: the next `response_url` posts answer these HTTP statuses;
* `hold_responses`: how many `response_url` posts to hold until `release` is set
  (`holding` is set when one is held): a command kept in flight;
* `hold(method)`: every call of that Web API method waits until `unhold(method)`;
  `in_flight[method]` counts the calls waiting or running, `most_in_flight[method]` its
  highest value, and `wait_in_flight(method, n)` waits until n are.

`views.open` checks the trigger's age (3 s) and the modal's limits, and keeps the views it
opened (`views`), for the wire to submit.

Users (`add_user`) belong to a workspace (`team_id`), and may be deactivated (`deleted`)
or bots (`is_bot`), as users.info reports them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import re
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Call:
    method: str  # "chat.postMessage", ..., or "response_url"
    data: dict[str, Any]  # the JSON or form fields, or the query of a GET
    token: str | None  # the bearer token (Web API calls)
    path: str
    at: float = field(default_factory=time.perf_counter)
    failed: str | None = None  # how the fake failed this call ("429", "500", an error code)


@dataclass(frozen=True)
class Rate:
    """HTTP 429 with `Retry-After: retry_after` (seconds, as Slack sends it: an integer)."""

    retry_after: int = 1


@dataclass(frozen=True)
class ServerError:
    status: int = 500


Failure = Rate | ServerError | str


def signed_headers(secret: str, body: str, *, timestamp: int | None = None,
                   content_type: str = "application/x-www-form-urlencoded") -> dict[str, str]:
    """Slack's request signing: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": content_type}


class FakeSlack:
    def __init__(self, *, team_id: str = "T0WOLF", bot_user_id: str = "UGMBOT") -> None:
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.users: dict[str, dict[str, Any]] = {}  # user id -> users.info's `user`
        self.calls: list[Call] = []
        self.views: list[dict[str, Any]] = []  # the modals views.open opened, in order
        self.oauth_grants: dict[str, dict[str, Any]] = {}  # code -> oauth.v2.access reply
        self._changed = asyncio.Condition()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.sockets: list[web.WebSocketResponse] = []  # Socket Mode connections, newest last
        self.refused_tokens: set[str] = set()
        self.post_failures: dict[str, list[Failure]] = {}  # channel -> the next failures, in order
        self.call_failures: dict[str, list[Failure]] = {}  # Web API method -> the next failures
        self.response_failures: list[int] = []  # the next response_url statuses
        self.origins: dict[str, dict[str, Any]] = {}  # response_url path -> the message clicked
        self.hold_responses = 0
        self.holding = asyncio.Event()
        self.release = asyncio.Event()
        self.held: dict[str, asyncio.Event] = {}  # method -> set when its calls may go on
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        self.port = 0
        self._site: web.TCPSite | None = None
        # files.getUploadURLExternal -> the upload POST -> files.completeUploadExternal: file id ->
        # {filename, length, data, complete, token, channels}, as Slack keeps them
        self.files: dict[str, dict[str, Any]] = {}
        self._file_ids = itertools.count(1)

    # -- set-up ----------------------------------------------------------------------------
    def add_user(self, user_id: str, name: str, team_id: str | None = None, *, deleted: bool = False,
                 is_bot: bool = False, tz: str | None = None, locale: str | None = None) -> None:
        self.users[user_id] = {"id": user_id, "name": name.lower(), "team_id": team_id or self.team_id,
                               "deleted": deleted, "is_bot": is_bot,
                               "real_name": name, "profile": {"display_name": name, "real_name": name}}
        if tz is not None:  # users.info gives `tz` (and its label and offset) when the profile has one
            self.users[user_id].update(tz=tz, tz_label=tz, tz_offset=0)
        if locale:  # users.info gives it only when asked (include_locale), as Slack does
            self.users[user_id]["locale"] = locale

    async def start(self) -> FakeSlack:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/response/{id}", self._response_url)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await self.resume(0)
        self.url = f"http://127.0.0.1:{self.port}"
        return self

    async def pause(self) -> None:
        """Stop listening and drop the Socket Mode connections: new connections are refused
        until `resume`."""
        for socket in self.sockets:
            await socket.close()
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def resume(self, port: int | None = None) -> None:
        """Listen (again, on the same port after `pause`)."""
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port if port is None else port)
        await self._site.start()
        self.port = self._runner.addresses[0][1]  # the one site listening: the port chosen for 0

    def fail_posts(self, channel: str, *failures: Failure) -> None:
        self.post_failures.setdefault(channel, []).extend(failures)

    def fail_calls(self, method: str, *failures: Failure) -> None:
        self.call_failures.setdefault(method, []).extend(failures)

    def fail_responses(self, *statuses: int) -> None:
        self.response_failures.extend(statuses)

    def hold(self, method: str) -> None:
        self.held[method] = asyncio.Event()

    def unhold(self, method: str) -> None:
        self.held.pop(method).set()

    async def wait_in_flight(self, method: str, count: int, within: float = 5.0) -> None:
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: self.in_flight.get(method, 0) >= count)

    async def stop(self) -> None:
        self.release.set()
        for held in self.held.values():
            held.set()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, message: dict[str, Any] | None = None) -> str:
        """A new response_url; `message`: the message a click came from, which a post with
        `replace_original: true` replaces in place (as Slack does)."""
        url = f"{self.url}/response/{next(self._ids)}"
        if message is not None:
            self.origins[urllib.parse.urlparse(url).path] = message
        return url

    # -- recording -------------------------------------------------------------------------
    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[Call], bool], *, within: float = 5.0, count: int = 1) -> list[Call]:
        """The first `count` recorded calls matching `predicate`, waiting up to `within` s."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len([c for c in self.calls if predicate(c)]) >= count)
            return [c for c in self.calls if predicate(c)][:count]

    async def response(self, url: str, within: float = 5.0) -> dict[str, Any]:
        path = urllib.parse.urlparse(url).path
        answered = await self.wait_for(lambda c: c.method == "response_url" and c.path == path and not c.failed,
                                       within=within)
        return answered[0].data

    def of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    # -- Socket Mode: Slack sends envelopes over a WebSocket, the app acks each by its id --------
    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        await socket.send_json({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}})
        async with self._changed:
            self.sockets.append(socket)
            self._changed.notify_all()
        async for message in socket:
            if message.type == web.WSMsgType.TEXT:
                await self._record(Call("socket_ack", json.loads(message.data), None, "/socket"))
        return socket

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        """Deliver a request as Socket Mode does (kind: slash_commands, interactive, events_api)."""
        async with asyncio.timeout(10), self._changed:
            await self._changed.wait_for(lambda: bool(self.sockets))
        envelope_id = f"env-{next(self._ids)}"
        await self.sockets[-1].send_json({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                          "accepts_response_payload": kind != "events_api"})
        return envelope_id

    # -- the endpoints -----------------------------------------------------------------------
    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of an upload: the file's bytes POSTed to the URL files.getUploadURLExternal gave."""
        file = self.files.get(request.match_info["file_id"])
        data = await request.read()
        if file is None or file["data"] is not None:
            return web.Response(status=404, text="not found")
        if len(data) != file["length"]:
            return web.Response(status=400, text="length mismatch")
        file["data"] = data
        await self._record(Call("upload", {"file_id": request.match_info["file_id"], "bytes": len(data)}, None,
                                request.path))
        return web.Response(text=f"OK - {len(data)}")

    def bad_files(self, message: dict[str, Any], token: str | None) -> list[str]:
        """Slack's `invalid_blocks` errors for the message's image blocks and elements whose
        `slack_file` is not a completed upload the poster may see (its own, or one shared)."""
        errors = []
        blocks = [*(message.get("blocks") or []),
                  *(b for a in message.get("attachments") or [] for b in a.get("blocks") or [])]
        images = [b for b in blocks if b.get("type") == "image"] + \
            [b["accessory"] for b in blocks if (b.get("accessory") or {}).get("type") == "image"] + \
            [e for b in blocks if b.get("type") == "context" for e in b.get("elements") or [] if e.get("type") == "image"]
        for image in images:
            if "slack_file" not in image:
                continue
            ident = str((image.get("slack_file") or {}).get("id", ""))
            file = self.files.get(ident)
            if not re.fullmatch(r"F[A-Z0-9]{8,}", ident) or file is None or not file["complete"] \
                    or (token is not None and file["token"] != token and not file["channels"]):
                errors.append("invalid slack file [json-pointer:/blocks/0/slack_file]")
        return errors

    async def _response_url(self, request: web.Request) -> web.Response:
        data = json.loads(await request.text() or "{}")
        if self.bad_files(data, None):  # a response_url post is the app's: its own files
            await self._record(Call("response_url", data, None, request.path, failed="invalid_blocks"))
            return web.Response(status=400, text="invalid_blocks")
        if self.response_failures:
            status = self.response_failures.pop(0)
            await self._record(Call("response_url", data, None, request.path, failed=str(status)))
            return web.Response(status=status, text="<html>upstream error</html>", content_type="text/html")
        if self.hold_responses:
            self.hold_responses -= 1
            self.holding.set()
            await self.release.wait()
        origin = self.origins.get(request.path)
        if data.get("replace_original") is True and origin is not None:
            origin.clear()  # the clicked message becomes this one
            origin.update({k: v for k, v in data.items() if k not in ("replace_original", "response_type")})
            origin["edited"] = True
        await self._record(Call("response_url", data, None, request.path))
        return web.Response(text="ok")

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        data: dict[str, Any] = dict(request.query)
        raw = await request.text()
        if raw:
            if request.content_type == "application/json":
                data.update(json.loads(raw))
            else:
                data.update(dict(urllib.parse.parse_qsl(raw)))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else data.get("token")
        async with self._changed:
            self.in_flight[method] = self.in_flight.get(method, 0) + 1
            self.most_in_flight[method] = max(self.most_in_flight.get(method, 0), self.in_flight[method])
            self._changed.notify_all()
        try:
            if method in self.held:
                await self.held[method].wait()
            return await self._answer_api(request, method, data, token)
        finally:
            self.in_flight[method] -= 1

    async def _answer_api(self, request: web.Request, method: str, data: dict[str, Any],
                          token: str | None) -> web.Response:
        failure = self._failure(method, data)
        if isinstance(failure, Rate):
            await self._record(Call(method, data, token, request.path, failed="429"))
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429,
                                     headers={"Retry-After": str(failure.retry_after)})
        if isinstance(failure, ServerError):
            await self._record(Call(method, data, token, request.path, failed=str(failure.status)))
            return web.Response(status=failure.status, text="<html>upstream error</html>", content_type="text/html")
        if isinstance(failure, str):
            await self._record(Call(method, data, token, request.path, failed=failure))
            return web.json_response({"ok": False, "error": failure})
        reply = self.answer(method, data, token)
        await self._record(Call(method, data, token, request.path, failed=None if reply.get("ok") else reply.get("error")))
        return web.json_response(reply)

    def _failure(self, method: str, data: dict[str, Any]) -> Failure | None:
        queued = self.post_failures.get(str(data.get("channel"))) if method == "chat.postMessage" else None
        queued = queued or self.call_failures.get(method)
        return queued.pop(0) if queued else None

    def _open_view(self, data: dict[str, Any]) -> dict[str, Any]:
        """views.open as Slack checks it: a trigger at most 3 s old (the wire's triggers carry
        their time), a modal within Block Kit's limits; the view opened is kept (`views`)."""
        view = data.get("view")
        view = json.loads(view) if isinstance(view, str) else view
        trigger = str(data.get("trigger_id", "")).split(".")
        if len(trigger) == 3 and trigger[1].isdigit() and time.perf_counter_ns() - int(trigger[1]) > 3e9:
            return {"ok": False, "error": "expired_trigger_id"}
        if not isinstance(view, dict) or view.get("type") != "modal":
            return {"ok": False, "error": "invalid_arguments"}
        texts = [view.get(k, {}).get("text", "") for k in ("title", "submit", "close") if view.get(k)]
        if any(len(t) > 24 for t in texts) or len(view.get("blocks") or []) > 100 \
                or len(view.get("callback_id", "")) > 255 or len(view.get("private_metadata", "")) > 3000:
            return {"ok": False, "error": "invalid_arguments"}
        opened = {**view, "id": f"V{len(self.views) + 1:08d}", "state": {"values": {}}}
        self.views.append(opened)
        return {"ok": True, "view": opened}

    def answer(self, method: str, data: dict[str, Any], token: str | None) -> dict[str, Any]:
        if not token and method != "oauth.v2.access":
            return {"ok": False, "error": "not_authed"}
        if token in self.refused_tokens:
            return {"ok": False, "error": "invalid_auth"}
        if method == "auth.test":
            team = token.split("-")[-1] if token and token.startswith("xoxb-team-") else self.team_id
            return {"ok": True, "url": "https://wolves.slack.test/", "team": "Wolves", "user": "gmbot",
                    "team_id": team, "user_id": self.bot_user_id, "bot_id": "BGMBOT"}
        if method == "users.info":
            user = self.users.get(str(data.get("user")))
            if user and str(data.get("include_locale", "")).lower() not in ("true", "1"):
                user = {k: v for k, v in user.items() if k != "locale"}
            return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
        if method == "files.getUploadURLExternal":
            length = int(data.get("length") or 0)
            if not data.get("filename") or length < 1:
                return {"ok": False, "error": "invalid_arguments"}
            ident = f"F{next(self._file_ids):010d}"
            self.files[ident] = {"filename": data["filename"], "length": length, "data": None, "complete": False,
                                 "token": token, "channels": [], "alt_txt": data.get("alt_txt")}
            return {"ok": True, "upload_url": f"{self.url}/upload/{ident}", "file_id": ident}
        if method == "files.completeUploadExternal":
            listed = data.get("files")
            listed = json.loads(listed) if isinstance(listed, str) else listed or []
            done = []
            for item in listed:
                file = self.files.get(str(item.get("id")))
                if file is None or file["data"] is None or file["token"] != token:
                    return {"ok": False, "error": "file_not_found"}
                file["complete"] = True
                if data.get("channel_id"):
                    file["channels"].append(data["channel_id"])
                done.append({"id": item["id"], "name": file["filename"], "title": item.get("title") or file["filename"],
                             "mimetype": "", "filetype": "", "size": file["length"], "channels": file["channels"],
                             "url_private": f"{self.url}/files-pri/{item['id']}/{file['filename']}"})
            return {"ok": True, "files": done}
        if method in {"chat.postMessage", "chat.postEphemeral"} and self.bad_files(data, token):
            return {"ok": False, "error": "invalid_blocks", "errors": self.bad_files(data, token)}
        if method in {"chat.postMessage", "chat.postEphemeral"}:
            ts = f"{time.time():.6f}"
            return {"ok": True, "channel": data.get("channel"), "ts": ts, "message_ts": ts}
        if method == "views.open":
            return self._open_view(data)
        if method == "apps.connections.open":
            return {"ok": True, "url": self.url.replace("http://", "ws://") + "/socket"}
        if method == "oauth.v2.access":
            grant = self.oauth_grants.get(str(data.get("code")))
            return grant if grant else {"ok": False, "error": "invalid_code"}
        return {"ok": False, "error": "unknown_method"}
