"""Images at the wire on Discord (spec `image:` / `thumbnail:` on a card): py-cord against the
fake Discord, the real backend behind. Gmbot's `profile` shows the clan's rating chart as the
embed's image when the backend has a public address, and no image without one."""

from __future__ import annotations

import pytest

from .stage import WAR_GAME, Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

PUBLIC = "https://gmbot.example.org"


async def test_the_profile_embed_carries_the_rating_chart(s: Stage, monkeypatch: pytest.MonkeyPatch) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)

    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)
    shown = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("general"), game=WAR_GAME))
    [embed] = shown["embeds"]
    assert embed["image"]["url"].startswith(f"{PUBLIC}/web/clans/discord/{wolves.id}/chart.png")
    assert embed["url"].startswith(f"{PUBLIC}/web/clans/discord/{wolves.id}")  # the title links the page
    assert "thumbnail" not in embed

    monkeypatch.delenv("GMBOT_PUBLIC_URL")
    shown = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("general"), game=WAR_GAME))
    assert all("image" not in embed for embed in shown["embeds"])
