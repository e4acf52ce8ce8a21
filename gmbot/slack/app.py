"""The Bolt app of the Slack front end: one workspace with a bot token, or many through OAuth.

Requests are verified by Bolt itself (`request_verification_enabled`, on by default and
never turned off here): a missing or wrong `X-Slack-Signature`, or a timestamp more than
5 minutes away, gets 401 before any listener runs.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.slack.runtime import SlackRuntime

log = logging.getLogger("gmbot.slack")

EVENTS_PATH = "/slack/events"
SLACK_API_URL = "https://slack.com/api/"

TokenFor = Callable[[str], Awaitable[str | None]]


def web_client(token: str | None = None, api_url: str | None = None, *, retry_rate_limits: bool = True,
               retry_connection_errors: bool = True) -> AsyncWebClient:
    """A Web API client; `api_url` points it at a proxy or a fake (tests). A 429 is retried
    after its Retry-After (chat.postMessage allows about one message a second a channel),
    unless the caller does its own retrying (`retry_rate_limits=False`: the events consumer,
    per channel; `retry_connection_errors=False`: the start-up check, one log line a try)."""
    client = AsyncWebClient(token=token, base_url=_slash(api_url or SLACK_API_URL))
    if not retry_connection_errors:
        client.retry_handlers.clear()
    if retry_rate_limits:
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    return client


def _slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class _SameToken(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN itself and warns, at every start, that the client's token
    is used instead; it is the same token (cli.py reads it from there): not worth a WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


def build_app(
    runtime: SlackRuntime,
    *,
    signing_secret: str,
    token: str | None = None,
    api_url: str | None = None,
    oauth: AsyncOAuthSettings | None = None,
) -> AsyncApp:
    """Single workspace with `token`, or many with `oauth` (exactly one of the two)."""
    if (token is None) == (oauth is None):
        raise ValueError("give a bot token (one workspace) or OAuth settings (many), not both")
    logger = logging.getLogger("gmbot.slack.bolt")
    if not any(isinstance(f, _SameToken) for f in logger.filters):
        logger.addFilter(_SameToken())
    app = AsyncApp(
        signing_secret=signing_secret,
        client=web_client(token, api_url),  # Bolt takes the single workspace's token from it
        oauth_settings=oauth,
        logger=logger,
        # the listeners ack first and work lazily (runtime.py): with this on, Bolt answers as
        # soon as the ack returns; off, it polls for the ack every 10 ms (a 10 ms floor)
        process_before_response=True,
    )
    runtime.install(app)
    return app


def web_app(app: AsyncApp) -> web.Application:
    """Bolt's aiohttp server: commands, interactivity and events on one URL, `/slack/events`
    (and the OAuth pages when installing through OAuth)."""
    return app.server(path=EVENTS_PATH).web_app
