"""Helpers of the backend tests: an HTTP client with a key, clans, wars, problem checks."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.backend import contract


@dataclass
class Key:
    client: str
    platform: str
    key: str


class Api:
    """A client of the running backend with one API key."""

    def __init__(self, base_url: str, key: Key) -> None:
        self.key = key
        self.http = httpx.Client(base_url=base_url, timeout=30)
        contract.install(self.http)  # every reply checked against openapi.yaml

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"x-api-key": self.key.key, "client": self.key.client, **(extra or {})}

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers=self.headers())

    def post(self, path: str, body: Any, *, idempotency_key: str | None = None) -> httpx.Response:
        extra = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self.http.post(path, json=body, headers=self.headers(extra))

    def patch(self, path: str, body: Any) -> httpx.Response:
        return self.http.patch(path, json=body, headers=self.headers())

    def close(self) -> None:
        self.http.close()


def uid(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().int % 10**17}"


def user(user_id: str, name: str | None = None) -> dict[str, str]:
    return {"id": user_id, "name": name or f"user {user_id}"}


@dataclass
class ClanSetup:
    server_id: str
    name: str
    leader: dict[str, str]

    @property
    def server(self) -> dict[str, str]:
        return {"id": self.server_id, "name": f"server of {self.name}"}


def setup_clan(api: Api, name: str = "Clan", **extra: Any) -> ClanSetup:
    clan = ClanSetup(uid("9"), f"{name}-{uid()[:5]}", user(uid("1"), f"{name} leader"))
    body = {"server": clan.server, "actor": clan.leader, "channel": {"id": uid("5"), "name": "war-requests"},
            "name": clan.name, **extra}  # fmt: skip
    reply = api.post("/clans", body)
    assert reply.status_code == 201, reply.text
    return clan


def create_war(
    api: Api, clan: ClanSetup, players: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    body = {
        "server": clan.server,
        "actor": clan.leader,
        "players": players or [clan.leader],
        "game": 4,
        **extra,
    }
    reply = api.post("/wars", body)
    assert reply.status_code == 201, reply.text
    war: dict[str, Any] = reply.json()
    return war


def is_problem(reply: httpx.Response, status: int) -> dict[str, Any]:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json"), reply.headers
    body: dict[str, Any] = reply.json()
    assert body["status"] == status
    return body


APPLICATION = "generated.application:application"


def cli_environment() -> dict[str, str]:
    """The environment for running `python -m gmbot.cli` from another directory."""
    root = str(Path(__file__).resolve().parents[2])
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])),
                   "GMBOT_APP": APPLICATION}  # no pyproject.toml names it there
    for name in ("DATABASE_URL", "DISCORD_TOKEN"):
        environment.pop(name, None)
    return environment


def wait_for_health(process: subprocess.Popen[Any], port: int, seconds: float = 60) -> httpx.Response:
    """The first /health reply of a server `process` starting on `port`; fails if it dies."""
    deadline = time.monotonic() + seconds
    while True:
        assert process.poll() is None, process.stdout.read() if process.stdout else ""
        try:
            return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
        except httpx.HTTPError:
            assert time.monotonic() < deadline, f"no /health on port {port} after {seconds} s"
            time.sleep(0.1)
