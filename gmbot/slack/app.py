"""The Bolt app of the Slack front end: one workspace with a bot token, or many through OAuth.

Requests enter through entry.py, not Bolt's aiohttp adapter: a missing or wrong
`X-Slack-Signature`, or a timestamp more than 5 minutes away, gets 401 before the body
is even parsed; a body that is not what Slack sends gets 400; then Bolt dispatches the
parsed body (see entry.py for why Bolt's own parser is not used).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.slack.entry import Entry
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


class GmbotApp(AsyncApp):
    """Bolt's app, with what the entry (entry.py) needs to serve it."""

    def __init__(self, runtime: SlackRuntime, signing_secret: str, **kwargs: Any) -> None:
        super().__init__(signing_secret=signing_secret, **kwargs)
        self.runtime = runtime
        self.signing_secret = signing_secret


def build_app(
    runtime: SlackRuntime,
    *,
    signing_secret: str,
    token: str | None = None,
    api_url: str | None = None,
    oauth: AsyncOAuthSettings | None = None,
) -> GmbotApp:
    """Single workspace with `token`, or many with `oauth` (exactly one of the two).
    With OAuth, `tokens_revoked` and `app_uninstalled` delete the workspace's installation
    (Bolt's own listeners), so no later request or event post tries a dead token."""
    if (token is None) == (oauth is None):
        raise ValueError("give a bot token (one workspace) or OAuth settings (many), not both")
    logger = logging.getLogger("gmbot.slack.bolt")
    if not any(isinstance(f, _SameToken) for f in logger.filters):
        logger.addFilter(_SameToken())
    app = GmbotApp(
        runtime,
        signing_secret,
        client=web_client(token, api_url),  # Bolt takes the single workspace's token from it
        oauth_settings=oauth,
        logger=logger,
        # the listeners ack first and work lazily (runtime.py): with this on, Bolt answers as
        # soon as the ack returns; off, it polls for the ack every 10 ms (a 10 ms floor)
        process_before_response=True,
    )
    runtime.install(app)
    if oauth is not None:
        app.enable_token_revocation_listeners()
    else:
        app.event("app_uninstalled")(_token_gone)
        app.event("tokens_revoked")(_token_gone)
    return app


async def _token_gone(event: dict[str, Any], body: dict[str, Any]) -> None:
    """One workspace: its only token is dead from now on; say so once, loudly."""
    log.error("Slack says %s in workspace %s: SLACK_BOT_TOKEN no longer works; reinstall the app and set the new "
              "token", event.get("type"), body.get("team_id"))


def web_app(app: GmbotApp) -> web.Application:
    """Commands, interactivity and events on one URL, `/slack/events`, through the entry
    (entry.py); with OAuth, Bolt's install pages too (`/slack/install`, `/slack/oauth_redirect`)."""
    entry = Entry(app, app.signing_secret, app.runtime.acks_at_once)
    served = web.Application()
    served.router.add_post(EVENTS_PATH, entry.handle)
    flow = app.oauth_flow
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_installation(await to_bolt_request(request)))

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

        served.router.add_get(flow.install_path, install)
        served.router.add_get(flow.redirect_uri_path, redirect)
    served.on_shutdown.append(entry.drain)
    return served
