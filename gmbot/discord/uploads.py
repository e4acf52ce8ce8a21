"""A card's pictures from the backend as files of the Discord message (py-cord's `File`): the
message is then sent as multipart (`payload_json` and `files[n]`), and the embed shows each
by its name (`attachment://image-getClanRatingChart.png`, embeds.py). The same for every
answer: an interaction's response, a follow-up, an edit, a channel message."""

from __future__ import annotations

import io
from typing import Any

import discord

from gmbot.chat.vocabulary import RenderedCard
from gmbot.discord.embeds import attachment_name


def files_of(card: RenderedCard) -> dict[str, Any]:
    """`files=[...]` for py-cord's send, respond and edit calls; nothing without pictures. A
    `File` is read once: each call makes its own."""
    if not card.pictures:
        return {}
    return {"files": [discord.File(io.BytesIO(picture.data), filename=attachment_name(part, card))
                      for part, picture in card.pictures.items()]}
