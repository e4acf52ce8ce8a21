"""One real backend for all the wire tests (starting one costs ~2 s); each test has its own
fake Discord, guilds and clans, and starts its bots where the events feed is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from gmbot.server.local import LocalBackend

from .stage import Stage, shared_backend, stage


@pytest_asyncio.fixture(scope="package", loop_scope="package")
async def backend() -> AsyncIterator[LocalBackend]:
    async with shared_backend() as running:
        yield running


@pytest_asyncio.fixture(loop_scope="package")
async def s(backend: LocalBackend, tmp_path: Path) -> AsyncIterator[Stage]:
    async with stage(tmp_path, backend) as world:
        yield world
