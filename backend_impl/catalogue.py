"""Games and war formats (tag `catalogue`). Seeded by the first migration; cached per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend_impl import db
from backend_impl.pages import page
from backend_impl.tables import Format, Game
from gmbot.server.types import RequestContext


@dataclass(frozen=True)
class GameInfo:
    id: int
    name: str
    min_players: int
    max_players: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "minPlayers": self.min_players,
            "maxPlayers": self.max_players,
        }


@dataclass(frozen=True)
class FormatInfo:
    id: str
    name: str
    is_default: bool

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "default": self.is_default}


@dataclass(frozen=True)
class Catalogue:
    games: dict[int, GameInfo]
    formats: dict[str, FormatInfo]

    @property
    def default_format(self) -> FormatInfo:
        return next(
            (f for f in self.formats.values() if f.is_default), next(iter(self.formats.values()))
        )


async def load(session: AsyncSession | None = None) -> Catalogue:
    """The catalogue, cached; pass the open session when inside a transaction (SQLite has one connection)."""
    database = db.get()
    cached = database.cache.get("catalogue")
    if isinstance(cached, Catalogue):
        return cached
    if session is None:
        async with database.read() as own:
            return await load(own)
    games = (await session.scalars(select(Game).order_by(Game.id))).all()
    formats = (await session.scalars(select(Format).order_by(Format.position, Format.id))).all()
    catalogue = Catalogue(
        games={g.id: GameInfo(g.id, g.name, g.min_players, g.max_players) for g in games},
        formats={f.id: FormatInfo(f.id, f.name, f.is_default) for f in formats},
    )
    database.cache["catalogue"] = catalogue
    return catalogue


async def list_games(ctx: RequestContext, *, limit: int = 25, offset: int = 0, search: str | None = None) -> dict[str, Any]:
    games = [g.to_dict() for g in (await load()).games.values()]
    if search is not None and search.strip():
        # what a chat user typed so far (autocomplete): a part of the name, or the id
        wanted = search.strip().casefold()
        games = [g for g in games if wanted in str(g["name"]).casefold() or wanted == str(g["id"])]
    return page(games[offset : offset + limit], len(games), limit, offset)


async def list_formats(ctx: RequestContext, *, limit: int = 25, offset: int = 0) -> dict[str, Any]:
    formats = [f.to_dict() for f in (await load()).formats.values()]
    return page(formats[offset : offset + limit], len(formats), limit, offset)
