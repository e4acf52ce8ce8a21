"""Datetime options on Slack, at the wire (issue 17): the real backend takes what the core
sends (RFC 3339), the author's time zone comes from users.info (asked only when a date
needs it), and an impossible date is a usage error naming the option."""

from __future__ import annotations

from .conftest import Stack
from .test_wire import ALICE, command, header


def _info_calls(stack: Stack, user: str) -> int:
    return sum(1 for call in stack.fake.calls if call.method == "users.info" and call.data.get("user") == user)


async def test_history_since_reaches_the_real_backend(stack: Stack) -> None:
    stack.fake.add_user("UALICE", "alice", "T0WOLF", tz="America/New_York")
    await command(stack, "setup -name Wolves", user=ALICE)
    asked = _info_calls(stack, "UALICE")  # the author's language (include_locale), asked once and cached
    relative = await command(stack, "history -since 7d", user=ALICE)
    assert header(relative).startswith("War history"), relative
    absolute = await command(stack, "history -since 2026-11-01 -until 2026-12-01 18:00", user=ALICE)
    assert header(absolute).startswith("War history"), absolute  # the backend's date-time validation took it
    # the zone comes with the same users.info answer as the language: no call of its own
    assert asked == 1 and _info_calls(stack, "UALICE") == asked

async def test_an_impossible_date_is_a_usage_error(stack: Stack) -> None:
    await command(stack, "setup -name Wolves", user=ALICE)
    refused = await command(stack, "history -since 2026-13-45", user=ALICE)
    assert refused["response_type"] == "ephemeral"
    text = str(refused)
    assert "-since must be a date like 2026-11-01" in text and "month must be in 1..12" in text
    assert "Unprocessable" not in text
