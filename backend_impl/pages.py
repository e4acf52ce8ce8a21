"""Paginated lists: `{items, total, limit, offset}`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def page(items: Sequence[Any], total: int, limit: int, offset: int) -> dict[str, Any]:
    return {"items": list(items), "total": total, "limit": limit, "offset": offset}
