"""A card's selects as Discord components (gmbot/discord/selects.py) and as py-cord's own View:
string selects within Discord's limits, each filling an action row, as many as the rows the
buttons leave."""

from __future__ import annotations

import discord

from gmbot.chat.vocabulary import RenderedButton, RenderedCard, RenderedOption, RenderedSelect
from gmbot.discord import selects
from gmbot.discord.embeds import card_to_message, embeds_to_text
from gmbot.discord.runtime import view_of


def menu(index: int, options: list[RenderedOption]) -> RenderedSelect:
    return RenderedSelect(f"Pick {index}…", index, options, f'gm:["sc","games","200",{index},[]]')


def buttons(count: int) -> list[RenderedButton]:
    return [RenderedButton(f"B{i}", "secondary", i, f'gm:["c","games","200",{i},[]]') for i in range(count)]


def test_a_string_select_within_discords_limits() -> None:
    many = [RenderedOption(f"Game {i} " + "x" * 120, str(i), "d" * 150) for i in range(selects.OPTIONS_MAX + 5)]
    many.insert(0, RenderedOption("Too long a value", "v" * (selects.OPTION_TEXT_MAX + 1)))
    [component] = card_to_message(RenderedCard(title="Games", selects=[menu(0, many)]))["selects"]
    assert component["type"] == selects.STRING_SELECT and component["placeholder"] == "Pick 0…"
    assert [o["value"] for o in component["options"]] == [str(i) for i in range(selects.OPTIONS_MAX)]
    assert all(len(o["label"]) <= 100 and len(o["description"]) <= 100 for o in component["options"])


async def test_selects_fill_the_rows_the_buttons_leave_and_py_cord_takes_the_view() -> None:  # a View needs a loop
    options = [RenderedOption("Fortnite", "5")]
    card = RenderedCard(title="Games", selects=[menu(i, options) for i in range(5)], buttons=buttons(6))
    shown = card_to_message(card)["selects"]
    rows = (6 + selects.ROW_BUTTONS - 1) // selects.ROW_BUTTONS
    assert len(shown) == selects.ROWS - rows  # two rows of buttons leave three for selects
    view = view_of(card)
    assert view is not None
    kinds = [type(item) for item in view.children]
    assert kinds.count(discord.ui.Select) == len(shown) and kinds.count(discord.ui.Button) == 6
    assert "[▾ Pick 0…: Fortnite]" in embeds_to_text(card_to_message(card))


def test_a_choice_is_the_select_id_with_the_value() -> None:
    data = {"custom_id": 'gm:["sc","games","200",0,[]]', "component_type": 3, "values": ["5"]}
    assert selects.choice(data) == 'gm:["sc","games","200",0,["5"]]'
    assert selects.choice({**data, "component_type": 2}) is None
    assert selects.choice({**data, "values": ["4", "5"]}) is None
