"""Fitting card text into a platform's limits, the same way on every platform: cut with a
visible marker, or split at line ends into pieces that each fit."""

from __future__ import annotations

CUT = "… (cut)"


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(CUT)] + CUT


def chunks(text: str, limit: int) -> list[str]:
    """Split at line ends where possible, else hard."""
    pieces: list[str] = []
    while len(text) > limit:
        at = text.rfind("\n", 0, limit)
        at = at if at > limit // 2 else limit
        pieces.append(text[:at])
        text = text[at:].lstrip("\n")
    return [*pieces, text] if text else pieces
