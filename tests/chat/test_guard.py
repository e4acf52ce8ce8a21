"""`guarded`: whatever goes wrong in a command, the user reads a card (gmbot/chat/guard.py)."""

from __future__ import annotations

import logging

import pytest

from gmbot.chat.core import Core
from gmbot.chat.guard import PeopleUnavailable, guarded
from gmbot.chat.markup import plain
from gmbot.chat.options import UsageError
from gmbot.chat.vocabulary import Outcome
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend

log = logging.getLogger("gmbot.test")


async def failing(error: BaseException) -> Outcome:
    raise error


@pytest.mark.parametrize(("retry_after", "later"), [(7.0, "in 7 s"), (None, "in a minute")])
async def test_a_platform_that_cannot_say_who_is_mentioned_is_a_busy_card(
        spec: BotSpec, fake: FakeBackend, retry_after: float | None, later: str,
        caplog: pytest.LogCaptureFixture) -> None:
    error = PeopleUnavailable("Echo", "who a person you mentioned is", "people.lookup E1", "HTTP 503", retry_after)
    outcome = await guarded(log, Core(spec, fake.client(), "discord"), failing(error))
    assert (outcome.kind, plain(outcome.card.title), plain(outcome.card.description or "")) == (
        "unavailable", "Echo is busy",
        f"Echo could not say who a person you mentioned is. Nothing was done; try again {later}.")
    assert "cannot tell who is mentioned: people.lookup E1: HTTP 503" in caplog.text
    assert not fake.requests  # nothing was done


async def test_usage_errors_and_bugs_are_cards_too(spec: BotSpec, fake: FakeBackend,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    core = Core(spec, fake.client(), "discord")
    usage = await guarded(log, core, failing(UsageError("unknown command 'nope'")))
    assert usage.kind == "usage" and "nope" in plain(usage.card.description or "")
    bug = await guarded(log, core, failing(KeyError("x")))
    assert (bug.kind, plain(bug.card.title)) == ("problem", "Something went wrong")
    assert "command failed" in caplog.text and "KeyError" in caplog.text  # with its traceback, for the report
