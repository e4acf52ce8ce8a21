"""Datetime options on Telegram, at the wire (issue 17): typed after the command, parsed by the
core (Telegram gives no time zone: UTC), taken by the real backend; an impossible date is a
usage card naming the option, with the placeholder in the usage line."""

from __future__ import annotations

from .conftest import WOLVES, Stack, shown, title


async def test_history_since_on_telegram(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    for value in ("7d", "2026-11-01", "2026-11-01 18:00 -until yesterday"):
        history = await stack.say(WOLVES, "Ann", f"/history -since {value}")
        assert title(history).startswith("War history"), shown(history)
    refused = await stack.say(WOLVES, "Ann", "/history -since 2026-13-45")
    assert "-since must be a date like 2026-11-01" in shown(refused) and "month must be in 1..12" in shown(refused)
    assert "-since &lt;when&gt;" in refused.data["text"] or "-since <when>" in shown(refused)
