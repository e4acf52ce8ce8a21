"""Posting an event's card to its Slack channel (`chat.postMessage`), and what a failure
means for a retry (the events consumer, gmbot/chat/events.py, retries or skips).

Transient: HTTP 429 (with its `Retry-After`), a 5xx, Slack's own `internal_error`,
`fatal_error`, `service_unavailable`, `request_timeout`, a time-out, a refused or dropped
connection. Permanent: any other `ok: false` answer (`channel_not_found`,
`not_in_channel`, `is_archived`, `msg_too_long`, `invalid_blocks`; `invalid_auth`,
`token_revoked`, `account_inactive` for that workspace's token): the same request
would be refused again, so the event is logged and skipped, and the others go on.

At least once, not exactly once: Slack has no idempotency key for `chat.postMessage`
(Discord has the message nonce). If the process dies after Slack accepted a post and
before the cursor moved past it, the next start posts that event again. Each post
carries the event id in its message `metadata` (`gmbot_event`, `{"event_id": ...}`),
so a duplicate can be recognised in the channel. Checking `conversations.history` for
that metadata before re-posting would close the gap, but needs the `channels:history` and
`groups:history` scopes (reading every message of the clan's channels) and a reinstall of
every workspace: not asked for a rare duplicate.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.chat.events import Deliver, DeliveryError
from gmbot.chat.vocabulary import RenderedCard
from gmbot.service.delivery import answered, refusing, retry_after
from gmbot.slack.blocks import card_to_message
from gmbot.slack.uploads import upload_pictures

log = logging.getLogger("gmbot.slack.delivery")

METADATA_TYPE = "gmbot_event"
# `ok: false` answers that say "Slack, not your request": try again later
TRANSIENT_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"})

TokenFor = Callable[[str], Awaitable[str | None]]


def api_error(error: SlackApiError) -> str | None:
    """Slack's `error` code of a refused call ("channel_not_found"), when it sent one."""
    data = getattr(error.response, "data", None)
    code = data.get("error") if isinstance(data, dict) else None
    return str(code) if code else None


def post_refusal(error: BaseException) -> DeliveryError | None:
    """Slack's answer to a call (slack-sdk's SlackApiError: its status, and its error code
    when `ok` was false) as a DeliveryError; None for anything else (gmbot/service/delivery.py
    reads the rest)."""
    if isinstance(error, SlackApiError):
        status = int(getattr(error.response, "status_code", 0) or 0)
        code = api_error(error)
        return answered(status, f"HTTP {status} {code or ''}".strip(), retry_after=retry_after(error),
                        transient=code in TRANSIENT_ERRORS)
    return None


def metadata(event: Mapping[str, Any]) -> dict[str, Any]:
    """The message metadata that names the event a post is for (see the module doc)."""
    return {"event_type": METADATA_TYPE, "event_payload": {"event_id": event.get("id"), "type": event.get("type")}}


def event_poster(token_for: TokenFor, client: AsyncWebClient) -> Deliver:
    """The events consumer's `deliver`: `chat.postMessage` to the clan's channel, with the
    bot token of the event's workspace (`token_for(team_id)`, None when it is not installed).
    `client` should not wait out 429s itself (`web_client(retry_rate_limits=False)`): the
    consumer does, on that channel's lane only."""

    async def deliver(event: Mapping[str, Any], card: RenderedCard) -> None:
        channel = event.get("channelId")
        team = str(event.get("serverId", ""))
        if not channel:
            raise DeliveryError(f"no channel for team {team}", permanent=True)
        token = await token_for(team)
        if token is None:
            raise DeliveryError(f"no installation for team {team}", permanent=True)
        files = await upload_pictures(client, card, token=token) if card.pictures else {}
        with refusing(post_refusal):
            await client.chat_postMessage(token=token, channel=str(channel), metadata=metadata(event),
                                          **card_to_message(card, files))

    return deliver
