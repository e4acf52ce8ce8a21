"""`gmbot preview` shows each confirmation (headless Chromium): a destructive command's prompt
and a destructive button's, with their two buttons on every registered platform, and on a
platform that asks in a dialog of its own (Slack), the dialog beside the button."""

from __future__ import annotations

from typing import Any

from generator.pipeline import Config, check
from gmbot.platforms import names
from tests.preview.support import Server


def test_prompts_are_drawn_on_every_platform(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    asking = [c for c in spec.commands if c.confirm is not None]
    assert asking, "the spec has no destructive command"
    page.goto(server.url)
    for command in asking:
        assert command.confirm is not None
        entry = page.locator(f'[data-entry="command/{command.name}/confirm"]')
        for name in names():
            column = entry.locator(f'[data-platform="{name}"]')
            row = column.locator(".button-row").inner_text()
            assert command.confirm.ok in row and command.confirm.cancel in row, (command.name, name)
            if "{" not in command.confirm.text:
                assert command.confirm.text in column.inner_text(), (command.name, name)
    # a button that asks: its prompt has an entry of its own, and Slack draws its own dialog
    buttons = [(c, status, i, b) for c in spec.commands for status, card in c.replies.items()
               for i, b in enumerate(card.buttons) if b.confirm is not None]
    assert buttons, "the spec has no destructive button"
    command, status, index, button = buttons[0]
    assert button.confirm is not None
    prompt = page.locator(f'[data-entry="command/{command.name}/{status}/button/{index}/confirm"]')
    assert button.confirm.ok in prompt.locator('[data-platform="discord"] .button-row').inner_text()
    card = page.locator(f'[data-entry="command/{command.name}/{status}"]')
    dialog = card.locator('[data-platform="slack"] .slack-confirm').inner_text()
    assert button.confirm.ok in dialog and button.confirm.cancel in dialog


def test_a_private_reply_is_labelled_so(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    private = [(c.name, status) for c in spec.commands for status, card in c.replies.items() if card.private]
    assert private, "the spec has no private reply"
    page.goto(server.url)
    for name, status in private:
        entry = page.locator(f'[data-entry="command/{name}/{status}"]')
        assert "only the one who asked sees it" in entry.inner_text(), name
