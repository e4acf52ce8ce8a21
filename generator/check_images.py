"""Checks of a card's picture from an operation (`image: {operation, request}`, docs/spec.md,
Images): the operation exists and answers 200 with an image, and its request fills what it
needs from what the card has (the reply, or the event and its data, and the chat context)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from generator.check_requests import CONTEXT
from generator.errors import Path

if TYPE_CHECKING:
    from generator.check_cards import CardChecks

IMAGE_STATUS = "200"


def check_picture(checks: CardChecks, picture: dict[str, Any], path: Path, names: set[str], reply_schema: Any) -> None:
    """`names`: what the card's templates may read (`reply`, `event`, `data`, `ctx`)."""
    operation = checks.operation(picture.get("operation"), (*path, "operation"))
    if operation is None:
        return
    media = operation.media.get(IMAGE_STATUS)
    if media is None:
        known = ", ".join(sorted(operation.responses)) or "none"
        checks.error((*path, "operation"), f"operation {operation.operation_id} has no response 200 (it has: {known}): "
                                           f"a card's picture is the 200 reply's bytes")
    elif not any(kind.lower().startswith("image/") for kind in media):
        said = ", ".join(media) or "no content"
        checks.error((*path, "operation"), f"operation {operation.operation_id} answers 200 with {said}, not an image "
                                           f"(image/png, image/jpeg, ...): a card's picture is the reply's bytes")
    # a command's or a button's reply card: the reply and who asked where; an event card (no
    # reply, nobody asked): the event and its data
    readable = {"reply", *CONTEXT} if "reply" in names else {"event", "data"} & names
    schemas = {k: v for k, v in checks.roots(reply_schema).items() if k in readable}
    checks.check_request(picture.get("request") or {}, (*path, "request"), operation, {}, readable, schemas)
