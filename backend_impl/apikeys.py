"""API keys: one or more per client, stored hashed, compared in constant time.

A key reads `gmb_<id>_<secret>`: the id finds the row, the sha256 of the secret is
compared with `hmac.compare_digest`. The secret is shown once, at creation.
Verified keys are remembered for a few seconds (settings.key_cache_seconds) so a
request costs no extra query; a revoked key stops working within that time.

A key is issued to one client for one platform: a second client on a platform that
already has one is refused unless asked for explicitly (`shared_platform`), since any
holder of a platform's key can act as any user of that platform (docs/backend.md,
"Security"). Each key records when it was last used, to within LAST_USED_PRECISION
seconds, so a rotation can tell when the old key has gone quiet.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend_impl import settings
from backend_impl.db import Database, utcnow
from backend_impl.tables import ApiKey
from gmbot.server.types import ApiClient

PREFIX = "gmb"
LAST_USED_PRECISION = 60  # seconds: a busy key costs one UPDATE a minute, not one a request
_DUMMY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class KeyInfo:
    id: str
    client: str
    platform: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None = None


class PlatformTaken(ValueError):
    """Another client already holds keys for this platform."""

    def __init__(self, platform: str, clients: list[str]) -> None:
        super().__init__(
            f"platform {platform} already has keys for {', '.join(clients)}; a second client on "
            "one platform can act for the same users: pass --share-platform if that is intended"
        )
        self.platform = platform
        self.clients = clients


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
    database: Database, client: str, platform: str | None = None, *, shared_platform: bool = False
) -> tuple[KeyInfo, str]:
    """Store a new key for `client`; return its info and the key itself (never stored).

    Raises PlatformTaken when another client has active keys for the platform, unless
    `shared_platform`.
    """
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
        others = sorted(set(await session.scalars(
            select(ApiKey.client).where(
                ApiKey.platform == row.platform, ApiKey.client != client, ApiKey.revoked_at.is_(None)
            )
        )))  # fmt: skip
        if others and not shared_platform:
            raise PlatformTaken(row.platform, others)
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
        return [
            KeyInfo(r.id, r.client, r.platform, r.created_at, r.revoked_at, r.last_used_at)
            for r in rows
        ]


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
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > timedelta(seconds=LAST_USED_PRECISION):
        await _mark_used(database, row.id, now)
    return ApiClient(client=row.client, platform=row.platform)


async def _mark_used(database: Database, key_id: str, now: datetime) -> None:
    stale = now - timedelta(seconds=LAST_USED_PRECISION)
    async with database.transaction() as session:  # conditional: processes racing write once
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < stale))
            .values(last_used_at=now)
        )
