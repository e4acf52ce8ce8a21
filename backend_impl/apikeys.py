"""API keys: one or more per client, stored hashed, compared in constant time.

A key reads `gmb_<id>_<secret>`: the id finds the row, the sha256 of the secret is
compared with `hmac.compare_digest`. The secret is shown once, at creation.

Each process holds the active keys (ids, hashes, who they are for: a few rows) and reads
them again when the copy is older than settings.key_cache_seconds, so a request costs no
query and a revoked key stops working within that time. A key id the copy does not know
(a key created a moment ago, or an attacker's guess) reads them again, but at most once
every MISS_REFRESH_SECONDS per process, however many unknown keys arrive: the misses
meanwhile wait for that one read. Nothing is stored per key presented, so unknown keys
cost neither a query each nor memory.

A key is issued to one client for one platform: a second client on a platform that
already has one is refused unless asked for explicitly (`shared_platform`), since any
holder of a platform's key can act as any user of that platform (docs/backend.md,
"Security"); so is a second platform for a client that already has one
(`second_platform`): one bot's name then speaks for two platforms' users. Each key records when it was last used, to within LAST_USED_PRECISION
seconds, so a rotation can tell when the old key has gone quiet.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from backend_impl import settings
from backend_impl.db import Database, utcnow
from backend_impl.tables import ApiKey
from gmbot.server.types import ApiClient

PREFIX = "gmb"
LAST_USED_PRECISION = 60  # seconds: a busy key costs one UPDATE a minute, not one a request
MISS_REFRESH_SECONDS = 1.0  # an unknown key id reads the keys again at most this often
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


class SecondPlatform(ValueError):
    """The client already holds keys for another platform."""

    def __init__(self, client: str, platforms: list[str]) -> None:
        super().__init__(
            f"client {client} already has keys for platform {', '.join(platforms)}; one client on two "
            "platforms acts for the users of both: pass --second-platform if that is intended"
        )
        self.client = client
        self.platforms = platforms


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
    database: Database,
    client: str,
    platform: str | None = None,
    *,
    shared_platform: bool = False,
    second_platform: bool = False,
) -> tuple[KeyInfo, str]:
    """Store a new key for `client`; return its info and the key itself (never stored).

    Raises PlatformTaken when another client has active keys for the platform, unless
    `shared_platform`; SecondPlatform when the client has active keys for another
    platform, unless `second_platform`.
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
        platforms = sorted(set(await session.scalars(
            select(ApiKey.platform).where(ApiKey.client == client, ApiKey.revoked_at.is_(None))
        )))  # fmt: skip
        if platforms and row.platform not in platforms and not second_platform:  # not a rotation
            raise SecondPlatform(client, platforms)
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
    forget()
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class _Active:
    """A key as a process holds it."""

    client: ApiClient
    secret_hash: str
    last_used_at: datetime | None


@dataclass
class _Keys:
    """One database's active keys, as last read."""

    by_id: dict[str, _Active] = field(default_factory=dict)
    read_at: float = float("-inf")  # time.monotonic() when the last read began
    lock: asyncio.Lock | None = None  # one read at a time (per event loop)
    loop: asyncio.AbstractEventLoop | None = None

    def locked(self) -> asyncio.Lock:
        running = asyncio.get_running_loop()
        if self.lock is None or self.loop is not running:
            self.lock, self.loop = asyncio.Lock(), running
        return self.lock


_keys: dict[str, _Keys] = {}  # by database URL: a key is only known to its own database


def forget() -> None:
    """Drop what this process holds (a revocation made here is seen at once)."""
    _keys.clear()


async def _read(database: Database, keys: _Keys, unless_since: float) -> None:
    """Read the active keys, unless a read began after `unless_since` (another request's,
    while this one waited for the lock)."""
    async with keys.locked():
        if keys.read_at >= unless_since:
            return
        began = time.monotonic()
        async with database.read() as session:
            rows = await session.scalars(select(ApiKey).where(ApiKey.revoked_at.is_(None)))
            keys.by_id = {r.id: _Active(ApiClient(r.client, r.platform), r.secret_hash, r.last_used_at)
                          for r in rows}  # fmt: skip
        keys.read_at = began  # only once read: a failed read is tried again by the next request


async def _find(database: Database, key_id: str) -> _Active | None:
    keys = _keys.setdefault(database.url, _Keys())
    asked = time.monotonic()
    if asked - keys.read_at > settings.key_cache_seconds():
        await _read(database, keys, asked - settings.key_cache_seconds())
    found = keys.by_id.get(key_id)
    while found is None and keys.read_at < asked:
        # Unknown: read again (a key created since?), not sooner than MISS_REFRESH_SECONDS after
        # the last read; every miss of the moment waits for that one read.
        await asyncio.sleep(max(0.0, keys.read_at + MISS_REFRESH_SECONDS - time.monotonic()))
        await _read(database, keys, min(asked, time.monotonic() - MISS_REFRESH_SECONDS))
        found = keys.by_id.get(key_id)
    return found


async def verify(database: Database, key: str) -> ApiClient | None:
    """Who `key` was issued to, or None (unknown, malformed or revoked)."""
    parsed = parse(key)
    key_id, secret = parsed if parsed else ("", key)
    found = await _find(database, key_id) if key_id else None
    matches = hmac.compare_digest(_hash(secret), found.secret_hash if found else _DUMMY_HASH)
    if found is None or not matches:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at > timedelta(seconds=LAST_USED_PRECISION):
        found.last_used_at = now  # before the write: concurrent requests do not write it too
        await _mark_used(database, key_id, now)
    return found.client


async def _mark_used(database: Database, key_id: str, now: datetime) -> None:
    stale = now - timedelta(seconds=LAST_USED_PRECISION)
    async with database.transaction() as session:  # conditional: processes racing write once
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == key_id)
            .where((ApiKey.last_used_at.is_(None)) | (ApiKey.last_used_at < stale))
            .values(last_used_at=now)
        )
