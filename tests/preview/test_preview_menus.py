"""`gmbot preview` shows a command's context-menu entries (spec `menus:`) with what each fills
and, per platform, whether that platform offers it (headless Chromium): Gmbot's "Clan profile"
on a member (Discord only) and on a message (Discord and Slack)."""

from __future__ import annotations

from typing import Any

from generator.pipeline import Config, check
from gmbot.chat import menus
from gmbot.platforms import platforms
from tests.preview.support import Server


def test_menu_entries_show_where_each_platform_offers_them(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    entries = list(menus.entries(spec))
    assert entries, "the spec has no menu entry"
    page.goto(server.url)
    for entry in entries:
        shown = page.locator(f'section[data-command="{entry.command.name}"] .menu-entry').nth(entry.index)
        assert shown.get_attribute("data-target") == entry.menu.target.value
        assert entry.menu.name in shown.locator(".menu-name").inner_text()
        for part, option in menus.filled(entry.menu).items():
            assert f"-{option} with the {part}" in shown.inner_text()
        for side in platforms():
            cell = shown.locator(f'.menu-platform[data-platform="{side.name}"]')
            offered = entry.menu.target.value in side.menu_targets
            assert cell.get_attribute("data-offered") == ("yes" if offered else "no"), (entry.key, side.name)
            assert cell.inner_text() == f"{side.title}: {'offered' if offered else 'not offered'}"
    # a command without menus has none drawn
    plain = next(c for c in spec.commands if not c.menus)
    assert page.locator(f'section[data-command="{plain.name}"] .menu-entry').count() == 0
