"""What the preview shows for a card's picture from an operation (`image: {operation: ...}`):
the preview has no backend to ask, so a placeholder drawn from the operation's name stands in
its place, where each platform shows the picture (an SVG as a `data:` address, short enough
for every platform's image address)."""

from __future__ import annotations

import base64
import html
from typing import Any

from gmbot.chat.vocabulary import RenderedCard
from gmbot.spec.model import Card, CardImage

PARTS = ("image", "thumbnail")
_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="640" height="320" viewBox="0 0 640 320">'
    '<rect width="640" height="320" fill="#f2f3f5" stroke="#b9bbbe" stroke-width="4" stroke-dasharray="12 8"/>'
    '<polyline points="40,250 140,210 240,225 340,150 440,170 540,90 600,110" fill="none" stroke="#5865f2" '
    'stroke-width="6"/><text x="320" y="56" font-family="sans-serif" font-size="26" text-anchor="middle" '
    'fill="#4f545c">{name}</text><text x="320" y="300" font-family="sans-serif" font-size="18" '
    'text-anchor="middle" fill="#72767d">image from the API (drawn by the backend)</text></svg>'
)


def placeholder(operation: str) -> str:
    """A `data:` address of the stand-in picture for `operation`."""
    svg = _SVG.format(name=html.escape(operation))
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def stand_in(rendered: RenderedCard, card: Card, platform: Any) -> None:
    """Give `rendered` a placeholder for each picture `card` has from an operation on `platform`."""
    shown = card.on(platform)
    for part in PARTS:
        picture = getattr(shown, part)
        if isinstance(picture, CardImage):
            setattr(rendered, part, placeholder(picture.operation))
