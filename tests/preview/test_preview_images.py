"""`gmbot preview` draws a card's image and thumbnail (headless Chromium) as each platform shows
it: Discord's embed image, Slack's image block (its alt text the card's title), Telegram's link
preview under the message; a command with `permissions:` says who sees it listed."""

from __future__ import annotations

from typing import Any

from generator.pipeline import Config, check
from gmbot.platforms import names
from tests.preview.support import Server


def test_a_card_with_an_image_shows_it_on_every_platform(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    pictured = [(c.name, status) for c in spec.commands for status, card in c.replies.items() if card.image]
    assert pictured, "the spec has no card with an image"
    page.goto(server.url)
    for name, status in pictured:
        entry = page.locator(f'[data-entry="command/{name}/{status}"]')
        for platform in names():
            images = entry.locator(f'[data-platform="{platform}"] img')
            assert images.count() == 1, (name, platform)
            assert images.first.get_attribute("src").startswith("http"), (name, platform)
    slack = page.locator(f'[data-entry="command/{pictured[0][0]}/{pictured[0][1]}"] [data-platform="slack"]')
    assert slack.locator("img.slack-image").get_attribute("alt") == slack.locator(".slack-header").inner_text()


def test_a_command_with_permissions_says_who_sees_it(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    hidden = [c for c in spec.commands if c.permissions]
    assert hidden, "the spec has no command with permissions"
    page.goto(server.url)
    for command in hidden:
        label = page.locator(f'section[data-command="{command.name}"] .permissions').inner_text()
        assert all(p.value in label for p in command.permissions), command.name
