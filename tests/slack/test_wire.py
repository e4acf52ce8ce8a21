"""Slack's protocol into the running Slack front end: signed slash commands, block_actions and
app mentions; the cards come back through the fake Slack (response_url, chat.postMessage)."""

from __future__ import annotations

import time
from typing import Any

import aiohttp

from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.server.local import local_backend
from gmbot.slack.app import build_app, web_app
from gmbot.slack.runtime import CLIENT, RESPONSE_ATTEMPTS, SlackRuntime
from gmbot.spec.model import BotSpec

from .conftest import SECRET, TOKEN, LogWatch, SlackWire, Stack, serve
from .fake_slack import FakeSlack, signed_headers

ALICE, BOB = ("UALICE", "alice"), ("UBOB", "bob")
BRUNO = ("UBRUNO", "bruno")
BEARS = ("T0BEAR", "bears")


def blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return message["attachments"][0]["blocks"]


def header(message: dict[str, Any]) -> str:
    return next((b["text"]["text"] for b in blocks(message) if b["type"] == "header"), "")


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for b in blocks(message) if b["type"] == "actions" for e in b["elements"] if e["type"] == "button"]


async def command(stack: Stack, text: str, **kwargs: Any) -> dict[str, Any]:
    reply, url = await stack.wire.slash(text, **kwargs)
    assert reply.status == 200 and reply.text == ""
    return await stack.fake.response(url)


async def test_setup_through_the_slash_command(stack: Stack) -> None:
    message = await command(stack, "setup -name Wolves -location Europe", user=ALICE)
    assert message["response_type"] == "in_channel" and message["replace_original"] is False
    assert header(message) == "Welcome, Wolves!" and message["text"] == "Welcome, Wolves!"
    assert message["attachments"][0]["color"] == "#2ecc71"
    again = await command(stack, "setup -name Wolves", user=ALICE)  # a new command, not a retry
    assert again["response_type"] == "ephemeral" and again["attachments"][0]["color"] == "#e74c3c"


async def test_mentions_resolve_through_users_info_once(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    # escaped or bare, each person is looked up once (are they a member?), then cached
    created = await command(stack, "createwar -players <@UALICE|alice> <@UBOB> -game 4", user=ALICE)
    assert header(created).startswith("War request") and "bob" in str(created)
    assert sorted(c.data["user"] for c in stack.fake.of("users.info")) == ["UALICE", "UBOB"]
    await command(stack, "createwar -players <@UBOB> <@UALICE> -game 4", user=ALICE)
    assert len(stack.fake.of("users.info")) == 2
    unknown = await command(stack, "createwar -players <@UNOBODY> -game 4", user=ALICE)
    assert unknown["response_type"] == "ephemeral" and "<@UNOBODY>" in str(unknown)


async def test_usage_errors_and_unknown_commands_are_ephemeral(stack: Stack) -> None:
    typo = await command(stack, "createwr -game 4", user=ALICE)
    assert typo["response_type"] == "ephemeral" and header(typo) == "Unknown command"
    assert "createwar" in str(typo)
    usage = await command(stack, "createwar -game many", user=ALICE)
    assert usage["response_type"] == "ephemeral" and "Usage" in str(usage)
    helped = await command(stack, "", user=ALICE)
    assert helped["response_type"] == "ephemeral" and "createwar" in str(helped)


async def test_a_slash_command_that_is_not_ours_is_refused(stack: Stack) -> None:
    reply, _ = await stack.wire.slash("hello", user=ALICE, command="/other")
    assert reply.status == 404 and stack.fake.of("response_url") == []


async def test_bad_missing_and_stale_signatures_get_401_and_call_nothing(stack: Stack) -> None:
    body, _ = stack.wire.slash_body("setup -name Wolves", user=ALICE)
    forged = signed_headers("not-the-secret", body)
    assert (await stack.wire.post(body, forged)).status == 401
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    assert (await stack.wire.post(body, unsigned)).status == 401
    stale = signed_headers(SECRET, body, timestamp=int(time.time()) - 6 * 60)
    assert (await stack.wire.post(body, stale)).status == 401
    tampered = signed_headers(SECRET, body)
    assert (await stack.wire.post(body.replace("Wolves", "Sheep"), tampered)).status == 401
    # nothing reached Slack's API or the backend: the clan does not exist
    assert stack.fake.calls == []
    shown = await command(stack, "status", user=ALICE)
    assert shown["response_type"] == "ephemeral" and shown["attachments"][0]["color"] == "#e74c3c"


async def test_a_fresh_signature_is_accepted(stack: Stack) -> None:
    body, url = stack.wire.slash_body("games", user=ALICE)
    assert (await stack.wire.post(body, signed_headers(SECRET, body, timestamp=int(time.time()) - 60))).status == 200
    assert header(await stack.fake.response(url)).startswith("Games")


async def test_app_mention_posts_to_the_channel_and_retries_are_idempotent(stack: Stack) -> None:
    reply = await stack.wire.mention("<@UGMBOT> setup -name Wolves", user="UALICE", event_id="Ev01")
    assert reply.status == 200
    posted = (await stack.fake.wait_for(lambda c: c.method == "chat.postMessage"))[0]
    assert posted.data["channel"] == "CWARS" and posted.token == "xoxb-test"
    assert header(posted.data) == "Welcome, Wolves!"
    # Slack retries the same event: acknowledged, nothing posted twice
    assert (await stack.wire.mention("<@UGMBOT> setup -name Wolves", user="UALICE", event_id="Ev01", retry=1)).status == 200
    bad = await stack.wire.mention("<@UGMBOT> createwar -game x", user="UALICE", event_id="Ev02")
    assert bad.status == 200
    ephemeral = (await stack.fake.wait_for(lambda c: c.method == "chat.postEphemeral"))[0]
    assert ephemeral.data["user"] == "UALICE" and "Usage" in str(ephemeral.data)
    assert len(stack.fake.of("chat.postMessage")) == 1


async def test_backend_down_is_acknowledged_in_time_with_an_unavailable_card(spec: BotSpec, fake: FakeSlack) -> None:
    async with local_backend(application, clients={CLIENT: "slack"}) as live:
        url, key = live.url, live.api_key  # the backend has stopped when this block ends
    backend = BackendClient(url, key, CLIENT, routes=ROUTES)
    runtime = SlackRuntime(spec, backend)
    app = build_app(runtime, signing_secret=SECRET, token=TOKEN, api_url=fake.api_url)
    runner, bot_url = await serve(web_app(app))
    try:
        async with aiohttp.ClientSession() as http:
            wire = SlackWire(bot_url, fake, http)
            started = time.perf_counter()
            reply, response_url = await wire.slash("status", user=ALICE)
            assert reply.status == 200 and reply.ms < 1000
            message = await fake.response(response_url)
            assert time.perf_counter() - started < 3
    finally:
        await runner.cleanup()
        await runtime.aclose()
        await backend.aclose()
    assert header(message) == "Service unavailable" and message["response_type"] == "ephemeral"


async def test_a_mention_in_a_thread_is_answered_in_that_thread(stack: Stack) -> None:
    thread = "1700000000.000100"
    await stack.wire.mention("<@UGMBOT> setup -name Wolves", user="UALICE", event_id="EvT1", thread_ts=thread)
    posted = (await stack.fake.wait_for(lambda c: c.method == "chat.postMessage"))[0]
    assert posted.data["thread_ts"] == thread and header(posted.data) == "Welcome, Wolves!"
    await stack.wire.mention("<@UGMBOT> createwar -game x", user="UALICE", event_id="EvT2", thread_ts=thread)
    told = (await stack.fake.wait_for(lambda c: c.method == "chat.postEphemeral"))[0]
    assert told.data["thread_ts"] == thread
    await stack.wire.mention("<@UGMBOT> games", user="UALICE", event_id="EvT3")  # not in a thread: in the channel
    games = (await stack.fake.wait_for(lambda c: c.method == "chat.postMessage", count=2))[1]
    assert "thread_ts" not in games.data


async def test_a_bare_command_or_mention_answers_with_help(stack: Stack) -> None:
    for text in ("", "   "):
        helped = await command(stack, text, user=ALICE)
        assert helped["response_type"] == "ephemeral" and "createwar" in str(helped)
    await stack.wire.mention("<@UGMBOT>", user="UALICE", event_id="EvBare")
    told = (await stack.fake.wait_for(lambda c: c.method == "chat.postEphemeral"))[0]
    assert told.data["user"] == "UALICE" and "createwar" in str(told.data)


async def test_a_response_url_answering_5xx_is_tried_again(stack: Stack, logs: LogWatch) -> None:
    stack.fake.fail_responses(500, 502)
    reply, url = await stack.wire.slash("setup -name Wolves", user=ALICE)
    assert reply.status == 200
    welcome = await stack.fake.response(url)
    assert header(welcome) == "Welcome, Wolves!"
    assert [c.failed for c in stack.fake.of("response_url")] == ["500", "502", None]
    retries = logs.having("trying again")
    assert len(retries) == 2 and "HTTP 500" in retries[0] and "HTTP 502" in retries[1]


async def test_a_response_url_refusing_for_good_is_tried_as_often_as_allowed(
    stack: Stack, logs: LogWatch,
) -> None:
    stack.fake.fail_responses(*[503] * RESPONSE_ATTEMPTS)
    reply, _ = await stack.wire.slash("games", user=ALICE)
    assert reply.status == 200
    await stack.fake.wait_for(lambda c: c.method == "response_url", count=RESPONSE_ATTEMPTS, within=15)
    gave_up = await logs.wait_for("after 4 attempts")
    assert "HTTP 503" in gave_up
    stack.fake.fail_responses(404)  # expired: asking again cannot help
    await stack.wire.slash("games", user=ALICE)
    refused = await logs.wait_for("refused the answer")
    assert "HTTP 404" in refused
    assert len(stack.fake.of("response_url")) == RESPONSE_ATTEMPTS + 1


async def test_a_response_url_timing_out_is_logged_with_the_reason(
    spec: BotSpec, live: Any, fake: FakeSlack, logs: LogWatch,
) -> None:
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    runtime = SlackRuntime(spec, backend, response_timeout=0.2)
    runner, url = await serve(web_app(build_app(runtime, signing_secret=SECRET, token=TOKEN, api_url=fake.api_url)))
    try:
        async with aiohttp.ClientSession() as http:
            fake.hold_responses = 1  # Slack takes the post and never answers
            reply, _ = await SlackWire(url, fake, http).slash("games", user=ALICE)
            assert reply.status == 200
            logged = await logs.wait_for("could not answer")
    finally:
        fake.release.set()
        await runner.cleanup()
        await runtime.aclose()
        await backend.aclose()
    assert "no answer within 0.2 s" in logged, logged
    assert len(fake.of("response_url")) <= 1  # not posted again: it may have arrived

