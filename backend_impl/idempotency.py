"""`Idempotency-Key` on POSTs: a retried request replays the first reply and changes nothing.

The key is recorded in the same transaction as the change it guards, before the
change: a concurrent retry blocks on the key's row (PostgreSQL) or on the single
writer (SQLite) until the first commits, then finds the record and replays it.
A failed request (a problem) rolls back with its key, so it can be retried.
Keys are scoped by client and platform (the calling key's: a client holding keys on two
platforms is two callers, and one platform's reply is never replayed to the other);
reusing one for a different request is a 422.
A key is remembered for `settings.idempotency_ttl()` seconds: an older record no
longer replays (it is replaced), and the scheduler purges old records in batches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, errors, settings
from backend_impl.db import Database, utcnow
from backend_impl.tables import IdempotencyRecord
from gmbot.server.types import Reply, RequestContext

Work = Callable[[AsyncSession], Awaitable[dict[str, Any]]]
PURGE_BATCH = 500  # rows per purge transaction: keeps its locks short


def cutoff(now: datetime | None = None, ttl: float | None = None) -> datetime:
    """Records created at or before this moment have expired."""
    seconds = settings.idempotency_ttl() if ttl is None else ttl
    return (now or utcnow()) - timedelta(seconds=seconds)


def fingerprint(operation: str, arguments: dict[str, Any]) -> str:
    text = json.dumps([operation, arguments], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyRecord, operation: str, digest: str) -> Reply:
    if record.operation != operation or record.request_hash != digest:
        raise errors.unprocessable(
            "This Idempotency-Key was already used for a different request.",
            idempotencyKey=record.key,
            firstOperation=record.operation,
        )
    return Reply(record.status, record.body, {"Idempotent-Replayed": "true"})


def _this(ctx: RequestContext, key: str) -> tuple[Any, ...]:
    """The WHERE clause of the caller's record of `key`."""
    return (
        IdempotencyRecord.client == ctx.client,
        IdempotencyRecord.platform == ctx.platform,
        IdempotencyRecord.key == key,
    )


async def run(
    ctx: RequestContext,
    operation: str,
    status: int,
    body: BaseModel,
    work: Work,
    **path: str,
) -> dict[str, Any] | Reply:
    """Run `work` in a transaction, once per (client, platform, Idempotency-Key) for this
    operation, path and body."""
    database = db.get()
    key = ctx.idempotency_key
    if not key:

        async def once() -> dict[str, Any]:
            async with database.transaction() as session:
                return await work(session)

        return await db.retrying(once)
    digest = fingerprint(operation, {**path, **body.model_dump(mode="json")})

    async def keyed() -> dict[str, Any] | Reply:
        async with database.transaction() as session:
            found = await session.scalar(select(IdempotencyRecord).where(*_this(ctx, key)))
            expired = cutoff()
            if found is not None and found.created_at > expired:
                return _replay(found, operation, digest)
            if found is not None:
                # Expired: this request runs afresh under the key. A Core DELETE (not
                # session.delete) so that a concurrent retry that deleted it first makes
                # this one match 0 rows, then fail on the insert and replay that retry.
                session.expunge(found)
                await session.execute(
                    delete(IdempotencyRecord).where(*_this(ctx, key), IdempotencyRecord.created_at <= expired)
                )
            record = IdempotencyRecord(
                client=ctx.client,
                platform=ctx.platform,
                key=key,
                operation=operation,
                request_hash=digest,
                status=status,
                body=None,
                created_at=utcnow(),
            )
            session.add(record)
            await session.flush()  # waits here for a concurrent first attempt
            reply = await work(session)
            record.body = reply
        return reply

    for _attempt in range(3):
        try:
            return await db.retrying(keyed)
        except IntegrityError:
            continue  # a concurrent attempt committed this key first: replay it
    raise errors.conflict("This request is being processed; retry shortly.", idempotencyKey=key)


async def purge_expired(
    database: Database,
    now: datetime | None = None,
    ttl: float | None = None,
    batch: int = PURGE_BATCH,
) -> int:
    """Delete the expired records, `batch` per transaction; return how many.

    `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite serialises writers anyway) lets
    two processes purge at once without waiting on each other's rows.
    """
    limit = cutoff(now, ttl)
    deleted = 0
    while True:
        async with database.transaction() as session:
            columns = (IdempotencyRecord.client, IdempotencyRecord.platform, IdempotencyRecord.key)
            expired = (
                select(*columns)
                .where(IdempotencyRecord.created_at <= limit)
                .order_by(IdempotencyRecord.created_at)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
            result = await session.execute(
                delete(IdempotencyRecord)
                .where(tuple_(*columns).in_(expired))
                .execution_options(synchronize_session=False)
            )
        count = int(result.rowcount)  # type: ignore[attr-defined]
        deleted += count
        if count < batch:
            return deleted
