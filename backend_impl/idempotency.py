"""`Idempotency-Key` on POSTs: a retried request replays the first reply and changes nothing.

The key is recorded in the same transaction as the change it guards, before the
change: a concurrent retry blocks on the key's row (PostgreSQL) or on the single
writer (SQLite) until the first commits, then finds the record and replays it.
A failed request (a problem) rolls back with its key, so it can be retried.
Keys are scoped by client; reusing one for a different request is a 422.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db, errors
from backend_impl.db import utcnow
from backend_impl.tables import IdempotencyRecord
from gmbot.server.types import Reply, RequestContext

Work = Callable[[AsyncSession], Awaitable[dict[str, Any]]]


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


async def run(
    ctx: RequestContext,
    operation: str,
    status: int,
    body: BaseModel,
    work: Work,
    **path: str,
) -> dict[str, Any] | Reply:
    """Run `work` in a transaction, once per (client, Idempotency-Key) for this operation, path and body."""
    database = db.get()
    key = ctx.idempotency_key
    if not key:
        async with database.transaction() as session:
            return await work(session)
    digest = fingerprint(operation, {**path, **body.model_dump(mode="json")})
    for _attempt in range(3):
        try:
            async with database.transaction() as session:
                found = await session.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.client == ctx.client, IdempotencyRecord.key == key
                    )
                )
                if found is not None:
                    return _replay(found, operation, digest)
                record = IdempotencyRecord(
                    client=ctx.client,
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
        except IntegrityError:
            continue  # a concurrent attempt committed this key first: replay it
    raise errors.conflict("This request is being processed; retry shortly.", idempotencyKey=key)
