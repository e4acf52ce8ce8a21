"""The platform columns: Discord from card_to_embeds, Slack from Block Kit, markup rendered simply."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.discord.preview import discord_markdown
from gmbot.platforms import Platform, platform
from gmbot.preview.render import draw, look, render_platform
from gmbot.slack.preview import slack_mrkdwn


def column(name: str) -> Platform:
    return platform(name)


def test_discord_column_draws_the_embeds_the_bot_would_send() -> None:
    card = RenderedCard(title="T", description="**bold** and `<code>`", color=0xE67E22,
                        fields=[RenderedField("A", "1", True)], footer="F",
                        buttons=[RenderedButton("We won", "success", 0, "gm:x"), RenderedButton("Lost", "danger", 1)])
    html = render_platform(column("discord"), card)
    assert ">We won<" in html and ">Lost<" not in html  # no custom id: the runtime posts no button
    assert "1 button not posted" in html
    assert "border-left-color: #e67e22" in html
    assert "<strong>bold</strong> and <code>&lt;code&gt;</code>" in html
    assert 'class="embed-field inline"' in html and "discord-success" in html and ">F<" in html


def test_markup_is_escaped_before_it_is_formatted() -> None:
    assert discord_markdown("<b>*x*</b>") == "&lt;b&gt;<em>x</em>&lt;/b&gt;"
    assert discord_markdown("`**not bold**`") == "<code>**not bold**</code>"
    # Discord's timestamps (written by gmbot.chat.times) are shown as a time, in UTC
    assert discord_markdown("ends <t:0:D>") == 'ends <span class="timestamp" title="&lt;t:0:D&gt;">1970-01-01</span>'
    assert ">1970-01-01 00:00 UTC<" in discord_markdown("<t:0:f>")
    assert slack_mrkdwn("*bold* _it_ <https://e.org|link>") == (
        '<strong>bold</strong> <em>it</em> <a href="https://e.org">link</a>')
    # Slack's entities are shown as the characters they stand for, once escaped for HTML
    assert slack_mrkdwn("a &lt;b&gt; &amp; <@U1> `x*y*`") == (
        'a &lt;b&gt; &amp; <span class="mention">@U1</span> <code>x*y*</code>')


def _slack_message(card: RenderedCard) -> dict[str, Any]:
    """Block Kit as gmbot/slack/blocks.py writes it: a colour bar (attachment) around the blocks."""
    return {"text": card.title, "attachments": [{"color": "#2ecc71", "blocks": [
        {"type": "header", "text": {"type": "plain_text", "text": card.title}},
        {"type": "section", "text": {"type": "mrkdwn", "text": card.description}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f"*{f.name}*\n{f.value}"} for f in card.fields]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": card.footer}]},
        {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": b.label},
                                          "style": "primary"} for b in card.buttons]},
        {"type": "video", "video_url": "https://e.org/x.mp4", "alt_text": "x"},
    ]}]}


def test_a_look_draws_its_message_with_its_template_and_slack_blocks_are_drawn() -> None:
    shown = replace(look("slack"), to_message=_slack_message)
    card = RenderedCard(title="Hello", description="*hi* there", fields=[RenderedField("Game", "Chess")],
                        footer="foot", buttons=[RenderedButton("Go", "primary", 0)])
    html = draw("Slack", shown, card)
    assert 'class="slack-header">Hello<' in html
    assert "<strong>hi</strong> there" in html
    assert "<strong>Game</strong><br>Chess" in html
    assert "slack-primary" in html and ">Go<" in html
    assert "border-left-color: #2ecc71" in html
    assert "slack-unknown" in html  # a block type the preview does not draw is shown as JSON, not dropped


def test_a_converter_that_raises_shows_in_its_column() -> None:
    def broken(card: RenderedCard) -> Any:
        raise ValueError("boom")

    html = draw("X", replace(look("discord"), to_message=broken), RenderedCard(title="t"))
    assert "X converter failed" in html and "boom" in html


def test_buttons_are_bound_as_the_core_binds_them() -> None:
    """A button carrying a long value has no custom id, so neither platform posts it."""
    from pathlib import Path

    from generator.pipeline import Config
    from gmbot.preview.build import build, render_card

    root = Path(__file__).resolve().parents[2]
    preview = build(Config(spec=root / "specs/commands.yaml", openapi=root / "openapi.yaml"))
    entry = preview.entry("event/war.ended")
    assert entry is not None
    assert all(b.custom_id for b in render_card(preview, entry).buttons)
    entry.sample["data"]["war"]["id"] = "9" * 120
    card = render_card(preview, entry)
    assert card.buttons and not any(b.custom_id for b in card.buttons)


def test_hostile_values_are_shown_as_the_bots_send_them() -> None:
    """The columns use the bots' converters: a value is text on both platforms, as sent."""
    from gmbot.chat.cards import CardRenderer
    from gmbot.spec.model import BotSettings, Card

    card = CardRenderer(BotSettings(name="B", client="C")).render(
        Card(title="{{ v }}", description="**{{ v }}** <t:0:D>", fields=[{"name": "{{ v }}", "value": "{{ v }}"}]),
        {"v": "[FREE GLORY](https://evil.example) <@1> *x* <t:0:R>"})
    for name in ("discord", "slack"):
        html = render_platform(column(name), card)
        assert "evil.example" in html and 'href="https://evil.example' not in html, name
        assert 'class="mention"' not in html and html.count('class="timestamp"') <= 1, name
    discord = render_platform(column("discord"), card)
    assert '<div class="embed-title">[FREE GLORY](https://evil.example) &lt;@1&gt; *x* &lt;t:0:R&gt;</div>' in discord
    assert "<strong>[FREE GLORY]" in discord and "\\" not in discord  # Discord hides its escapes
    assert discord_markdown("\\*not\\* `a\\*b` \\`x\\`") == "*not* <code>a\\*b</code> `x`"


def test_every_platforms_template_is_installed_as_package_data() -> None:
    """A look's template sits in its platform's folder: the wheel must carry it
    (pyproject's [tool.setuptools.package-data], matched as setuptools matches its globs)."""
    import tomllib
    from fnmatch import fnmatchcase
    from pathlib import Path, PurePosixPath

    from gmbot.platforms import platforms

    root = Path(__file__).resolve().parents[2]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for side in platforms():
        template = look(side.name).template
        assert template.is_file(), template
        if root not in template.parents:
            continue  # a platform of another distribution: its own packaging
        folder = next(f for f in template.parents if (f / "__init__.py").is_file())  # its package
        package = ".".join(folder.relative_to(root).parts)
        relative = PurePosixPath(template.relative_to(folder).as_posix())
        globs = [*data.get("*", []), *data.get(package, [])]
        assert any(len(PurePosixPath(g).parts) == len(relative.parts) and fnmatchcase(str(relative), g)
                   for g in globs), f"{template} is not package data of {package}: {globs}"
