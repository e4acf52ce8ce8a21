"""The Bot API client (aiogram's `Bot`) as every part of the Telegram front end makes and uses
it: at TELEGRAM_API_BASE_URL (a local Bot API server, or the tests' fake), posting card
messages without link previews (but the card's picture's, messages.py)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)

from gmbot.chat.vocabulary import Picture

log = logging.getLogger("gmbot.telegram")

DEFAULT_API_BASE_URL = "https://api.telegram.org"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]  # what the runtime handles
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)  # a card's links are not its content
REPLY_RETRY_MAX = 30.0  # seconds a command's answer may wait out a 429


def make_bot(token: str, base_url: str | None = None) -> Bot:
    """A Bot for `token` at `base_url` (default the public Bot API). Raises aiogram's
    TokenValidationError when the token is not shaped like one (`123456:ABC...`)."""
    server = TelegramAPIServer.from_base(base_url) if base_url else PRODUCTION
    return Bot(token, session=AiohttpSession(api=server))


def preview(message: dict[str, Any]) -> LinkPreviewOptions:
    """A card's picture as the message's link preview (messages.py); no preview otherwise."""
    options = message.get("link_preview_options")
    return LinkPreviewOptions.model_validate(options) if options else NO_PREVIEW


def markup(message: dict[str, Any]) -> InlineKeyboardMarkup | None:
    keyboard = message.get("reply_markup")
    return InlineKeyboardMarkup.model_validate(keyboard) if keyboard else None


async def post(bot: Bot, chat_id: int | str, messages: Sequence[dict[str, Any]], *,
               reply_to: int | None = None, retry: bool = False, sent: list[Message] | None = None) -> list[Message]:
    """Send a card's messages (messages.py) in order; the first replies to `reply_to`.
    With `retry`, a 429 is waited out (up to REPLY_RETRY_MAX) and the message sent again;
    otherwise the error is the caller's (the events consumer retries per chat itself).
    `sent` collects the messages as they go out: those already in it are not sent again (a
    retried card continues where it failed)."""
    sent = [] if sent is None else sent
    for message in messages[len(sent):]:
        reply = ReplyParameters(message_id=reply_to, allow_sending_without_reply=True) if reply_to and not sent else None
        while True:
            try:
                sent.append(await _send(bot, chat_id, message, reply))
                break
            except TelegramRetryAfter as error:
                if not retry or error.retry_after > REPLY_RETRY_MAX:
                    raise
                log.info("chat %s: rate limited, answering in %s s", chat_id, error.retry_after)
                await asyncio.sleep(error.retry_after)
    return sent



async def _send(bot: Bot, chat_id: int | str, message: dict[str, Any], reply: ReplyParameters | None) -> Message:
    """One message of a card: text (sendMessage), or a picture from the backend (sendPhoto,
    uploaded as multipart) with the card's text as its caption when it has one."""
    photo = message.get("photo")
    if isinstance(photo, Picture):
        return await bot.send_photo(
            chat_id, BufferedInputFile(photo.data, filename=photo.name), caption=message.get("caption"),
            parse_mode=message.get("parse_mode", "HTML") if message.get("caption") else None,
            reply_markup=markup(message), reply_parameters=reply)
    return await bot.send_message(
        chat_id, message["text"], parse_mode=message.get("parse_mode", "HTML"),
        reply_markup=markup(message), reply_parameters=reply, link_preview_options=preview(message))
