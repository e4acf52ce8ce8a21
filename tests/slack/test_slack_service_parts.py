"""How the Slack front end reads Slack's answers, alone: which refusals are a setting to fix
(exit 78, naming it) and which pass (retry), at start-up and for event posts. The errors are
slack-sdk's own (`SlackApiError` around a real `AsyncSlackResponse`)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from gmbot.service.delivery import delivery_failure
from gmbot.slack import lifecycle
from gmbot.slack.delivery import post_refusal
from gmbot.slack.lifecycle import SlackService


def refused(status: int, body: dict[str, Any] | None = None, headers: dict[str, str] | None = None) -> SlackApiError:
    response = AsyncSlackResponse(client=None, http_verb="POST", api_url="https://slack.test/api/auth.test",
                                  req_args={}, data=body if body is not None else {}, headers=headers or {},
                                  status_code=status)
    return SlackApiError("The request to the Slack API failed.", response)


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "token_revoked", "account_inactive"])
def test_a_refused_bot_token_is_fatal_and_names_the_variable(code: str) -> None:
    failure = SlackService.failure(refused(200, {"ok": False, "error": code}), lifecycle.AUTH_TEST)
    assert failure.fatal
    assert failure.message.startswith(f"Slack refused SLACK_BOT_TOKEN (auth.test: {code}): set SLACK_BOT_TOKEN")


def test_a_refused_app_token_names_slack_app_token() -> None:
    failure = SlackService.failure(refused(200, {"ok": False, "error": "invalid_auth"}), lifecycle.SOCKET)
    assert failure.fatal and "SLACK_APP_TOKEN (apps.connections.open: invalid_auth)" in failure.message


@pytest.mark.parametrize(("error", "says"), [
    (refused(503), "Slack answered HTTP 503 while checking SLACK_BOT_TOKEN (auth.test)"),
    (refused(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}), "HTTP 429 (ratelimited)"),
    (refused(200, {"ok": False, "error": "internal_error"}), "HTTP 200 (internal_error)"),
    (TimeoutError(), "Slack did not answer in time while checking SLACK_BOT_TOKEN"),
    (aiohttp.ServerDisconnectedError(), "cannot reach Slack while checking SLACK_BOT_TOKEN"),
])
def test_no_answer_a_429_or_a_5xx_at_start_is_retried(error: BaseException, says: str) -> None:
    failure = SlackService.failure(error, lifecycle.AUTH_TEST)
    assert not failure.fatal and says in failure.message, failure.message


@pytest.mark.parametrize(("error", "permanent", "retry_after"), [
    (refused(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "3"}), False, 3.0),
    (refused(500), False, None),
    (refused(200, {"ok": False, "error": "service_unavailable"}), False, None),
    (aiohttp.ClientConnectionError("reset"), False, None),
    (TimeoutError(), False, None),
    (refused(200, {"ok": False, "error": "channel_not_found"}), True, None),
    (refused(200, {"ok": False, "error": "not_in_channel"}), True, None),
    (refused(200, {"ok": False, "error": "is_archived"}), True, None),
    (refused(200, {"ok": False, "error": "msg_too_long"}), True, None),
    (refused(200, {"ok": False, "error": "token_revoked"}), True, None),  # that workspace only
])
def test_event_post_failures_are_transient_or_permanent(error: BaseException, permanent: bool,
                                                        retry_after: float | None) -> None:
    failure = delivery_failure(error, post_refusal)
    assert failure is not None and failure.permanent is permanent and failure.retry_after == retry_after


def test_a_bug_is_not_a_delivery_failure() -> None:
    assert delivery_failure(ValueError("bad card"), post_refusal) is None  # the consumer logs it with its traceback
