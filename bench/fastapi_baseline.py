"""The benchmark's baseline: a minimal hand-written FastAPI app doing createWar on the same database.

Same work as the backend's createWar, written directly: check the key (hashed, cached)
and the `client` header, find the clan, record the actor and players, check the
actor's role, insert the war under a fresh 4-character id and its players, read the
subscribers (to notify), answer the war. No OpenAPI-driven validation, no
idempotency, no outbox. Run: DATABASE_URL=... uvicorn bench.fastapi_baseline:app
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from backend_impl.settings import database_url

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"


class Ref(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=100)


class PlayerIn(Ref):
    role: str | None = Field(default=None, max_length=64)


class CreateWar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    server: Ref
    actor: Ref
    players: list[PlayerIn] = Field(min_length=1, max_length=10)
    game: int = Field(ge=1, le=2147483647)
    duration: float = Field(default=24, ge=0.0001, le=720)
    format: str = Field(default="ft3", min_length=1, max_length=32)


engine: AsyncEngine | None = None
keys: dict[str, tuple[str, str] | None] = {}
games: dict[int, tuple[str, int, int]] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    global engine
    url = database_url()
    engine = create_async_engine(
        url,
        pool_size=1 if url.startswith("sqlite") else 20,
        max_overflow=0 if url.startswith("sqlite") else 20,
    )
    async with engine.connect() as c:
        for row in await c.execute(text("SELECT id, name, min_players, max_players FROM games")):
            games[row[0]] = (row[1], row[2], row[3])
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


async def check_key(api_key: str, client: str) -> str:
    if api_key not in keys:
        parts = api_key.split("_", 2)
        found = None
        if len(parts) == 3:
            assert engine is not None
            async with engine.connect() as c:
                row = (
                    await c.execute(
                        text(
                            "SELECT client, platform, secret_hash FROM api_keys WHERE id = :i AND revoked_at IS NULL"
                        ),
                        {"i": parts[1]},
                    )
                ).first()
            if row and hmac.compare_digest(hashlib.sha256(parts[2].encode()).hexdigest(), row[2]):
                found = (row[0], row[1])
        keys[api_key] = found
    found = keys[api_key]
    if found is None or found[0] != client:
        raise HTTPException(401, "bad key")
    return found[1]


@app.post("/wars", status_code=201)
async def create_war(
    body: CreateWar, x_api_key: str = Header(), client: str = Header()
) -> dict[str, Any]:
    platform = await check_key(x_api_key, client)
    game = games.get(body.game)
    if game is None or not game[1] <= len(body.players) <= game[2]:
        raise HTTPException(422, "bad game or players")
    assert engine is not None
    now = datetime.now(UTC).replace(tzinfo=None)
    async with engine.begin() as c:
        clan = (
            await c.execute(
                text(
                    "SELECT id, name, server_id FROM clans WHERE platform = :p AND server_id = :s"
                ),
                {"p": platform, "s": body.server.id},
            )
        ).first()
        if clan is None:
            raise HTTPException(404, "no clan")
        users = sorted(
            dict(
                [(body.actor.id, body.actor.name), *((p.id, p.name) for p in body.players)]
            ).items()
        )
        values = ", ".join(f"(:c, :u{i}, :n{i}, 'Member', true)" for i in range(len(users)))
        params: dict[str, Any] = {"c": clan[0]}
        for i, (u, n) in enumerate(users):
            params[f"u{i}"], params[f"n{i}"] = u, n
        rows = (
            await c.execute(
                text(
                    f"INSERT INTO members (clan_id, user_id, name, role, available) VALUES {values} "
                    "ON CONFLICT (clan_id, user_id) DO UPDATE SET name = excluded.name RETURNING user_id, role, available"
                ),
                params,
            )
        ).all()
        roles = {r[0]: r[1] for r in rows}
        if roles[body.actor.id] not in ("Leader", "Co-Leader"):
            raise HTTPException(403, "needs Leader or Co-Leader")
        while True:
            war_id = "".join(secrets.choice(ALPHABET) for _ in range(4))
            inserted = (
                await c.execute(
                    text(
                        "INSERT INTO wars (id, status, private, game_id, format_id, duration, host_clan_id, created_by, created_at, host_glory, opponent_glory) "
                        "VALUES (:i, 'open', false, :g, :f, :d, :h, :a, :t, 0, 0) ON CONFLICT (id) DO NOTHING RETURNING id"
                    ),
                    {
                        "i": war_id,
                        "g": body.game,
                        "f": body.format,
                        "d": body.duration,
                        "h": clan[0],
                        "a": body.actor.id,
                        "t": now,
                    },
                )
            ).first()
            if inserted:
                break
        await c.execute(
            text(
                "INSERT INTO war_players (war_id, clan_id, user_id, name, role, position) VALUES (:w, :c, :u, :n, :r, :p)"
            ),
            [
                {"w": war_id, "c": clan[0], "u": p.id, "n": p.name, "r": roles[p.id], "p": i}
                for i, p in enumerate(body.players)
            ],
        )
        await c.execute(
            text("SELECT clan_id FROM subscriptions WHERE game_id = :g AND clan_id != :h"),
            {"g": body.game, "h": clan[0]},
        )
    return {
        "id": war_id,
        "status": "open",
        "private": False,
        "game": {"id": body.game, "name": game[0], "minPlayers": game[1], "maxPlayers": game[2]},
        "format": {"id": body.format},
        "duration": body.duration,
        "host": {
            "server": {"id": clan[2], "name": clan[1]},
            "platform": platform,
            "players": [{"id": p.id, "name": p.name, "role": roles[p.id]} for p in body.players],
            "vote": None,
            "glory": 0,
        },
        "opponent": None,
        "result": None,
        "createdAt": now.isoformat() + "Z",
    }
