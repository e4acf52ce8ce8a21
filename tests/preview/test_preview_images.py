"""`gmbot preview` draws a card's image and thumbnail (headless Chromium) as each platform shows
it: Discord's embed image, Slack's image block (its alt text the card's title), Telegram's link
preview under the message; a picture from an operation (`image: {operation: ...}`, no backend
in the preview) as a placeholder naming the operation; a command with `permissions:` says who
sees it listed."""

from __future__ import annotations

import base64
from typing import Any

from generator.pipeline import Config, check
from gmbot.platforms import names
from gmbot.spec.model import CardImage
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
            assert images.first.get_attribute("src").startswith("http") or _from_operation(spec, name, status), \
                (name, platform)
    slack = page.locator(f'[data-entry="command/{pictured[0][0]}/{pictured[0][1]}"] [data-platform="slack"]')
    assert slack.locator("img.slack-image").get_attribute("alt") == slack.locator(".slack-header").inner_text()


def _from_operation(spec: Any, name: str, status: str) -> str | None:
    picture = spec.command(name).replies[status].image
    return picture.operation if isinstance(picture, CardImage) else None


def test_a_picture_from_an_operation_shows_a_placeholder_naming_it(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    fetched = [(c.name, status) for c in spec.commands for status, card in c.replies.items()
               if isinstance(card.image, CardImage)]
    assert fetched, "the spec has no card with a picture from an operation"
    page.goto(server.url)
    for name, status in fetched:
        operation = _from_operation(spec, name, status)
        for platform in names():
            src = page.locator(f'[data-entry="command/{name}/{status}"] [data-platform="{platform}"] img').first \
                .get_attribute("src")
            assert src.startswith("data:image/svg+xml;base64,"), (name, platform, src[:40])
            assert f">{operation}<" in base64.b64decode(src.split(",", 1)[1]).decode(), (name, platform)
        drawn = page.locator(f'[data-entry="command/{name}/{status}"] [data-platform="discord"] img').first
        assert drawn.evaluate("img => img.complete && img.naturalWidth") == 640  # the browser draws it


def test_a_command_with_permissions_says_who_sees_it(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    hidden = [c for c in spec.commands if c.permissions]
    assert hidden, "the spec has no command with permissions"
    page.goto(server.url)
    for command in hidden:
        label = page.locator(f'section[data-command="{command.name}"] .permissions').inner_text()
        assert all(p.value in label for p in command.permissions), command.name
