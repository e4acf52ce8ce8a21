"""Health (tag `health`): liveness and a database round trip; no API key needed."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from sqlalchemy import text

from backend_impl import db
from gmbot.server.types import RequestContext


def _version() -> str:
    try:
        return version("gmbot")
    except PackageNotFoundError:
        return "0+unknown"


async def get_health(ctx: RequestContext) -> dict[str, Any]:
    try:
        async with db.get().read() as session:
            await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:
        database = f"unavailable: {type(exc).__name__}"
    return {
        "status": "ok" if database == "ok" else "degraded",
        "version": _version(),
        "database": database,
    }
