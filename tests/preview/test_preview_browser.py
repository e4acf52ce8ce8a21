"""`gmbot preview` in headless Chromium: every card is on the page, an edited sample re-renders its
card, a broken spec shows `gmbot generate`'s errors and a fixed one brings the cards back."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from generator.pipeline import Config, check
from gmbot.platforms import names, platforms
from tests.preview.support import Server


def _spec(server: Server) -> Any:
    return check(Config(spec=server.spec, openapi=server.openapi, root=server.cwd)).spec


def test_every_command_event_and_button_card_is_on_the_page(page: Any, server: Server) -> None:
    spec = _spec(server)
    page.goto(server.url)
    assert page.title().startswith(spec.bot.name)
    for command in spec.commands:
        section = page.locator(f'section[data-command="{command.name}"]')
        assert section.locator(".usage").inner_text().startswith(f"{spec.bot.prefix} {command.name}")
        for status, card in command.replies.items():
            embeds = section.locator(f'[data-entry="command/{command.name}/{status}"] [data-platform="discord"] .embed')
            assert embeds.count() >= 1, f"{command.name} {status}: no embed"
            if card.title and "{" not in card.title:
                assert card.title in embeds.first.inner_text()
    for event in spec.events:
        entry = page.locator(f'[data-entry="event/{event.name}"]')
        assert entry.locator(".embed").count() >= 1, event.name
        for index, button in enumerate(event.card.buttons):
            # the event card shows the button on every platform; each of its reply cards has its own entry
            for name in names():
                assert button.label in entry.locator(f'[data-platform="{name}"] .button-row').inner_text(), name
            for status in button.replies:
                reply = page.locator(f'[data-entry="event/{event.name}/button/{index}/{status}"] .embed')
                assert reply.count() >= 1, f"{event.name} [{button.label}] {status}"
    # every card in one column per registered platform, side by side, and no platform's
    # converter failed on any of them
    entries = page.locator(".entry").count()
    for name in names():
        assert page.locator(f'.entry > .entry-grid > [data-platform="{name}"]').count() == entries, name
    assert page.locator(".render-error").count() == 0


def _edit(page: Any, entry_id: str, sample: Any) -> Any:
    entry = page.locator(f'[data-entry="{entry_id}"]')
    entry.locator("textarea").fill(sample if isinstance(sample, str) else json.dumps(sample))
    entry.get_by_role("button", name="Render").click()
    return entry


def test_an_edited_sample_reply_changes_the_card(page: Any, server: Server) -> None:
    page.goto(server.url)
    entry_id = "command/setup/201"
    title = page.locator(f'[data-entry="{entry_id}"] .embed-title')
    sample = json.loads(page.locator(f'[data-entry="{entry_id}"] textarea').input_value())
    assert title.inner_text() == f"Welcome, {sample['name']}!"

    _edit(page, entry_id, {**sample, "name": "The Odd Clan"})
    page.wait_for_function("document.querySelector('[data-entry=\"command/setup/201\"] .embed-title')"
                           ".innerText === 'Welcome, The Odd Clan!'")

    # a 1,000-character name: Discord's 256-character title is cut, visibly
    _edit(page, entry_id, {**sample, "name": "N" * 1000})
    page.wait_for_function("document.querySelector('[data-entry=\"command/setup/201\"] .embed-title')"
                           ".innerText.endsWith('(cut)')")
    assert len(title.inner_text()) == 256

    # JSON that does not parse: said next to the editor; the card keeps the last good sample
    entry = _edit(page, entry_id, "{not json")
    entry.locator(".sample-error").wait_for()
    assert "not JSON" in entry.locator(".sample-error").inner_text()
    assert page.locator(f'[data-entry="{entry_id}"] .embed-title').inner_text().endswith("(cut)")

    # the edit survives a reload; "Reset sample" brings the generated sample back
    page.reload()
    assert page.locator(f'[data-entry="{entry_id}"] textarea').input_value() == "{not json"
    page.locator(f'[data-entry="{entry_id}"]').get_by_role("button", name="Reset sample").click()
    page.wait_for_function("name => document.querySelector('[data-entry=\"command/setup/201\"] .embed-title')"
                           ".innerText === 'Welcome, ' + name + '!'", arg=sample["name"])


def test_an_empty_list_and_a_long_list_are_shown_as_discord_would(page: Any, server: Server) -> None:
    page.goto(server.url)
    entry_id = "command/leaderboard/200"
    sample = json.loads(page.locator(f'[data-entry="{entry_id}"] textarea').input_value())
    assert sample["items"], "the generated sample has items"
    fields = page.locator(f'[data-entry="{entry_id}"] .embed-field')
    with_items = fields.count()

    _edit(page, entry_id, {**sample, "items": []})
    page.wait_for_function(f"document.querySelectorAll('[data-entry=\"{entry_id}\"] .embed-field').length"
                           f" < {with_items}")

    # 60 rows: more than one embed's 25 fields, so the card continues in further embeds
    many = [{**sample["items"][0], "name": f"Clan {i}", "rank": i} for i in range(60)]
    _edit(page, entry_id, {**sample, "items": many})
    page.wait_for_function(f"document.querySelectorAll('[data-entry=\"{entry_id}\"] .embed').length >= 3")
    assert "embeds" in page.locator(f'[data-entry="{entry_id}"] [data-platform="discord"] .meta').inner_text()


def test_a_broken_spec_shows_the_generator_errors_then_recovers(page: Any, server: Server) -> None:
    page.goto(server.url)
    good = server.spec.read_text("utf-8")
    assert page.locator("#errors").count() == 0

    # a command pointing at an operation openapi.yaml does not have; the page reloads by itself
    server.spec.write_text(good.replace("operation: setupClan", "operation: setupClam", 1), "utf-8")
    page.locator("#errors").wait_for()
    shown = [line.inner_text() for line in page.locator("#errors .spec-error").all()]
    generate = subprocess.run(
        [sys.executable, "-m", "gmbot.cli", "generate", "--validate"],
        cwd=server.cwd, capture_output=True, text=True, check=False,
    )
    assert generate.returncode == 1
    assert shown == generate.stderr.splitlines()[:-1]  # the same file:line:col lines, less the count
    assert any(line.startswith("specs/commands.yaml:") and "setupClam" in line for line in shown)

    # a YAML syntax error too
    server.spec.write_text(good + "\n  bad: [unclosed\n", "utf-8")
    page.wait_for_function("[...document.querySelectorAll('.spec-error')].some(e => /commands.yaml:\\d+:\\d+/.test("
                           "e.innerText) && !e.innerText.includes('setupClam'))")

    server.spec.write_text(good, "utf-8")
    page.locator('section[data-command="setup"]').wait_for()
    assert page.locator("#errors").count() == 0


def test_slack_shows_the_same_cards_beside_discord_with_its_overrides(page: Any, server: Server) -> None:
    assert "slack" in names(), "gmbot/slack/platform.py registers the Slack column"
    page.goto(server.url)
    setup = page.locator('[data-entry="command/setup/201"]')
    discord_title = setup.locator('[data-platform="discord"] .embed-title').inner_text()
    assert setup.locator('[data-platform="slack"] .slack-header').inner_text() == discord_title

    # war.requested names a command (`command('accept', ...)`): each column in its own syntax
    requested = page.locator('[data-entry="event/war.requested"]')
    assert "Accept with: /accept war:" in requested.locator('[data-platform="discord"] .embed-footer').inner_text()
    assert "Accept with: /gmbot accept -war" in requested.locator('[data-platform="slack"] .slack-context').inner_text()

    # an edit re-renders both columns; a 1,000-character name is cut to Slack's 150-character header
    sample = json.loads(setup.locator("textarea").input_value())
    _edit(page, "command/setup/201", {**sample, "name": "N" * 1000})
    page.wait_for_function("document.querySelector('[data-entry=\"command/setup/201\"] .slack-header')"
                           ".innerText.endsWith('(cut)')")
    assert len(page.locator('[data-entry="command/setup/201"] .slack-header').inner_text()) == 150
    assert len(page.locator('[data-entry="command/setup/201"] .embed-title').inner_text()) == 256


def test_one_column_per_registered_platform_in_the_registrys_order(page: Any, server: Server) -> None:
    from gmbot.preview.render import look

    registered = platforms()
    page.goto(server.url)
    shown = page.evaluate("""() => [...document.querySelectorAll(".entry")].map(entry =>
        [...entry.querySelectorAll(":scope > .entry-grid > [data-platform]")].map(c => c.dataset.platform))""")
    assert shown and all(columns == [p.name for p in registered] for columns in shown), shown
    heads = page.locator('.entry').first.locator(".platform-head").all_inner_texts()
    assert [h.lower() for h in heads] == [p.title.lower() for p in registered]  # the CSS uppercases them
    assert page.locator(".render-error").count() == 0
    # each column in its own style: every platform's CSS is on the page
    styles = page.locator("style").all_inner_texts()
    for p in registered:
        assert look(p.name).css.strip() in "".join(styles), p.name


def test_the_page_polls_for_changes_and_reload_off_leaves_it_idle(page: Any, server: Server) -> None:
    """The page polls /version (short requests, none held open); `?reload=off` makes an idle
    page, so a browser test can wait for network idle (docs/spec.md, "Previewing cards")."""
    polls: list[str] = []
    page.on("request", lambda request: polls.append(request.url) if "/version" in request.url else None)
    page.goto(server.url)
    page.wait_for_timeout(600)
    assert len(polls) >= 2  # every 100 ms by default
    page.goto(server.url + "/?reload=off", wait_until="networkidle", timeout=10_000)
    polls.clear()  # the page before may have polled while this one loaded
    page.wait_for_timeout(600)
    assert polls == []


def test_the_locale_switch_shows_each_language_and_where_a_translation_gets_too_long(
        page: Any, server: Server) -> None:
    page.goto(server.url)
    entry_id = "command/setup/201"
    sample = json.loads(page.locator(f'[data-entry="{entry_id}"] textarea').input_value())
    page.locator('nav.locales a[data-locale="es"]').click()
    page.wait_for_url("**/?locale=es")
    title = page.locator(f'[data-entry="{entry_id}"] .embed-title')
    assert title.inner_text() == f"¡Bienvenido, {sample['name']}!"
    assert page.locator("html").get_attribute("lang") == "es"
    assert "-players @miembro @miembro …" in page.locator('[data-command="createwar"] .usage').inner_text()
    assert page.locator(".limit-warning").count() == 0
    # an edited sample keeps the language
    _edit(page, entry_id, {**sample, "name": "Los Lobos"})
    page.wait_for_function(f"document.querySelector('[data-entry=\"{entry_id}\"] .embed-title')"
                           ".innerText === '¡Bienvenido, Los Lobos!'")

    # a translator saves a longer title: within the fixed-text limit, but over Slack's 150
    # characters with a clan's name in it; the page reloads and says where it will be cut
    po = server.spec.parent / "locales" / "es" / "LC_MESSAGES" / "gmbot.po"
    long_welcome = "¡Bienvenido a la comunidad de clanes, " + "x" * 105 + " {{ reply.name }}!"  # 145 fixed
    text = po.read_text(encoding="utf-8").replace('msgstr "¡Bienvenido, {{ reply.name }}!"',
                                                  f'msgstr "{long_welcome}"')
    po.write_text(text, encoding="utf-8")
    page.wait_for_function("document.querySelectorAll('.limit-warning').length > 0")
    slack = page.locator(f'[data-entry="{entry_id}"] [data-platform="slack"] .limit-warning')
    assert "title:" in slack.first.inner_text() and "Slack takes 150" in slack.first.inner_text()
    assert page.locator(f'[data-entry="{entry_id}"] [data-platform="discord"] .limit-warning').count() == 0

    # a translation that drops a value: listed at its line, the card shown in English
    po.write_text(text.replace(f'msgstr "{long_welcome}"', 'msgstr "¡Bienvenido!"'), encoding="utf-8")
    page.locator("#translation-errors").wait_for()
    assert "drops the value {{ reply.name }}" in page.locator("#translation-errors").inner_text()
    assert "gmbot.po:" in page.locator("#translation-errors").inner_text()
    assert page.locator(f'[data-entry="{entry_id}"] .embed-title').inner_text().startswith("Welcome, ")
