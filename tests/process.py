"""A bot (`gmbot bot`, `gmbot slack`) or `gmbot run` in a subprocess, its log read line by
line, its health polled: what the service tests wait on instead of sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from tests.support import free_port


class Process:
    def __init__(self, process: asyncio.subprocess.Process, health_port: int, front_end: str) -> None:
        self.process = process
        self.health_port = health_port
        self.front_end = front_end
        self.lines: list[str] = []
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        stream = self.process.stderr or self.process.stdout  # the log, or both joined
        assert stream is not None
        async for raw in stream:
            self.lines.append(raw.decode(errors="replace").rstrip())
            async with self._changed:
                self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    async def wait_for_line(self, pattern: str, within: float = 15.0) -> str:
        regex = re.compile(pattern)

        async def find() -> str:
            async with self._changed:
                while True:
                    for line in self.lines:
                        if regex.search(line):
                            return line
                    if self._reader.done():
                        raise AssertionError(f"exited without printing {pattern!r}:\n{self.output}")
                    await self._changed.wait()

        try:
            return await asyncio.wait_for(find(), within)
        except TimeoutError:
            raise AssertionError(f"no line matching {pattern!r} within {within} s:\n{self.output}") from None

    async def exit_code(self, within: float = 15.0) -> int:
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            raise AssertionError(f"still running after {within} s:\n{self.output}") from None
        await self._reader
        return code

    async def health(self) -> tuple[int, dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            reply = await client.get(f"http://127.0.0.1:{self.health_port}/health")
            return reply.status_code, reply.json()

    async def wait_for_health(self, state: str, within: float = 15.0) -> dict[str, Any]:
        """The health report once the front end is in `state` (polled, as a probe polls)."""
        last: Any = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                _, last = await self.health()
                if last["front_ends"][self.front_end]["state"] == state:
                    return dict(last)
            if self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        raise AssertionError(f"health never said {state!r} (last: {last}):\n{self.output}")

    async def metrics(self) -> str:
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{self.health_port}/metrics")).text

    async def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        with contextlib.suppress(Exception):
            await self._reader

    def assert_no_traceback(self) -> None:
        assert "Traceback" not in self.output, self.output


@contextlib.asynccontextmanager
async def gmbot_run(tmp: Path, env: dict[str, str], platform: str) -> AsyncIterator[Process]:
    """`gmbot run` in `tmp` (its own SQLite; `gmbot run` makes the bot's API key) with `env`,
    `platform`'s front end beside the backend; killed at the end."""
    key_env = f"GMBOT_{platform.upper()}_API_KEY"
    env = {k: v for k, v in env.items() if k not in ("GMBOT_API_KEY", key_env, "GMBOT_BACKEND_URL")}
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gmbot.cli", "run", "--port", str(port), cwd=tmp, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    run = Process(process, port, platform)  # its health port is `gmbot run`'s own: the aggregated /health
    try:
        yield run
    finally:
        await run.kill()
