"""Test doubles of the bot tests: a scripted fake backend and fake Discord objects."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient

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
