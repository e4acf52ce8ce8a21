"""`guarded`: whatever goes wrong in a command, the user reads a card (gmbot/chat/guard.py)."""

from __future__ import annotations

import logging

import pytest

from gmbot.chat.core import Core
from gmbot.chat.guard import PeopleUnavailable, guarded
from gmbot.chat.i18n import N_, Locales
from gmbot.chat.markup import plain
from gmbot.chat.options import UsageError
from gmbot.chat.vocabulary import Outcome
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend
from tests.support import ROOT

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


async def test_the_busy_card_speaks_the_readers_language(spec: BotSpec, fake: FakeBackend) -> None:
    """The platform supplies its question as a message id; the card is in the reader's words."""
    spanish = Locales.load(ROOT / "generated" / "chat" / "locales").catalog("es")
    error = PeopleUnavailable("Echo", N_("who a person you mentioned is"), "people.lookup E1", "HTTP 503", 7.0)
    outcome = await guarded(log, Core(spec, fake.client(), "discord"), failing(error), spanish)
    assert (plain(outcome.card.title), plain(outcome.card.description or "")) == (
        spanish.gettext("{platform} is busy").format(platform="Echo"),
        spanish.gettext("{platform} could not say {question}. Nothing was done; try again {later}.").format(
            platform="Echo", question=spanish.gettext("who a person you mentioned is"),
            later=spanish.gettext("in {seconds} s").format(seconds="7")))
    assert "Echo" in plain(outcome.card.title) and "busy" not in plain(outcome.card.title)  # not English
