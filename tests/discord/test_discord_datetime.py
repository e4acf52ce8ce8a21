"""Datetime options on Discord, at the wire (issue 17): a string option whose description shows
the format, parsed by the core, taken by the real backend; an impossible date is answered with
a usage error naming the option (Discord gives no time zone: UTC)."""

from __future__ import annotations

import pytest

from .fake_discord import EPHEMERAL
from .stage import Stage, title

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs


async def test_history_since_on_discord(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    history = next(c for c in d.commands[None] if c["name"] == "history")
    since = next(o for o in history["options"] if o["name"] == "since")
    assert since["type"] == 3 and "2026-11-01 18:00 or 7d ago" in since["description"]
    await s.set_up_clans(wolves, bears)
    for value in ("7d", "2026-11-01", "2026-11-01 18:00"):
        reply = await d.reply_to(await d.slash(wolves, "alice", "history", wolves.channel("wars"), since=value))
        assert title(reply).startswith("War history"), (value, reply)
    refused = await d.reply_to(await d.slash(wolves, "alice", "history", wolves.channel("wars"), since="2026-13-45"))
    assert refused["flags"] & EPHEMERAL
    assert "-since must be a date like 2026-11-01" in title(refused) and "month must be in 1..12" in title(refused)
