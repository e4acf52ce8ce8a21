"""A card's selects on Telegram's keyboard (gmbot/telegram/selects.py): a key per option above
the buttons, rows of three, the placeholder as the card's last line (its value escaped, as
data), the keyboard's 100 keys shared with the buttons, and an option whose choice cannot fit
in 64 bytes of callback data left off."""

from __future__ import annotations

from gmbot.chat.core import BUTTON_PREFIX
from gmbot.chat.selects import choice_id
from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedOption, RenderedSelect
from gmbot.telegram import messages
from gmbot.telegram.buttons import CALLBACK_DATA_MAX, size
from gmbot.telegram.selects import MARK

SELECT_ID = 'gm:["sc","games","200",0,[]]'


def option(label: str, value: str) -> RenderedOption:
    return RenderedOption(label, value, "", choice_id(SELECT_ID, value, BUTTON_PREFIX))


def test_keys_above_the_buttons_and_the_placeholder_as_the_last_line() -> None:
    options = [option(f"Game {i}", str(i)) for i in range(5)]
    options.append(RenderedOption("Too long", "x" * 60, "", choice_id(SELECT_ID, "x" * 60, BUTTON_PREFIX)))
    card = RenderedCard(title="Games", footer="Subscribe with: /subscribe", buttons=[
        RenderedButton("Next ▶", "secondary", 0, 'gm:["p","games","200",1,[3]]')],
        selects=[RenderedSelect("Pick <b>one</b>…", 0, options, SELECT_ID)])
    [message] = messages.card_to_messages(card)
    rows = message["reply_markup"]["inline_keyboard"]
    assert [[k["text"] for k in row] for row in rows] == [["Game 0", "Game 1", "Game 2"], ["Game 3", "Game 4"],
                                                          ["Next ▶"]]  # the 60-byte value cannot fit: left off
    assert all(size(k["callback_data"]) <= CALLBACK_DATA_MAX for row in rows for k in row)
    last = message["text"].splitlines()[-1].replace("\u2060", "")  # word joiners: invisible
    assert last == f"<i>{MARK}Pick &lt;b&gt;one&lt;/b&gt;…</i>"  # data, escaped


def test_the_keyboard_holds_a_hundred_keys_in_all_the_buttons_first() -> None:
    options = [option(f"G{i}", str(i)) for i in range(messages.BUTTONS_MAX + 10)]
    card = RenderedCard(title="Games", buttons=[RenderedButton("Next ▶", "secondary", 0, 'gm:["p","games","200",1,[3]]')],
                        selects=[RenderedSelect("Pick…", 0, options, SELECT_ID)])
    [message] = messages.card_to_messages(card)
    keys = [k for row in message["reply_markup"]["inline_keyboard"] for k in row]
    assert len(keys) == messages.BUTTONS_MAX and keys[-1]["text"] == "Next ▶"
    assert keys[-2]["text"] == f"G{messages.BUTTONS_MAX - 2}"  # the options after the 99th are cut


def test_a_select_with_no_key_that_fits_shows_no_placeholder() -> None:
    card = RenderedCard(title="Games", selects=[RenderedSelect("Pick…", 0, [option("Long", "y" * 60)], SELECT_ID)])
    [message] = messages.card_to_messages(card)
    assert "reply_markup" not in message and "Pick…" not in message["text"]
