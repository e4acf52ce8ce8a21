"""Posting an event's card to its Telegram group (`sendMessage`), and what a failure means
for a retry (the events consumer, gmbot/chat/events.py, retries or skips).

Transient: HTTP 429 (with its `parameters.retry_after`), a 5xx, a time-out, a refused or
dropped connection. Permanent: 403 (the bot was removed from the group, or blocked), 400
(`chat not found`, the group became a supergroup with a new id: its clan must be set up
again there), 401 (the token was revoked; the service notices at its next start): the same
request would be refused again, so the event is logged and skipped, and the others go on.

A card of several messages (messages.py) that fails part-way continues where it failed
when retried: messages already posted are not posted again. At least once, not exactly
once: Telegram has no idempotency key for `sendMessage`; if the process dies after a post
and before the cursor moved past its event, the next start posts it again.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import Message

from gmbot.chat.events import Deliver, DeliveryError
from gmbot.chat.vocabulary import RenderedCard
from gmbot.service.delivery import answered, refusing
from gmbot.telegram.api import post
from gmbot.telegram.messages import card_to_messages

log = logging.getLogger("gmbot.telegram.delivery")

# aiogram keeps the kind of answer, not its status: the status each of its errors stands for
STATUS = ((TelegramBadRequest, 400), (TelegramUnauthorizedError, 401), (TelegramForbiddenError, 403),
          (TelegramNotFound, 404), (TelegramConflictError, 409), (TelegramEntityTooLarge, 413),
          (TelegramServerError, 500))


def post_refusal(error: BaseException) -> DeliveryError | None:
    """Telegram's answer to a post as a DeliveryError; None for anything else
    (gmbot/service/delivery.py reads the rest)."""
    if isinstance(error, TelegramRetryAfter):
        return answered(429, f"HTTP 429: retry after {error.retry_after} s", retry_after=float(error.retry_after))
    if isinstance(error, TelegramMigrateToChat):
        return DeliveryError(f"the group is now the supergroup {error.migrate_to_chat_id}: set the clan up there",
                             permanent=True)
    if isinstance(error, TelegramNetworkError):  # aiogram's wrapper of a connection error or time-out
        return DeliveryError(f"{type(error).__name__}: {error.message}", permanent=False)
    if isinstance(error, TelegramAPIError):
        status = next((s for kind, s in STATUS if isinstance(error, kind)), 400)
        return answered(status, f"{type(error).__name__}: {error.message}")
    return None


def event_poster(bot: Bot, *, remember: int = 1024) -> Deliver:
    """The events consumer's `deliver`: the card's messages to the clan's group. It does not
    wait out a 429 itself: the consumer does, on that group's lane only."""
    progress: OrderedDict[Any, list[Message]] = OrderedDict()  # event id -> messages posted so far

    async def deliver(event: Mapping[str, Any], card: RenderedCard) -> None:
        chat = event.get("channelId") or event.get("serverId")
        if not chat:
            raise DeliveryError("no chat for the event", permanent=True)
        sent = progress.setdefault(event.get("id"), [])
        while len(progress) > remember:
            progress.popitem(last=False)
        try:
            with refusing(post_refusal):
                await post(bot, str(chat), card_to_messages(card), sent=sent)
        except DeliveryError as failure:
            if failure.permanent:
                progress.pop(event.get("id"), None)
            raise
        progress.pop(event.get("id"), None)

    return deliver
