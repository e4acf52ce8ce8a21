"""Card filters and the shared card environment (runtime and generator)."""

from __future__ import annotations

import pytest

from generator import template_scan
from gmbot.chat import times
from gmbot.chat.cards import CardRenderer, card_to_text
from gmbot.chat.markup import DATA, END, Format, data, on_literal, plain, strip
from gmbot.chat.templating import CARD_FILTERS, card_environment, duration, names
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.discord.embeds import card_to_embeds, card_to_message, embeds_to_text
from gmbot.platforms import platform
from gmbot.spec.model import BotSettings, Card


@pytest.mark.parametrize(("hours", "text"), [
    (0.0014, "5 s"),
    (0.001389, "5 s"),
    (1.5, "1 h 30 min"),
    (12, "12 h"),
    (48, "2 days"),
    (24, "1 day"),
    (36, "1 day 12 h"),
    (0.5, "30 min"),
    (0.025, "1 min 30 s"),
    (0, "0 s"),
    (23.9999, "1 day"),  # rounding up a unit is shown in that unit
    (1.999, "2 h"),
    ("12", "12 h"),  # a number sent as text
    (-1.5, "-1 h 30 min"),
])
def test_duration_in_hours(hours: object, text: str) -> None:
    assert duration(hours) == text


def test_duration_in_other_units_and_odd_values() -> None:
    assert duration(90, "minutes") == "1 h 30 min"
    assert duration(90, "seconds") == "1 min 30 s"
    assert duration(3, "days") == "3 days"
    assert duration(None) == ""
    assert duration("soon") == "soon"
    with pytest.raises(ValueError, match="unknown unit"):
        duration(1, "weeks")


def test_names() -> None:
    people = [{"id": "1", "name": "alice"}, {"id": "2", "name": "bob"}, {"id": "3"}]
    assert names(people) == "alice, bob, 3"
    assert names(people, "id", " & ") == "1 & 2 & 3"
    assert names({"id": "1", "name": "alice"}) == "alice"
    assert names(["x", "y"]) == "x, y"
    assert names(None) == ""
    assert names(7) == "7"


def test_cards_render_with_the_filters() -> None:
    renderer = CardRenderer(BotSettings(name="B", client="C"))
    card = Card(title="{{ reply.duration | duration }}", description="{{ reply.players | names }}",
                footer="{{ reply.missing | duration }}|{{ reply.missing | names }}")
    rendered = renderer.render(card, {"reply": {"duration": 1.5, "players": [{"id": "1", "name": "al"}]}})
    assert (rendered.title, rendered.description, rendered.footer) == (data("1 h 30 min"), data("al"), "|")


def test_the_generator_checks_in_the_runtime_environment() -> None:
    runtime = card_environment()
    assert set(CARD_FILTERS) <= set(runtime.filters)
    assert template_scan._ENV.filters.keys() == runtime.filters.keys()
    assert type(template_scan._ENV) is type(runtime) and template_scan._ENV.undefined is runtime.undefined


def test_time_marks_a_moment_each_front_end_writes_natively() -> None:
    env = card_environment()
    render = lambda source, **scope: env.from_string(source).render(**scope)  # noqa: E731
    at = "2026-11-29T05:41:23.764186Z"
    unix = 1795930883
    assert render("{{ t | time }}", t=at) == f"⟨time {unix} relative⟩"
    assert render("{{ t | time('date') }}", t="2026-11-29T05:41:23") == f"⟨time {unix} date⟩"  # naive: UTC
    assert render("{{ t | time('datetime') }}", t=unix) == f"⟨time {unix} datetime⟩"
    # not a time: shown as it is, so data
    assert render("{{ t | time }}|{{ missing.x | time }}|{{ n | time or '-' }}", t="soon", n=None) == (
        f"{data('soon')}||{data('-')}")
    with pytest.raises(ValueError, match="unknown style"):
        render("{{ t | time('weekday') }}", t=at)
    discord, slack = platform("discord").write_time, platform("slack").write_time  # each platform's own writer
    assert discord(unix, "relative") == f"<t:{unix}:R>" and discord(unix, "date") == f"<t:{unix}:D>"
    assert slack(unix, "datetime") == f"<!date^{unix}^{{date_short_pretty}} {{time}}|2026-11-29 05:41 UTC>"
    assert times.plain(unix, "relative") == "2026-11-29 05:41 UTC" and times.plain(unix, "date") == "2026-11-29"


def test_front_ends_write_time_marks() -> None:
    mark = card_environment().from_string("{{ t | time }}").render(t="2026-11-29T05:41:23Z")
    card = RenderedCard(title=f"Ends {mark}", description=f"Ends {mark}", footer=mark,
                        fields=[RenderedField(mark, f"at {mark}")], buttons=[RenderedButton(f"Vote {mark}", "primary", 0)])
    embed = card_to_embeds(card)[0]
    assert embed["description"] == "Ends <t:1795930883:R>" and embed["fields"][0]["value"] == "at <t:1795930883:R>"
    assert embed["title"] == "Ends 2026-11-29 05:41 UTC" and embed["footer"]["text"] == "2026-11-29 05:41 UTC"
    text = card_to_text(card)
    assert "Ends 2026-11-29 05:41 UTC" in text and f"[Vote {mark}]" in text  # a label is plain: the renderer wrote it
    # the playground reads Discord's message back as its reader sees it: timestamps in UTC
    shown = embeds_to_text(card_to_message(RenderedCard(
        title="Ends <t:0:R>", description=f"Ends {mark}", fields=[RenderedField("<t:0:R>", "at <t:0:D>")])))
    assert shown.splitlines() == ["== Ends <t:0:R> ==", "Ends 2026-11-29 05:41 UTC", "  <t:0:R>: at 1970-01-01"]


def test_every_value_is_data_and_only_the_template_is_markup() -> None:
    env = card_environment()
    render = lambda source, **scope: env.from_string(source).render(**scope)  # noqa: E731
    assert render("**{{ n }}** vs {{ m }}", n="**x**", m="<!here>") == f"**{DATA}**x**{END}** vs {DATA}<!here>{END}"
    assert render("{{ '#' ~ n if n else 'nowhere' }}", n="wars") == data("#wars")  # a whole `{{ }}` is data
    assert render("{{ n }}", n=None) == data("None") and render("{{ missing.x }}{{ '' }}") == ""
    # a user cannot close the span (or open one): the marks are dropped from what is wrapped
    assert render("{{ n }}", n=f"{END}**bold**{DATA}") == data("**bold**") == f"{DATA}**bold**{END}"
    # the `time` marker is the author's as a whole `{{ }}`; joined to other text it is data again
    assert render("{{ t | time }}", t=0) == "⟨time 0 relative⟩"
    assert render("{{ t | time ~ '!' }}", t=0) == data("⟨time 0 relative⟩!")


def test_a_format_converts_the_literal_text_and_escapes_each_value() -> None:
    upper = Format(literal=lambda text: text.replace("**", "*"), escape=lambda value: value.replace("*", "\\*"))
    text = f"**{data('a*b')}** and {data('*c*')}"
    assert upper(text) == "*a\\*b* and \\*c\\*"
    assert on_literal(text, str.upper) == f"**{data('a*b')}** AND {data('*c*')}"  # no escaper: still marked
    assert plain(text) == "**a*b** and *c*" and upper("no values **here**") == "no values *here*"
    assert strip(f"  {DATA} padded {END} ") == data("padded") and strip(f"x {data('  ')}") == "x"


def test_times_are_written_in_the_authors_text_only() -> None:
    text = f"ends ⟨time 0 relative⟩, {data('⟨time 0 relative⟩')}"
    assert times.write_times(text, times.plain) == f"ends 1970-01-01 00:00 UTC, {data('⟨time 0 relative⟩')}"
    renderer = CardRenderer(BotSettings(name="B", client="C"))
    card = renderer.render(Card(title="{{ n }}", url="{{ u }}", color="{{ c }}",
                                buttons=[{"label": "{{ n }} {{ t | time }}", "operation": "x"}]),
                           {"n": "⟨time 0 date⟩", "t": 0, "u": "javascript:alert(1)", "c": "#00ff00"})
    # labels, url and colour are plain text on every platform: rendered plain, times in UTC
    assert card.buttons[0].label == "⟨time 0 date⟩ 1970-01-01 00:00 UTC"
    assert card.url is None and card.color == 0x00FF00  # only an http(s) URL is a link
    assert card_to_text(card) == "== ⟨time 0 date⟩ ==\n  [⟨time 0 date⟩ 1970-01-01 00:00 UTC]"
