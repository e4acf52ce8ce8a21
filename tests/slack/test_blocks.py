"""Neutral cards as Block Kit, within Slack's limits; long content split or cut visibly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gmbot.chat.fit import CUT
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.slack.blocks import card_to_message, message_to_text, mrkdwn


def check_limits(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Every limit of platform-limits.md; returns the blocks."""
    assert message["text"].strip()
    (attachment,) = message["attachments"]
    assert attachment["color"].startswith("#") and len(attachment["color"]) == 7
    blocks = attachment["blocks"]
    assert 1 <= len(blocks) <= 50
    for block in blocks:
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and len(block["text"]["text"]) <= 150
        elif block["type"] == "section":
            assert ("text" in block) != ("fields" in block)
            if "text" in block:
                assert 0 < len(block["text"]["text"]) <= 3000
            else:
                assert 1 <= len(block["fields"]) <= 10 and all(0 < len(f["text"]) <= 2000 for f in block["fields"])
        elif block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10 and all(len(e["text"]) <= 3000 for e in block["elements"])
        elif block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            for button in block["elements"]:
                assert len(button["text"]["text"]) <= 75 and len(button["action_id"]) <= 255
                assert len(button["value"]) <= 2000 and button.get("style", "primary") in {"primary", "danger"}
        else:
            raise AssertionError(block["type"])
    return blocks


def test_a_card_maps_to_header_sections_fields_context_and_actions() -> None:
    card = RenderedCard(
        title="WHO WON?", description="War **zyo8** is over", color=0xF1C40F, footer="Please be honest!",
        fields=[RenderedField("Wolves", "alice", True), RenderedField("Bears", "bruno", True), RenderedField("Note", "n")],
        buttons=[RenderedButton("We won", "success", 0, 'gm:["e","war.ended","",0,["zyo8"]]'),
                 RenderedButton("Draw", "secondary", 2, 'gm:["e","war.ended","",2,["zyo8"]]'),
                 RenderedButton("unbound", "danger", 1, None)],
    )
    message = card_to_message(card)
    blocks = check_limits(message)
    assert message["text"] == "WHO WON?" and message["attachments"][0]["color"] == "#f1c40f"
    assert [b["type"] for b in blocks] == ["header", "section", "section", "section", "context", "actions"]
    assert blocks[1]["text"]["text"] == "War *zyo8* is over"
    assert [f["text"] for f in blocks[2]["fields"]] == ["*Wolves*\nalice", "*Bears*\nbruno"]
    assert blocks[3]["text"]["text"] == "*Note*\nn"
    won, draw = blocks[5]["elements"]  # a button without a custom id cannot be clicked: not shown
    assert won["action_id"] == won["value"] == 'gm:["e","war.ended","",0,["zyo8"]]' and won["style"] == "primary"
    assert "style" not in draw
    assert message_to_text(message).splitlines()[0] == "| *WHO WON?*"


def test_long_texts_are_cut_visibly_and_descriptions_split() -> None:
    card = RenderedCard(title="T" * 200, description=("line\n" * 1500), footer="f" * 4000,
                        fields=[RenderedField("n" * 2500, "v" * 2500, True), RenderedField("x", "y" * 4000)],
                        buttons=[RenderedButton("L" * 100, "primary", 0, "gm:1")])
    blocks = check_limits(card_to_message(card))
    assert blocks[0]["text"]["text"].endswith(CUT)
    assert sum(1 for b in blocks if b["type"] == "section" and "text" in b) >= 3  # 7500 characters: 3 sections
    assert all(b["elements"][0]["text"].endswith(CUT) for b in blocks if b["type"] == "context")


def test_too_many_fields_for_50_blocks_are_counted_in_the_footer() -> None:
    card = RenderedCard(title="Leaderboard", footer="end", fields=[RenderedField(f"#{i}", "x") for i in range(80)])
    blocks = check_limits(card_to_message(card))
    assert len(blocks) == 50 and blocks[-1]["type"] == "context"
    assert blocks[-1]["elements"][0]["text"] == "… 32 more not shown (Slack's message limit) · end"
    inline = RenderedCard(title="Many", fields=[RenderedField(f"#{i}", "x", True) for i in range(80)])
    sections = [b for b in check_limits(card_to_message(inline)) if b["type"] == "section"]
    assert sum(len(s["fields"]) for s in sections) == 80  # 8 sections of 10 side by side


def test_slack_markup_is_escaped_but_mentions_and_links_survive() -> None:
    assert mrkdwn("a < b & c > d") == "a &lt; b &amp; c &gt; d"
    assert mrkdwn("hi <@U123|ana> see [docs](https://x.test/a)") == "hi <@U123|ana> see <https://x.test/a|docs>"
    empty = card_to_message(RenderedCard(description="only text"))
    assert empty["text"] == "only text" and empty["attachments"][0]["color"] == "#dddddd"


def test_times_are_slack_dates_in_text_and_plain_in_the_header() -> None:
    from gmbot.chat.times import time as time_filter

    mark = time_filter("2026-11-29T06:00:00Z", "datetime")
    message = card_to_message(RenderedCard(title=f"Ends {mark}", description=f"Ends {mark} & <soon>",
                                           fields=[RenderedField("At", mark, True)]))
    blocks = check_limits(message)
    assert blocks[0]["text"]["text"] == "Ends 2026-11-29 06:00 UTC"
    unix = int(datetime(2026, 11, 29, 6, tzinfo=UTC).timestamp())
    date = f"<!date^{unix}^{{date_short_pretty}} {{time}}|2026-11-29 06:00 UTC>"
    assert blocks[1]["text"]["text"] == f"Ends {date} &amp; &lt;soon&gt;"
    assert blocks[2]["fields"][0]["text"] == f"*At*\n{date}"
    assert "| *At*: 2026-11-29 06:00 UTC" in message_to_text(message)


def test_values_are_escaped_and_only_the_authors_markup_is_read() -> None:
    from gmbot.chat.cards import CardRenderer
    from gmbot.spec.model import BotSettings, Card

    card = Card(title="WAR ON: {{ v }}", description="**{{ v }}** vs <@{{ id }}> [site](https://x.test/{{ id }})",
                footer="by {{ v }}", fields=[{"name": "{{ v }}", "value": "{{ v }}", "inline": True}],
                url="https://x.test/{{ v }}", buttons=[{"label": "{{ v }}", "operation": "op"}])
    value = "<!here> *b* _i_ ~s~ `c` & <https://evil.example|FREE GLORY>"
    rendered = CardRenderer(BotSettings(name="B", client="C")).render(card, {"v": value, "id": "U123"})
    rendered.buttons[0].custom_id = "gm:1"
    message = card_to_message(rendered)
    blocks = check_limits(message)
    shown = "&lt;!here&gt; \u2217b\u2217 \u02cdi\u02cd \u223cs\u223c \u02cbc\u02cb &amp; &lt;https://evil.example|FREE GLORY&gt;"
    # the notification text is read as mrkdwn (and notifies mentions): escaped too
    assert message["text"] == f"WAR ON: {shown}"
    assert blocks[0]["text"] == {"type": "plain_text", "text": f"WAR ON: {value}", "emoji": True}
    # the url holds only what a link may (no `|`, `<`, `>`): nothing here is one
    assert blocks[1]["type"] == "section"
    assert blocks[1]["text"] == {"type": "mrkdwn", "verbatim": True,
                                 "text": f"*{shown}* vs <@U123> <https://x.test/U123|site>"}
    assert blocks[2]["fields"][0]["text"] == f"*{shown}*\n{shown}"
    assert blocks[3]["elements"][0]["text"] == f"by {shown}"
    assert blocks[4]["elements"][0]["text"] == {"type": "plain_text", "text": value, "emoji": True}
    quoted = card_to_message(CardRenderer(BotSettings(name="B", client="C")).render(
        Card(description="{{ v }}"), {"v": "> not a quote\nfine > here"}))
    assert quoted["attachments"][0]["blocks"][0]["text"]["text"] == "\u00ad&gt; not a quote\nfine &gt; here"


def test_a_link_for_the_title_is_written_safely() -> None:
    message = card_to_message(RenderedCard(title="t", url="https://x.test/a&b"))
    assert message["attachments"][0]["blocks"][1]["elements"][0]["text"] == "<https://x.test/a&amp;b|Open>"
