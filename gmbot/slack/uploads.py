"""A card's pictures from the backend as Slack files: each is uploaded privately with the
workspace's bot token (slack-sdk's `files_upload_v2`: files.getUploadURLExternal, the upload
POST, files.completeUploadExternal without a channel), and the card's image block shows it by
its id (`slack_file: {id}`, blocks.py), in the message the bot posts anyway: the card keeps
its colour bar, its buttons and its place (a `response_url` answer, an ephemeral one, a
thread). Sharing the file in the channel instead would post it as a message of its own,
beside the card, and cannot be ephemeral.

`highlight_type` tells Slack the file is an image at once, so a block may show it before
Slack has finished processing the upload. A picture that cannot be uploaded (no `files:write`
scope, Slack refusing or down) is left out of the card, and logged."""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.chat.vocabulary import RenderedCard

log = logging.getLogger("gmbot.slack.uploads")

SCOPE = "files:write"  # the bot scope uploads need (gmbot/slack/manifest.py)


async def upload_pictures(client: AsyncWebClient | None, card: RenderedCard, *,
                          token: str | None = None) -> dict[str, str]:
    """The Slack file id of each of the card's pictures, by part (`image`, `thumbnail`)."""
    files: dict[str, str] = {}
    if client is None:
        return files
    for part, picture in card.pictures.items():
        kind = picture.media_type.removeprefix("image/")
        try:
            reply = await client.files_upload_v2(content=picture.data, filename=picture.name, title=picture.name,
                                                 alt_txt=card.title[:1000] or picture.name,
                                                 highlight_type=kind, token=token)
            uploaded = reply.get("files") or []
            if uploaded and isinstance(uploaded[0], dict) and uploaded[0].get("id"):
                files[part] = str(uploaded[0]["id"])
            else:
                log.warning("the upload of %s gave no file id: the card goes without it", picture.name)
        except SlackApiError as error:
            log.warning("could not upload %s (%s): the card goes without it", picture.name,
                        error.response.get("error"))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            log.warning("could not upload %s (%s): the card goes without it", picture.name, error)
    return files
