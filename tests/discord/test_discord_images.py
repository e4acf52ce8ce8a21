"""Images at the wire on Discord: py-cord against the fake Discord, the real backend behind.

Gmbot's `profile` card carries the clan's rating chart from `getClanRatingChart`
(`image: {operation: ...}`): the bot fetches the PNG from the backend and uploads it with the
answer (multipart, `files[0]`), the embed naming it (`attachment://...`), so the chart shows
with or without a public address; the title still links the public page when there is one.
Asked again, the backend answers 304 to the picture's ETag and the bytes kept are uploaded."""

from __future__ import annotations

import logging

import pytest

from backend_impl import chart

from .stage import WAR_GAME, Stage

pytestmark = pytest.mark.asyncio(loop_scope="package")  # where the shared backend runs

PUBLIC = "https://gmbot.example.org"
PNG = b"\x89PNG\r\n\x1a\n"


def _chart(s: Stage, message: dict[str, object]) -> bytes:
    """The uploaded picture the message's embed shows (the fake resolves `attachment://`)."""
    [embed] = message["embeds"]  # type: ignore[misc]
    [attachment] = message["attachments"]  # type: ignore[misc]
    assert embed["image"]["url"] == attachment["url"], (embed, attachment)
    assert attachment["filename"] == "image-getClanRatingChart.png"
    assert attachment["content_type"] == "image/png"
    return s.discord.uploads[attachment["url"]]


async def test_the_profile_uploads_the_rating_chart_with_the_embed(
    s: Stage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    caplog.set_level(logging.INFO, "gmbot.chat.images")

    # no public address: the chart shows all the same (it is the bytes, not a link)
    shown = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("general"), game=WAR_GAME))
    assert _chart(s, shown).startswith(PNG)
    assert "url" not in shown["embeds"][0]
    # the interaction's answer (its callback, or a follow-up once deferred on a slow machine)
    [upload] = [c for c in d.calls if c.path.startswith(("/interactions/", "/webhooks/")) and c.method == "POST"
                and isinstance(c.body, dict) and (c.body.get("_files") or (c.body.get("data") or {}).get("_files"))]
    assert upload.headers["Content-Type"].startswith("multipart/form-data")

    # with one, the title links the clan's public page too; the chart is the ETag's 304
    monkeypatch.setenv("GMBOT_PUBLIC_URL", PUBLIC)
    shown = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("general"), game=WAR_GAME))
    assert _chart(s, shown).startswith(PNG)
    assert shown["embeds"][0]["url"].startswith(f"{PUBLIC}/web/clans/discord/{wolves.id}")
    said = [r.getMessage() for r in caplog.records if r.name == "gmbot.chat.images"]
    assert any("-> 200" in line for line in said) and any("-> 304" in line for line in said), said


async def test_a_prefix_command_posts_the_chart_in_the_channel(s: Stage) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    await d.say(bears, "bruno", f"gmbot profile -game {WAR_GAME}", bears.channel("general"))
    posted = await d.wait_for_message(bears.channel("general"))
    assert posted["embeds"][0]["title"].startswith("Bears")
    assert _chart(s, posted).startswith(PNG)


async def test_a_chart_the_backend_cannot_draw_leaves_the_card_without_it(
    s: Stage, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    d = s.discord
    wolves, bears = await s.two_clans()
    await s.sync_commands()
    await s.start_bot()
    await s.set_up_clans(wolves, bears)
    caplog.set_level(logging.INFO, "gmbot.chat.images")

    async def broken(data: object) -> bytes:
        raise RuntimeError("the plotting library is gone")

    monkeypatch.setattr(chart.CACHE, "png", broken)  # the backend answers the chart 500, the profile 200
    shown = await d.reply_to(await d.slash(wolves, "alice", "profile", wolves.channel("general"), game=WAR_GAME))
    assert shown["embeds"][0]["title"].startswith("Wolves")
    assert shown["attachments"] == [] and all("image" not in e for e in shown["embeds"])
    assert any("getClanRatingChart: no picture (HTTP 500)" in r.getMessage() for r in caplog.records)
