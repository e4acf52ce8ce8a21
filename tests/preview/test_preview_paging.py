"""`gmbot preview` shows a paged card's Prev / Next as each platform does (headless Chromium):
Next under a first page with more after it, on every registered platform, and none once the
sample's total fits on one page."""

from __future__ import annotations

import json
from typing import Any

from generator.pipeline import Config, check
from gmbot.chat.paging import LABELS, NEXT, PREVIOUS
from gmbot.platforms import names
from tests.preview.support import Server


def _paged(server: Server) -> tuple[str, int]:
    """A command whose success card pages by offset with a page-size option: its entry id and
    the page size the preview renders it with (the option's default)."""
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    for command in spec.commands:
        for status, card in command.replies.items():
            paging = card.paging
            if paging is not None and paging.offset and isinstance(paging.limit, str):
                size = next(o.default for o in command.options if o.name == paging.limit)
                return f"command/{command.name}/{status}", int(size)
    raise AssertionError("the spec pages no card by offset")


def _render(page: Any, entry_id: str, sample: Any) -> Any:
    entry = page.locator(f'[data-entry="{entry_id}"]')
    entry.locator("textarea").fill(json.dumps(sample))
    entry.get_by_role("button", name="Render").click()
    return entry


def test_page_buttons_follow_the_samples_total_on_every_platform(page: Any, server: Server) -> None:
    entry_id, size = _paged(server)
    page.goto(server.url)
    sample = json.loads(page.locator(f'[data-entry="{entry_id}"] textarea').input_value())
    more = {**sample, "total": size * 3, "offset": 0, "limit": size}
    _render(page, entry_id, more)
    for name in names():
        row = page.locator(f'[data-entry="{entry_id}"] [data-platform="{name}"] .button-row').last  # under any select
        row.get_by_text(LABELS[NEXT]).wait_for()
        assert LABELS[PREVIOUS] not in row.inner_text(), name  # the first page has nothing before it
    _render(page, entry_id, {**more, "total": size})  # everything on one page: no buttons at all
    for name in names():
        column = page.locator(f'[data-entry="{entry_id}"] [data-platform="{name}"]')
        column.get_by_text(LABELS[NEXT]).wait_for(state="detached")
        assert LABELS[PREVIOUS] not in column.inner_text(), name


def test_a_command_named_in_a_card_is_shown_in_each_platforms_syntax(page: Any, server: Server) -> None:
    """The games card's `{{ command('subscribe', games='4,5') }}`, as each platform writes it."""
    page.goto(server.url)
    entry = page.locator('[data-entry="command/games/200"]')
    written = {"discord": "/subscribe games:4,5", "slack": "/gmbot subscribe -games 4,5",
               "telegram": "/subscribe -games 4,5"}
    for name in names():
        shown = entry.locator(f'[data-platform="{name}"]').inner_text()
        assert f"Subscribe with: {written[name]}" in shown, (name, shown)
        assert "gmbot subscribe" not in shown or name == "slack", name


def test_an_option_with_suggestions_says_so_on_its_command(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    suggested = [(c, o) for c in spec.commands for o in c.options if o.autocomplete is not None]
    assert suggested, "the spec suggests no option"
    page.goto(server.url)
    for command, option in suggested:
        assert option.autocomplete is not None
        section = page.locator(f'section[data-command="{command.name}"]').inner_text()
        assert f"suggested while typed, from {option.autocomplete.operation}" in section, command.name
