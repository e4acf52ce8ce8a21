"""Neutral cards as Telegram messages, within Telegram's limits (checked by the fake Bot
API's own parser); buttons whose callback data fits 64 bytes and leads back to the core's
custom id; the generator's Telegram rules."""

from __future__ import annotations

import json

from generated.chat.routes import ROUTES
from generator.targets.telegram import TARGET
from gmbot.chat.backend import BackendClient
from gmbot.chat.core import Core
from gmbot.chat.markup import data
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedField
from gmbot.spec.model import BotSpec
from gmbot.telegram.buttons import CALLBACK_DATA_MAX, Callbacks, to_callback_data
from gmbot.telegram.messages import MESSAGE_MAX, MESSAGES_MAX, card_to_messages, message_to_text

from .fake_telegram import parse_html, units


def check(messages: list[dict[str, object]]) -> list[str]:
    """Every message parses as Telegram parses it and fits; the texts as readers see them."""
    shown = []
    for message in messages:
        text, _ = parse_html(str(message["text"]))
        assert 0 < units(text) <= MESSAGE_MAX
        shown.append(text)
    return shown


def test_a_long_card_continues_in_more_messages_then_says_what_was_left_out() -> None:
    lines = [f"line {i} 🐺 " + "&<>" * 30 for i in range(400)]  # emoji: 2 code units; entities: 1 character
    card = RenderedCard(title="Roster", description="\n".join(lines), footer="the end",
                        buttons=[RenderedButton("More", "primary", 0, 'gm:["c","roles","200",0,[]]')])
    messages = card_to_messages(card)
    shown = check(messages)
    assert len(messages) == MESSAGES_MAX
    assert all("reply_markup" not in m for m in messages[:-1]) and messages[-1]["reply_markup"]
    assert shown[0].startswith("Roster\n\nline 0 🐺 &<>")
    assert shown[-1].endswith("more lines not shown (Telegram's message limit)\n\nthe end")  # the footer stays
    kept = sum(text.count("line ") for text in shown)
    assert f"… {400 - kept} more lines" in shown[-1]


def test_a_line_longer_than_a_message_is_split_without_its_formatting() -> None:
    card = RenderedCard(description="**" + "x" * (MESSAGE_MAX + 500) + "**")
    messages = card_to_messages(card)
    shown = check(messages)
    assert len(shown) == 2 and "".join(shown).replace("\n", "") == "x" * (MESSAGE_MAX + 500)
    assert "<b>" not in str(messages)


def test_fields_footer_link_and_the_playground_text() -> None:
    card = RenderedCard(title="War on", color=0x2ECC71, url="https://gmbot.example/w?a=1&b=2",
                        fields=[RenderedField("Game", "4", True), RenderedField("Format", "ft3", True),
                                RenderedField("Players", "ann\nbob")], footer="good luck")
    [message] = card_to_messages(card)
    assert message["text"] == ('<a href="https://gmbot.example/w?a=1&amp;b=2"><b>War on</b></a>\n\n'
                               "<b>Game</b>: 4 · <b>Format</b>: ft3\n<b>Players</b>\nann\nbob\n\n<i>good luck</i>")
    check([message])
    assert message_to_text([message]).splitlines()[0] == "│ *War on* <https://gmbot.example/w?a=1&b=2>"


def test_callback_data_fits_and_leads_back_to_the_buttons_custom_id(spec: BotSpec) -> None:
    core = Core(spec, BackendClient("http://127.0.0.1:9", "k", "TELEGRAM-BFF", routes=ROUTES), "telegram")
    short = 'gm:["e","war.ended","",1,["zyo8"]]'
    assert to_callback_data(short) == short  # fits: used as it is
    long = 'gm:["e","war.ended","",1,["' + "w" * 30 + '"]]'  # over 64 bytes
    data = to_callback_data(long)
    assert data is not None and len(data.encode()) <= CALLBACK_DATA_MAX
    back = Callbacks(spec).custom_id(data)
    assert back is not None and json.loads(back[3:]) == json.loads(long[3:])
    found = core.find_button(back)
    assert found is not None and found[0].label == "We lost" and found[1] == {"event": {"data": {"war": {"id": "w" * 30}}}}
    assert to_callback_data('gm:["e","war.ended","",1,["' + "w" * 60 + '"]]') is None  # left off the keyboard
    assert Callbacks(spec).custom_id("g~e.zzzzzz.x.0.[]") is None and Callbacks(spec).custom_id("other bot") is None


def test_the_generator_lets_the_prefix_run_names_telegram_cannot_list() -> None:
    def problems(prefix: str, name: str) -> list[str]:
        data = {"bot": {"prefix": prefix}, "commands": {name: {"description": "d", "aliases": ["ok-alias"]}}}
        return [message for _, message in TARGET.problems(data)]

    assert problems("gmbot", "écho") == []  # run as /gmbot écho
    assert problems("gmbot", "create-war") == []  # listed as /create_war
    [problem] = problems("g!", "écho")
    assert "'écho' cannot be a Telegram command" in problem and "prefix 'g!'" in problem
    assert [m for _, m in TARGET.problems({"commands": {"x": {"description": " "}}})] == [
        "Telegram needs a description of 1-256 characters"]


def test_the_preview_draws_the_bubbles_and_the_keyboard() -> None:
    import jinja2

    from gmbot.telegram.preview import LOOK

    card = RenderedCard(title=data("<i>Wolves</i>"), description="**bold** line\nnext",
                        buttons=[RenderedButton("We won", "success", 0, 'gm:["e","war.ended","",0,["zyo8"]]')])
    env = jinja2.Environment(autoescape=True)
    env.filters.update(LOOK.filters)
    page = env.from_string(LOOK.template.read_text()).render(message=LOOK.to_message(card))
    assert "<strong>&lt;i&gt;Wolves&lt;/\u2060i&gt;</strong>" in page  # the value as text, the title bold
    assert "<strong>bold</strong> line<br>next" in page
    assert 'class="tg-key tg-success"' in page and ">We won</span>" in page
