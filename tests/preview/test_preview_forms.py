"""`gmbot preview` draws each form (headless Chromium) as each platform shows it: Discord's
modal (its title, a labelled input per field, Discord's own Submit), Slack's modal (the view
the bot opens: the form's submit label, optional fields said so) and, Telegram having none,
the questions the bot asks one at a time; a command's form and a button's."""

from __future__ import annotations

from typing import Any

from generator.pipeline import Config, check
from gmbot.platforms import names
from tests.preview.support import Server


def test_forms_are_drawn_as_each_platform_shows_them(page: Any, server: Server) -> None:
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    asking = [c for c in spec.commands if c.form is not None]
    assert asking, "the spec has no command with a form"
    page.goto(server.url + "/?reload=off")
    for command in asking:
        form = command.form
        assert form is not None
        entry = page.locator(f'[data-entry="command/{command.name}/form"]')
        for name in names():  # every registered platform draws it, and names every field
            text = entry.locator(f'[data-platform="{name}"]').inner_text()
            assert "form drawing failed" not in text and "draws no forms" not in text, (name, text)
            for field in form.fields:
                assert field.description.lower() in text.lower(), (command.name, name, field.name)
        discord = entry.locator('[data-platform="discord"] .discord-modal')
        assert discord.locator(".discord-input").count() == len(form.fields)
        assert discord.locator(".discord-input-long").count() == sum(f.long for f in form.fields)
        slack = entry.locator('[data-platform="slack"] .slack-modal')
        assert form.submit in slack.locator(".slack-modal-buttons").inner_text()
        assert slack.locator(".slack-label", has_text="(optional)").count() == sum(not f.required for f in form.fields)
        telegram = entry.locator('[data-platform="telegram"] .tg-question')
        assert telegram.count() == len(form.fields)
        assert f"(1/{len(form.fields)})" in telegram.first.inner_text()
    # a button that opens a form: an entry of its own, its title from what the click carries
    buttons = [(e.name, i) for e in spec.events for i, b in enumerate(e.card.buttons) if b.form is not None]
    assert buttons, "the spec has no button with a form"
    event, index = buttons[0]
    entry = page.locator(f'[data-entry="event/{event}/button/{index}/form"]')
    assert entry.locator('[data-platform="discord"] .discord-modal-title').inner_text().startswith("Dispute war ")


def test_a_field_with_suggestions_is_a_select_on_slack_and_an_input_elsewhere(page: Any, server: Server) -> None:
    """A form's field with `autocomplete:` (Gmbot's "Against a clan…" on the profile card):
    Slack's modal draws it as the external_select the bot opens (searched as it is typed);
    Discord's modal, having no select that searches, a text input; Telegram, a question."""
    spec = check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec
    found = [(f"command/{c.name}/{status}/button/{i}/form", b.form) for c in spec.commands
             for status, card in c.replies.items() for i, b in enumerate(card.buttons)
             if b.form is not None and any(f.autocomplete is not None for f in b.form.fields)]
    assert found, "the spec has no button whose form has a field with suggestions"
    page.goto(server.url + "/?reload=off")
    for entry_id, form in found:
        assert form is not None
        entry = page.locator(f'[data-entry="{entry_id}"]')
        suggested = [f for f in form.fields if f.autocomplete is not None]
        slack = entry.locator('[data-platform="slack"] .slack-modal .slack-search')
        assert slack.count() == len(suggested), entry_id
        assert "▾" in slack.first.inner_text()
        assert slack.first.get_attribute("title") == "Type to search…"
        assert entry.locator('[data-platform="discord"] .discord-input').count() == len(form.fields)
        assert entry.locator('[data-platform="telegram"] .tg-question').count() == len(form.fields)
