"""Posting an event's card to its Discord channel, and what a failure means for a retry.

Transient: a 429 py-cord did not wait out itself (no `Via` header: Cloudflare's, or
its retries used up), a 5xx, a time-out, a dropped connection. Permanent: 403
(the bot lost access), 404 (unknown channel), any other 4xx (a retry sends the
same request). Each post carries the event's `nonce` with `enforce_nonce`: when a
post reached Discord but the bot did not hear back (a crash, a drop), the re-sent
post returns the message created the first time instead of a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import aiohttp
import discord

from gmbot.chat.cards import RenderedCard
from gmbot.chat.events import DeliveryError
from gmbot.discord.runtime import message_kwargs

log = logging.getLogger("gmbot.discord.delivery")

NONCE_MAX = 25  # characters (Discord)


def nonce_of(event: Mapping[str, Any]) -> str:
    """The same for every post of one event: an event id is unique in the feed."""
    return f"gmbot-ev-{event['id']}"[:NONCE_MAX]


def classify(error: BaseException) -> DeliveryError | None:
    """A failed post as a DeliveryError; None when it is not the platform's doing."""
    if isinstance(error, discord.HTTPException):
        status = error.status
        if status == 429 or status >= 500:
            retry_after = _retry_after(error)
            return DeliveryError(f"HTTP {status}", permanent=False, retry_after=retry_after)
        return DeliveryError(f"HTTP {status} {error.text or ''}".strip(), permanent=True)
    if isinstance(error, aiohttp.ClientError | OSError):  # refused, reset, dropped, DNS
        return DeliveryError(f"{type(error).__name__}: {error}", permanent=False)
    return None


def _retry_after(error: discord.HTTPException) -> float | None:
    headers = getattr(error.response, "headers", None) or {}
    try:
        value = float(headers.get("Retry-After", ""))
    except ValueError:
        return None
    return value if value > 0 else None


async def post_event(bot: Any, event: Mapping[str, Any], card: RenderedCard) -> None:
    """Deliver for the events consumer: the card in the event's channel."""
    channel_id = event.get("channelId")
    if not channel_id:
        raise DeliveryError(f"event for server {event.get('serverId')} has no channel", permanent=True)
    # a partial channel needs no GET /channels/<id> when the channel is not cached
    channel = bot.get_channel(int(channel_id)) or bot.get_partial_messageable(int(channel_id))
    try:
        await channel.send(**message_kwargs(card), nonce=nonce_of(event), enforce_nonce=True)
    except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
        failure = classify(error)
        if failure is None:
            raise
        raise failure from error
