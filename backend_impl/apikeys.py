"""API keys: one or more per client, stored hashed, compared in constant time.

A key reads `gmb_<id>_<secret>`: the id finds the row, the sha256 of the secret is
compared with `hmac.compare_digest`. The secret is shown once, at creation.
Verified keys are remembered for a few seconds (settings.key_cache_seconds) so a
request costs no extra query; a revoked key stops working within that time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from backend_impl import settings
from backend_impl.db import Database, utcnow
from backend_impl.tables import ApiKey
from gmbot.server.types import ApiClient

PREFIX = "gmb"
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    id: str
    client: str
    platform: str
    created_at: datetime
    revoked_at: datetime | None


def default_platform(client: str) -> str:
    """DISCORD-BFF -> discord."""
    return client.split("-")[0].split("_")[0].lower() or "default"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse(key: str) -> tuple[str, str] | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], parts[2]


async def create(
    database: Database, client: str, platform: str | None = None
) -> tuple[KeyInfo, str]:
    """Store a new key for `client`; return its info and the key itself (never stored)."""
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    row = ApiKey(
        id=key_id,
        client=client,
        platform=platform or default_platform(client),
        secret_hash=_hash(secret),
        created_at=utcnow(),
        revoked_at=None,
    )
    async with database.transaction() as session:
        session.add(row)
    return KeyInfo(
        row.id, row.client, row.platform, row.created_at, None
    ), f"{PREFIX}_{key_id}_{secret}"


async def list_keys(database: Database, client: str | None = None) -> list[KeyInfo]:
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if client:
        query = query.where(ApiKey.client == client)
    async with database.read() as session:
        rows = await session.scalars(query)
        return [KeyInfo(r.id, r.client, r.platform, r.created_at, r.revoked_at) for r in rows]


async def revoke(database: Database, key_id: str) -> bool:
    async with database.transaction() as session:
        result = await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    _cache.clear()
    return bool(result.rowcount)  # type: ignore[attr-defined]


# keyed by (database URL, sha256 of the key): a key is only known to its own database
_cache: dict[tuple[str, str], tuple[float, ApiClient | None]] = {}
_CACHE_MAX = 10_000


async def verify(database: Database, key: str) -> ApiClient | None:
    """Who `key` was issued to, or None (unknown, malformed or revoked)."""
    cache_key = (database.url, hashlib.sha256(key.encode()).hexdigest())
    now = time.monotonic()
    cached = _cache.get(cache_key)
    if cached is not None and cached[0] > now:
        return cached[1]
    client = await _lookup(database, key)
    if len(_cache) >= _CACHE_MAX:
        _cache.clear()
    _cache[cache_key] = (now + settings.key_cache_seconds(), client)
    return client


async def _lookup(database: Database, key: str) -> ApiClient | None:
    parsed = parse(key)
    key_id, secret = parsed if parsed else ("", key)
    row = None
    if key_id:
        async with database.read() as session:
            row = await session.get(ApiKey, key_id)
    stored = row.secret_hash if row is not None else _DUMMY_HASH
    matches = hmac.compare_digest(_hash(secret), stored)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return ApiClient(client=row.client, platform=row.platform)
