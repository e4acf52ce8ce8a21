"""Where Slack's HTTP requests enter: verified first, parsed second, acknowledged at once.

Bolt's own aiohttp adapter parses the body before its signature middleware runs, and
parses it wrongly in two ways (slack-bolt 1.30, `slack_bolt/request/internals.py`,
`parse_body`):

* any form body *containing* the letters "payload" (`"payload" in body`, a substring
  test on the raw URL-encoded text) is taken for an interactive payload; a slash
  command whose text, channel, user or workspace domain says "payload" has no
  `payload=` field, so the whole request parses to `{}`, matches no listener and
  gets 404 "unhandled request";
* `json.loads` runs on any body labelled JSON or starting with `{`, and on a `payload`
  field, before anything is verified: broken JSON from anyone is a 500 with a
  traceback, as is `X-Slack-Request-Timestamp: abc` (`int()` in slack-sdk's
  `SignatureVerifier.is_valid`).

So this handler stands in front of Bolt: it checks the signature on the raw bytes
(401 when it is missing, malformed, stale or wrong), then parses the body strictly
(400 when it is not a JSON object or a form whose `payload`, if any, is one), and
hands Bolt the parsed body as its Socket Mode adapter does (`mode="socket_mode"`: a
body already parsed and already trusted, so Bolt skips its own verification of the
raw text and its parser).

Slack wants an answer within 3 s. Bolt authorizes a request (in OAuth mode: the
installation store, then `auth.test`) before any listener can ack it. The requests
our listeners only ever ack with an empty 200 (`acks_at_once`: our slash command, our
buttons, every event) are answered here at once, and Bolt runs them in the background;
the rest (URL verification, a command that is not ours) wait for Bolt's answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

log = logging.getLogger("gmbot.slack.entry")

DRAIN_SECONDS = 10.0
MAX_AGE = 5 * 60  # Slack's rule: refuse a request signed more than 5 minutes away from now
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
FORM, JSON = "application/x-www-form-urlencoded", "application/json"

AcksAtOnce = Callable[[Mapping[str, Any]], bool]


class BadRequest(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def problem(status: int, detail: str) -> web.Response:
    title = {400: "Bad Request", 401: "Unauthorized"}.get(status, "Error")
    return web.json_response({"type": "about:blank", "title": title, "status": status, "detail": detail},
                             status=status, content_type="application/problem+json")


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float) -> None:
    """Slack's request signing: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`, timestamp
    within 5 minutes. Raises BadRequest(401) saying which part is wrong."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not timestamp or not signature:
        raise BadRequest(401, "missing X-Slack-Request-Timestamp or X-Slack-Signature")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise BadRequest(401, "X-Slack-Request-Timestamp is not a Unix time in seconds")
    if abs(now - int(timestamp)) > MAX_AGE:
        raise BadRequest(401, "X-Slack-Request-Timestamp is more than 5 minutes away")
    if not _SIGNATURE.fullmatch(signature):
        raise BadRequest(401, "X-Slack-Signature is not a v0 signature")
    expected = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest("v0=" + expected, signature):
        raise BadRequest(401, "the signature does not match")


def parse(body: bytes, content_type: str) -> dict[str, Any]:
    """A verified body as Slack means it: a JSON object (events), or a form (slash
    commands), or a form with one `payload` field holding a JSON object (interactivity).
    Raises BadRequest(400) for anything else."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "the body is not UTF-8") from None
    media = content_type.split(";")[0].strip().lower()
    if not media:  # not labelled: Slack labels every request, but tell by the first byte
        media = JSON if text.lstrip().startswith("{") else FORM
    if media == JSON:
        return _object(text, "the JSON body")
    if media != FORM:
        raise BadRequest(400, f"unexpected Content-Type {media!r}: Slack sends JSON or a form")
    try:
        form = urllib.parse.parse_qs(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise BadRequest(400, f"the form body cannot be read: {error}") from None
    repeated = sorted(name for name, values in form.items() if len(values) > 1)
    if repeated:
        raise BadRequest(400, f"form field {repeated[0]!r} is given more than once")
    fields = {name: values[0] for name, values in form.items()}
    if "payload" in fields:  # interactivity: the form has this one field, JSON inside
        return _object(fields["payload"], "the payload field")
    return fields


def _object(text: str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise BadRequest(400, f"{what} is not valid JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadRequest(400, f"{what} is not a JSON object")
    return data


class Entry:
    """The aiohttp handler of `/slack/events` in front of Bolt's dispatch."""

    def __init__(self, app: AsyncApp, signing_secret: str, acks_at_once: AcksAtOnce,
                 clock: Callable[[], float] = time.time) -> None:
        self.app = app
        self.secret = signing_secret
        self.acks_at_once = acks_at_once
        self.clock = clock
        self._background: set[asyncio.Task[None]] = set()

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            verify(self.secret, request.headers, raw, self.clock())
            body = parse(raw, request.headers.get("Content-Type", ""))
        except BadRequest as error:
            log.info("refused a request to %s: HTTP %s, %s", request.path, error.status, error.detail)
            return problem(error.status, error.detail)
        bolt = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers),
                                mode="socket_mode")
        if self.acks_at_once(body):
            task = asyncio.create_task(self._dispatch(bolt), name="gmbot-slack-dispatch")
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return web.Response(status=200)
        return await to_aiohttp_response(await self.app.async_dispatch(bolt))

    async def _dispatch(self, request: AsyncBoltRequest) -> None:
        try:
            answer = await self.app.async_dispatch(request)
        except Exception:
            log.exception("a Slack request failed after it was acknowledged")
            return
        if answer.status >= 400 or answer.body:  # Slack has its 200 already: only the log can tell
            log.warning("Bolt's answer to an acknowledged %s request: HTTP %s %s",
                        request.body.get("type") or request.body.get("command") or "Slack",
                        answer.status, answer.body[:200])

    async def drain(self, _: web.Application | None = None) -> None:
        """Wait (DRAIN_SECONDS at most) for the requests acknowledged but not yet handed to
        their listeners, which then count as work in flight (gmbot/service/shutdown.py)."""
        pending = list(self._background)
        if pending:
            await asyncio.wait(pending, timeout=DRAIN_SECONDS)
