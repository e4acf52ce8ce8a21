"""Test doubles of the bot tests: a scripted fake backend and fake Discord objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import httpx

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient

ROOT = Path(__file__).resolve().parents[2]

GAME4 = {"id": 4, "name": "Mini Militia", "minPlayers": 1, "maxPlayers": 4}
FT3 = {"id": "ft3", "name": "First to 3 wins", "default": True}


def war(**overrides: Any) -> dict[str, Any]:
    body = {
        "id": "zyo8", "status": "open", "private": False, "game": GAME4, "format": FT3, "duration": 12,
        "host": {"server": {"id": "1", "name": "Wolves"}, "platform": "discord", "glory": 0,
                 "players": [{"id": "11", "name": "alice", "role": "Leader"}]},
        "opponent": None, "createdAt": "2026-01-01T00:00:00Z",
    }
    body.update(overrides)
    return body




class FakeBackend:
    """Answers from a script and records every request the bot sent."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.answer: Callable[[httpx.Request], httpx.Response] = lambda r: httpx.Response(200, json={})

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)

    def client(self) -> BackendClient:
        return BackendClient("http://backend.test", "key-1", "DISCORD-BFF", routes=ROUTES,
                             transport=httpx.MockTransport(self.handler))

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)




def member(user_id: int, name: str, guild: Any = None) -> SimpleNamespace:
    return SimpleNamespace(id=user_id, name=name, display_name=name, guild=guild)


class FakeGuild:
    def __init__(self, guild_id: int, name: str, members: list[SimpleNamespace]) -> None:
        self.id, self.name = guild_id, name
        self.members = {m.id: m for m in members}
        for m in members:
            m.guild = self

    def get_member(self, user_id: int) -> Any:
        return self.members.get(user_id)

    async def fetch_member(self, user_id: int) -> Any:
        import discord

        if user_id in self.members:
            return self.members[user_id]
        response: Any = SimpleNamespace(status=404, reason="Not Found")
        raise discord.NotFound(response, "Unknown Member")


def slash_ctx(guild: FakeGuild, author: Any, interaction_id: int = 555) -> SimpleNamespace:
    return SimpleNamespace(
        guild=guild, channel=SimpleNamespace(id=77, name="wars"), author=author,
        interaction=SimpleNamespace(id=interaction_id),
        respond=AsyncMock(), defer=AsyncMock(), followup=SimpleNamespace(send=AsyncMock()),
    )


def prefix_ctx(guild: FakeGuild, author: Any, mentions: list[Any] | None = None, message_id: int = 999) -> SimpleNamespace:
    return SimpleNamespace(
        guild=guild, channel=SimpleNamespace(id=77, name="wars"), author=author,
        message=SimpleNamespace(id=message_id, mentions=mentions or []), send=AsyncMock(),
    )


def sent_embeds(mock: AsyncMock) -> list[dict[str, Any]]:
    """The embeds of the last call of a respond/send mock, as dicts."""
    return [e.to_dict() for e in mock.call_args.kwargs["embeds"]]
