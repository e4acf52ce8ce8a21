"""Per-platform card overrides (`platforms:` in the spec): rendered on their platform only,
checked by the generator like any card part."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.errors import SpecErrors
from generator.pipeline import Config, check
from gmbot.chat.cards import CardRenderer
from gmbot.chat.markup import plain
from gmbot.spec.model import BotSpec, CardOverride
from tests.support import ROOT

EVENT = {"type": "war.requested", "data": {"war": {"id": "zyo8", "host": {"server": {"name": "Wolves"}, "players": []},
                                                  "game": {"name": "Mini Militia"}, "format": {"name": "ft3"},
                                                  "duration": 1}}}


def test_the_override_replaces_only_its_parts_on_its_platform(spec: BotSpec) -> None:
    declared = next(e for e in spec.events if e.name == "war.requested").card
    card = declared.model_copy(update={"platforms": {"slack": CardOverride(footer="War {{ data.war.id }} on Slack")}})
    renderer = CardRenderer(spec.bot)
    scope = {"event": EVENT, "data": EVENT["data"], "ctx": {}}
    on_discord, on_slack = renderer.render(card, scope, "discord"), renderer.render(card, scope, "slack")
    # the declared footer names a command: each platform writes it its own way (no override needed)
    assert plain(on_discord.footer) == "Accept with: /accept war:zyo8 players:@..."
    assert plain(renderer.render(declared, scope, "slack").footer) == "Accept with: /gmbot accept -war zyo8 -players @..."
    assert plain(on_slack.footer) == "War zyo8 on Slack"
    assert on_slack.title == on_discord.title == "NEW WAR REQUEST" and on_slack.fields == on_discord.fields
    assert plain(renderer.render(card, scope).footer) == "Accept with: gmbot accept -war zyo8 -players @..."  # no platform


def checked(tmp_path: Path, old: str, new: str) -> SpecErrors:
    text = (ROOT / "specs" / "commands.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "commands.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(SpecErrors) as caught:
        check(Config(spec=tmp_path / "commands.yaml", openapi=ROOT / "openapi.yaml", root=ROOT))
    return caught.value


FOOTER = '''      footer: "Accept with: {{ command('accept', war=data.war.id, players='@...') }}"
'''


def overridden(override: str) -> str:
    """war.requested's footer, then a `platforms:` override after it."""
    return f"{FOOTER}      platforms:\n        {override}\n"


def test_an_override_over_a_limit_or_with_a_bad_template_is_reported(tmp_path: Path) -> None:
    errors = checked(tmp_path, FOOTER, overridden(f"slack: {{title: {'T' * 151}, footer: '{{{{ data.war.nope( }}}}'}}"))
    found = {(e.path, e.message.split(":")[0]) for e in errors.errors}
    assert ("events.war.requested.card.platforms.slack.title", "151 characters of fixed text, Slack allows 150") in found
    assert any(path.endswith("platforms.slack.footer") for path, _ in found)


def test_unknown_platforms_and_overridden_buttons_are_refused(tmp_path: Path) -> None:
    errors = checked(tmp_path, FOOTER, overridden("teams: {footer: x}"))
    assert any("platforms" in e.path and "teams" in e.message for e in errors.errors), errors
    errors = checked(tmp_path, FOOTER, overridden("slack: {buttons: []}"))
    assert any("platforms.slack" in e.path and "buttons" in e.message for e in errors.errors), errors
