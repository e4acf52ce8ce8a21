"""What every front end does around a command: the user always gets a card, never silence.

`guarded` runs a command's work and turns what went wrong into the card the user reads: a
usage error into its usage card, a platform that could not say who a mentioned person is
(`PeopleUnavailable`, raised by the platform's people lookup) into "<Platform> is busy, try
again", anything else into "Something went wrong" (logged with its traceback). `log_outcome`
is the one line each answered command leaves in the log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from gmbot.chat.core import Core
from gmbot.chat.i18n import ENGLISH, Catalog
from gmbot.chat.markup import data
from gmbot.chat.options import UsageError
from gmbot.chat.vocabulary import Outcome


class PeopleUnavailable(Exception):
    """The platform did not answer a question about a mentioned person: nothing is done, and
    the user is told to try again (after the platform's own `retry_after` when it gave one)."""

    def __init__(self, platform: str, question: str, call: str, reason: str, retry_after: float | None = None) -> None:
        super().__init__(f"{call}: {reason}")
        self.platform = platform  # the name people read: "Slack"
        # what could not be answered ("who a person you mentioned is"), a message id of the
        # catalogs: the platform marks it with N_ and the card shows it in the reader's language
        self.question = question
        self.reason = reason
        self.retry_after = retry_after
        self.detail: str | None = None  # what the platform said, shown after the question where it helps


async def guarded(log: logging.Logger, core: Core, work: Awaitable[Outcome], t: Catalog = ENGLISH) -> Outcome:
    """`work`'s outcome; whatever goes wrong, a card for the user, in the reader's words `t`."""
    try:
        return await work
    except UsageError as error:
        return core.usage_outcome(error, t)
    except PeopleUnavailable as error:
        log.warning("cannot tell who is mentioned: %s", error)
        later = t.gettext("in {seconds} s").format(seconds=f"{error.retry_after:g}") if error.retry_after \
            else t.gettext("in a minute")
        return Outcome(core.notice(
            t.gettext("{platform} is busy").format(platform=error.platform),
            t.gettext("{platform} could not say {question}. Nothing was done; try again {later}.").format(
                platform=error.platform, later=later,
                question=t.gettext(error.question) + (f" ({data(error.detail)})" if error.detail else "")),
            "error"), "unavailable")
    except Exception:
        log.exception("command failed")
        return Outcome(core.notice(t.gettext("Something went wrong"),
                                   t.gettext("The bot hit an unexpected error; it was logged."), "error"), "problem")


def log_outcome(log: logging.Logger, name: str, outcome: Outcome) -> None:
    log.info("%s -> %s status=%s request_id=%s", name, outcome.kind, outcome.status, outcome.request_id)
