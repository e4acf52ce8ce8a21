"""Where Slack's requests enter (gmbot/slack/entry.py), at the wire: signed and unsigned,
well-formed and broken bodies posted to the real Bolt app on loopback.

The word "payload" anywhere in a slash command's form is a command like any other
(slack-bolt 1.30's parser took it for an interactive payload: 404, no card); a body that
is not what Slack sends is 400 once signed and 401 when not, never a 500 with a
traceback (Bolt's parser ran `json.loads` before the signature was checked)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest

from .conftest import SECRET, Stack
from .fake_slack import signed_headers
from .test_wire import ALICE, header

FORM, JSON = "application/x-www-form-urlencoded", "application/json"


@pytest.mark.parametrize("where", [
    {"text": "setup -name payload"},  # the message
    {"channel": ("CPAYLOAD", "payload-team")},
    {"user": ("UALICE", "payloadqueen")},
    {"team": ("T0WOLF", "payload-inc")},  # a workspace domain
])
async def test_the_word_payload_anywhere_in_a_slash_command_is_a_command(stack: Stack, where: dict[str, Any]) -> None:
    text = where.pop("text", "setup -name Wolves")
    kwargs: dict[str, Any] = {"user": ALICE, **where}
    reply, url = await stack.wire.slash(text, **kwargs)
    assert reply.status == 200, reply.text
    welcome = await stack.fake.response(url)
    assert welcome["response_type"] == "in_channel" and header(welcome).startswith("Welcome, ")


def _problem(status: int, text: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(text)
    assert body["status"] == status and body["detail"], body
    return body


@pytest.mark.parametrize(("body", "content_type", "why"), [
    ("payload=%7B", FORM, "the payload field is not valid JSON"),
    ("payload=%5B1%5D", FORM, "the payload field is not a JSON object"),
    ('{"type": "event_callback", "event": ', JSON, "the JSON body is not valid JSON"),
    (urllib.parse.urlencode({"command": "/gmbot", "text": "help"}), JSON, "the JSON body is not valid JSON"),
    ("[1, 2]", JSON, "the JSON body is not a JSON object"),
    ("[" * 100_000, JSON, "the JSON body is not valid JSON"),
    ("command=%2Fgmbot&text=%FF", FORM, "the form body cannot be read"),
    ("<xml/>", "text/xml", "unexpected Content-Type"),
])
async def test_a_signed_body_slack_would_not_send_is_400(stack: Stack, body: str, content_type: str, why: str) -> None:
    reply = await stack.wire.signed(body, content_type)
    assert reply.status == 400, reply.text
    assert why in _problem(400, reply.text)["detail"]
    assert stack.fake.calls == []


@pytest.mark.parametrize(("body", "content_type"), [
    ("payload=%7B", FORM),
    ('{"type": "event_callback", "event": ', JSON),
    (urllib.parse.urlencode({"command": "/gmbot", "text": "help"}), JSON),
    ("[1, 2]", JSON),
])
async def test_an_unsigned_broken_body_is_401_before_it_is_read(stack: Stack, body: str, content_type: str) -> None:
    reply = await stack.wire.post(body, {"Content-Type": content_type})
    assert reply.status == 401, reply.text
    assert "missing" in _problem(401, reply.text)["detail"]


@pytest.mark.parametrize(("timestamp", "signature", "why"), [
    ("abc", None, "not a Unix time"),
    ("", None, "missing"),
    ("1" * 40, None, "not a Unix time"),
    ("\uff11\uff12", None, "not a Unix time"),  # full-width digits: int() reads them, Slack never sends them
    (None, "v0=zz", "not a v0 signature"),
    (None, "sha1=" + "0" * 40, "not a v0 signature"),
])
async def test_malformed_signature_headers_are_401(stack: Stack, timestamp: str | None, signature: str | None,
                                                   why: str) -> None:
    body, _ = stack.wire.slash_body("help", user=ALICE)
    headers = signed_headers(SECRET, body)
    if timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = timestamp
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    reply = await stack.wire.post(body, {k: v.encode().decode("latin-1") for k, v in headers.items()})
    assert reply.status == 401, reply.text
    assert why in _problem(401, reply.text)["detail"]
    assert stack.fake.calls == []


async def test_url_verification_still_answers_the_challenge(stack: Stack) -> None:
    reply = await stack.wire.signed(json.dumps({"type": "url_verification", "challenge": "c-123", "token": "x"}), JSON)
    assert reply.status == 200 and json.loads(reply.text) == {"challenge": "c-123"}
