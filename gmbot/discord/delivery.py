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

import discord

from gmbot.chat.events import DeliveryError
from gmbot.chat.vocabulary import RenderedCard
from gmbot.discord.runtime import message_kwargs
from gmbot.service.delivery import answered, refusing, retry_after

log = logging.getLogger("gmbot.discord.delivery")

NONCE_MAX = 25  # characters (Discord)


def nonce_of(event: Mapping[str, Any]) -> str:
    """The same for every post of one event: an event id is unique in the feed."""
    return f"gmbot-ev-{event['id']}"[:NONCE_MAX]


def post_refusal(error: BaseException) -> DeliveryError | None:
    """Discord's answer to a post (py-cord's HTTPException, with its status) as a
    DeliveryError; None for anything else (gmbot/service/delivery.py reads the rest)."""
    if isinstance(error, discord.HTTPException):
        return answered(error.status, f"HTTP {error.status} {error.text or ''}".strip(), retry_after=retry_after(error))
    return None


async def post_event(bot: Any, event: Mapping[str, Any], card: RenderedCard) -> None:
    """Deliver for the events consumer: the card in the event's channel."""
    channel_id = event.get("channelId")
    if not channel_id:
        raise DeliveryError(f"event for server {event.get('serverId')} has no channel", permanent=True)
    # a partial channel needs no GET /channels/<id> when the channel is not cached
    channel = bot.get_channel(int(channel_id)) or bot.get_partial_messageable(int(channel_id))
    with refusing(post_refusal):
        await channel.send(**message_kwargs(card), nonce=nonce_of(event), enforce_nonce=True)
