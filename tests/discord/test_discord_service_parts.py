"""The neutral service pieces (gmbot/service) and Discord's error classification, alone."""

from __future__ import annotations

import asyncio
import logging

import discord
import pytest

from gmbot.chat.backoff import Backoff
from gmbot.discord.lifecycle import DiscordService
from gmbot.service.frontend import Phase
from gmbot.service.health import FrontEndHealth, HealthServer
from gmbot.service.logs import OneLine
from gmbot.service.shutdown import Refused, Shutdown


def test_backoff_grows_to_its_cap_with_jitter_and_resets() -> None:
    backoff = Backoff(initial=1, cap=8)
    delays = [backoff.next_delay() for _ in range(6)]
    for delay, step in zip(delays, [1, 2, 4, 8, 8, 8], strict=True):
        assert step / 2 <= delay <= step
    backoff.reset()
    assert backoff.next_delay() <= 1


class Closed(discord.ConnectionClosed):
    def __init__(self, code: int) -> None:  # py-cord's needs a websocket; only the code matters
        self.code = code


@pytest.mark.parametrize(("error", "fatal", "words"), [
    (discord.LoginFailure("Improper token"), True, "DISCORD_TOKEN"),
    (discord.PrivilegedIntentsRequired(0), True, "MESSAGE CONTENT INTENT"),
    (Closed(4004), True, "DISCORD_TOKEN"),
    (Closed(4011), True, "--shard-count"),
    (Closed(4000), False, "code 4000"),
    (ConnectionRefusedError(111, "Connection refused"), False, "cannot reach Discord"),
    (TimeoutError(), False, "did not answer in time"),
])
def test_discord_errors_are_fatal_or_transient(error: BaseException, fatal: bool, words: str) -> None:
    failure = DiscordService.failure(error, Phase("logging in"))
    assert failure.fatal is fatal and words in failure.message, failure


def test_a_reconnect_traceback_becomes_one_line() -> None:
    try:
        raise OSError("Connection reset by peer")
    except OSError as error:
        record = logging.LogRecord("discord.shard", logging.ERROR, __file__, 1, "Attempting a reconnect in %.2fs",
                                   (1.5,), (type(error), error, error.__traceback__))
    assert OneLine().filter(record)
    assert record.exc_info is None
    assert record.getMessage() == "Attempting a reconnect in 1.50s (OSError: Connection reset by peer)"


def test_health_says_connecting_while_a_shard_is_down() -> None:
    health = FrontEndHealth("discord", shards=lambda: (1, 2))
    health.connected()
    assert health.to_json()["state"] == "connecting" and not health.healthy
    health.shards = lambda: (2, 2)
    assert health.healthy
    health.failing("cannot reach Discord", 3)
    status, body = HealthServer([health]).report()
    assert status == 503 and body["front_ends"]["discord"]["last_error"]["error"] == "cannot reach Discord"


async def test_shutdown_waits_for_work_in_flight_and_refuses_new_work() -> None:
    shutdown = Shutdown(grace=5)
    finished = []

    async def command() -> None:
        async with shutdown.work():
            await asyncio.sleep(0.05)
            finished.append(True)

    running = asyncio.create_task(command())
    await asyncio.sleep(0)
    shutdown.request("test")
    with pytest.raises(Refused):
        async with shutdown.work():
            pass
    assert await shutdown.drain() and finished == [True]
    await running


async def test_drain_gives_up_after_the_grace() -> None:
    shutdown = Shutdown(grace=0.05)
    release = asyncio.Event()

    async def stuck() -> None:
        async with shutdown.work():
            await release.wait()

    task = asyncio.create_task(stuck())
    await asyncio.sleep(0)
    assert await shutdown.drain() is False
    release.set()
    await task
