"""The front-end service (gmbot/service/frontend.py) with nothing but its hooks: what a new
platform supplies, and what it then gets without writing it (retries, exit 78, health,
metrics, the events consumer once). The platforms' own behaviour is tested at the wire
(tests/discord/test_discord_service.py, tests/slack/test_slack_service.py)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from gmbot.chat.backend import BackendClient
from gmbot.chat.backoff import Backoff
from gmbot.chat.core import Core
from gmbot.chat.events import CursorStore
from gmbot.discord.lifecycle import DiscordService
from gmbot.service.cli import start_events
from gmbot.service.frontend import FrontEndService, Phase
from gmbot.service.shutdown import Shutdown
from gmbot.service.supervise import EXIT_CONFIG, Failure
from gmbot.slack.lifecycle import SlackService
from gmbot.spec.load import load_spec_yaml
from tests.chat.fakes import ROUTES
from tests.support import ROOT

CHECKING = Phase("checking LOOP_TOKEN (whoami)", "whoami", "LOOP_TOKEN", "the loop's settings page")


class Refused(Exception):
    """The loop platform's "no" to a token."""


class LoopService(FrontEndService):
    """A platform of its own: its connect() fails with the errors it is handed, then connects."""

    platform = "loop"
    title = "Loop"

    def __init__(self, *errors: BaseException) -> None:
        super().__init__(shutdown=Shutdown(grace=1), backoff=Backoff(initial=0.01, cap=0.02))
        self.errors = list(errors)
        self.resets = 0
        self.closed = False
        self.up = asyncio.Event()

    @classmethod
    def refusal(cls, error: BaseException, phase: Phase) -> Failure | None:
        if isinstance(error, Refused):
            return Failure(True, f"Loop refused {phase.variable}: set it to {phase.where}")
        return None

    async def connect(self) -> None:
        self.phase = CHECKING
        if self.errors:
            raise self.errors.pop(0)
        self.connected("as loopy")
        self.up.set()
        await self.shutdown.stopping.wait()

    async def reset(self) -> None:
        self.resets += 1

    async def close(self) -> None:
        self.closed = True


async def test_a_platform_brings_hooks_and_gets_retries_health_and_a_clean_stop(caplog: pytest.LogCaptureFixture) -> None:
    service = LoopService(ConnectionRefusedError(111, "Connection refused"), TimeoutError())
    caplog.set_level(logging.INFO)
    running = asyncio.create_task(service.serve())
    await asyncio.wait_for(service.up.wait(), 10)
    assert service.health.healthy and service.resets == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings[0].startswith("cannot reach Loop while checking LOOP_TOKEN (whoami): ConnectionRefusedError")
    assert warnings[1].startswith("Loop did not answer in time while checking LOOP_TOKEN (whoami)")
    assert "connected to Loop as loopy" in caplog.messages
    metrics = service.metrics.text().decode()
    assert 'gmbot_bot_connect_attempts_total{outcome="failed",platform="loop"} 2.0' in metrics
    assert 'gmbot_bot_connected{platform="loop"} 1.0' in metrics

    service.shutdown.request("test")
    assert await asyncio.wait_for(running, 10) == 0
    assert service.closed and service.health.state == "stopped"
    assert 'gmbot_bot_connected{platform="loop"} 0.0' in service.metrics.text().decode()


async def test_a_refusal_is_one_line_and_exit_78(caplog: pytest.LogCaptureFixture) -> None:
    service = LoopService(Refused())
    assert await asyncio.wait_for(service.serve(), 10) == EXIT_CONFIG
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert [r.getMessage() for r in errors] == ["Loop refused LOOP_TOKEN: set it to the loop's settings page"]
    assert errors[0].exc_info is None and service.health.state == "fatal" and service.resets == 1


@pytest.mark.parametrize("service", [DiscordService, SlackService, LoopService])
@pytest.mark.parametrize(("error", "says"), [
    (ConnectionResetError(104, "Connection reset by peer"), "cannot reach {title} while starting: ConnectionResetError"),
    (aiohttp.ServerDisconnectedError(), "cannot reach {title} while starting: ServerDisconnectedError"),
    (TimeoutError(), "{title} did not answer in time while starting"),
])
def test_every_platform_reads_the_network_the_same_way(service: type[FrontEndService], error: BaseException,
                                                       says: str) -> None:
    failure = service.failure(error)
    assert not failure.fatal and failure.message.startswith(says.format(title=service.title)), failure.message


@pytest.mark.parametrize("service", [DiscordService, SlackService, LoopService])
def test_a_bug_while_connecting_is_logged_with_its_traceback(service: type[FrontEndService],
                                                             caplog: pytest.LogCaptureFixture) -> None:
    failure = service.failure(KeyError("oops"))
    assert not failure.fatal and failure.message == "unexpected error while starting: KeyError: 'oops'"
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.name == f"gmbot.{service.platform}" and record.exc_info is not None


async def test_the_events_consumer_starts_once_and_only_with_event_cards(tmp_path: Path) -> None:
    spec = load_spec_yaml(ROOT / "specs" / "commands.yaml")
    backend = BackendClient("http://backend.test", "k", "LOOP-BFF", routes=ROUTES, transport=httpx.MockTransport(
        lambda request: httpx.Response(200, json={"items": [], "next": 0})))  # a feed with nothing new

    async def deliver(event: Any, card: Any) -> None:
        raise AssertionError("nothing to post")

    service = LoopService()
    cursor = CursorStore(tmp_path / "cursor")
    no_cards = Core(spec.model_copy(update={"events": []}), backend, "loop")
    assert start_events(service, no_cards, backend, cursor, deliver) is None  # it has no feed route to poll
    assert service.tasks == []
    core = Core(spec, backend, "loop")
    first = start_events(service, core, backend, cursor, deliver)
    again = start_events(service, core, backend, cursor, deliver)  # a reconnection
    assert first is not None and again is None and service.tasks == [first]
    assert first.get_name() == "gmbot-loop-events"
    first.cancel()
    await backend.aclose()
