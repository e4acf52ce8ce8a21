from __future__ import annotations

from gmbot.chat.cards import CardRenderer
from gmbot.chat.fit import CUT
from gmbot.chat.vocabulary import RenderedCard, RenderedField
from gmbot.discord.embeds import card_to_embeds, embed_size
from gmbot.spec.model import BotSettings, Card


def check_limits(embeds: list[dict]) -> None:
    assert 1 <= len(embeds) <= 10
    assert sum(embed_size(e) for e in embeds) <= 6000
    for embed in embeds:
        assert len(embed.get("title", "")) <= 256 and len(embed.get("description", "")) <= 4096
        assert len(embed.get("fields", [])) <= 25
        for f in embed.get("fields", []):
            assert 0 < len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024


def test_small_card_is_one_embed() -> None:
    embeds = card_to_embeds(RenderedCard(title="t", description="d", color=0xFF, footer="f",
                                         fields=[RenderedField("a", "")]))
    assert embeds == [{"type": "rich", "title": "t", "description": "d", "color": 255, "footer": {"text": "f"},
                       "fields": [{"name": "a", "value": "\u200b", "inline": False}]}]


def test_long_values_are_cut_visibly() -> None:
    embeds = card_to_embeds(RenderedCard(title="T" * 300, fields=[RenderedField("n" * 300, "v" * 2000)]))
    check_limits(embeds)
    assert embeds[0]["title"].endswith(CUT) and embeds[0]["fields"][0]["value"].endswith(CUT)


def test_many_fields_split_and_overflow_is_marked() -> None:
    card = RenderedCard(title="Leaderboard", fields=[RenderedField(f"#{i}", "x" * 40) for i in range(60)], footer="end")
    embeds = card_to_embeds(card)
    check_limits(embeds)
    assert len(embeds) == 3 and sum(len(e["fields"]) for e in embeds) == 60
    huge = RenderedCard(title="big", description="line\n" * 3000, fields=[RenderedField("f", "y" * 1000) for _ in range(40)])
    embeds = card_to_embeds(huge)
    check_limits(embeds)
    assert "more not shown" in embeds[-1]["footer"]["text"]


def hostile(template: Card, value: str) -> RenderedCard:
    return CardRenderer(BotSettings(name="B", client="C")).render(template, {"v": value, "id": "123456789012345678"})


CARD = Card(title="WAR ON: {{ v }}", description="**{{ v }}** is here, <@{{ id }}>", footer="by {{ v }}",
            fields=[{"name": "{{ v }}", "value": "- {{ v }}"}])


def test_values_are_escaped_where_discord_reads_markdown() -> None:
    [embed] = card_to_embeds(hostile(CARD, "[FREE GLORY](https://evil.example) @everyone <@1>"))
    shown = "\\[FREE GLORY\\](https\\://evil.example) @\u200beveryone \\<@1\\>"
    assert embed["title"] == f"WAR ON: {shown}"
    # the author's markup works around a value, and an id the author makes a mention of stays one
    assert embed["description"] == f"**{shown}** is here, <@123456789012345678>"
    assert embed["fields"] == [{"name": shown, "value": f"- {shown}", "inline": False}]
    # Discord formats nothing in a footer: the value as it is (a backslash would show)
    assert embed["footer"]["text"] == "by [FREE GLORY](https://evil.example) @everyone <@1>"


def test_line_starts_and_the_escape_itself_are_escaped() -> None:
    [embed] = card_to_embeds(hostile(Card(description="{{ v }}"), "# big\n-# small\n> quote\n1. one\n\\*x*"))
    assert embed["description"] == "\\# big\n\\-# small\n\\> quote\n1\\. one\n\\\\\\*x\\*"
    [plain] = card_to_embeds(hostile(Card(description="{{ v }}"), "Wolves 2"))
    assert plain["description"] == "Wolves 2"  # ordinary names are untouched
