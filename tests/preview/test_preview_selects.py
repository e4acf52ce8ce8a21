"""`gmbot preview` draws each card's selects as each platform shows them (headless Chromium): a
menu with its placeholder and options on Discord and Slack, a key per option under the
placeholder's line on Telegram; the options follow the sample (an edited sample with more
items than Discord shows is cut there, not on Slack), and a select with nothing to choose is
not drawn."""

from __future__ import annotations

import json
from typing import Any

from generator.pipeline import Config, check
from gmbot.discord import selects as discord_selects
from gmbot.platforms import names
from tests.preview.support import Server

MENUS = ("discord", "slack")  # the platforms that draw a menu (Telegram: keys, drawn as buttons)


def _selected(server: Server) -> tuple[str, str, str]:
    """A command's success card whose select lists the reply's `items`: its entry id, the
    select's placeholder and its label template."""
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    for command in spec.commands:
        for status, card in command.replies.items():
            for select in card.selects:
                if select.each == "reply['items']" and select.label == "{{ item.name }}":
                    return f"command/{command.name}/{status}", select.placeholder, select.label
    raise AssertionError("the spec has no select over reply['items'] labelled by name")


def _render(page: Any, entry_id: str, sample: Any) -> Any:
    entry = page.locator(f'[data-entry="{entry_id}"]')
    entry.locator("textarea").fill(json.dumps(sample))
    entry.get_by_role("button", name="Render").click()
    return entry


def test_each_platform_draws_the_select_of_the_sample(page: Any, server: Server) -> None:
    entry_id, placeholder, _ = _selected(server)
    page.goto(server.url)
    sample = json.loads(page.locator(f'[data-entry="{entry_id}"] textarea').input_value())
    item = sample["items"][0]
    many = [{**item, "id": 1000 + i, "name": f"Game number {i}"} for i in range(30)]
    entry = _render(page, entry_id, {**sample, "items": many, "total": len(many)})
    for name in MENUS:
        menu = entry.locator(f'[data-platform="{name}"] [data-select="{placeholder}"]')
        menu.get_by_text("Game number 0", exact=True).wait_for()
        shown = menu.locator(".option-label").all_inner_texts()
        expected = discord_selects.OPTIONS_MAX if name == "discord" else len(many)  # Discord shows 25
        assert shown == [g["name"] for g in many][:expected], name
    keys = entry.locator('[data-platform="telegram"]')
    keys.get_by_text("Game number 29", exact=True).wait_for()
    assert f"▾ {placeholder}" in keys.inner_text()

    entry = _render(page, entry_id, {**sample, "items": [], "total": 0})  # nothing to choose: no select
    for name in names():
        column = entry.locator(f'[data-platform="{name}"]')
        column.get_by_text("Game number 0", exact=True).wait_for(state="detached")
        assert placeholder not in column.inner_text(), name
