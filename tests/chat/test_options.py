from __future__ import annotations

import pytest

from gmbot.chat.options import (
    NotAMention,
    UsageError,
    coerce_options,
    coerce_value,
    parse_duration,
    split_flags,
)
from gmbot.chat.vocabulary import Person
from gmbot.spec.model import BotSpec, DurationUnit, Option, OptionType

MEMBERS = {"<@1>": Person("1", "p1"), "<@2>": Person("2", "p2"), "@p3": Person("3", "p3")}


async def resolve(token: str) -> Person | None:
    if not token.startswith(("<@", "@")):
        raise NotAMention(token)
    return MEMBERS.get(token)


async def parse(spec: BotSpec, name: str, args: str) -> dict:
    command = spec.command(name)
    assert command is not None
    return await coerce_options(command, split_flags(command, args), resolve)


async def test_original_createwar_syntax(spec: BotSpec) -> None:
    options = await parse(spec, "createwar", "-players <@1> <@2> -game 4 -duration 12 -type ft3")
    assert options == {"players": [{"id": "1", "name": "p1"}, {"id": "2", "name": "p2"}],
                       "game": 4, "duration": 12, "type": "ft3"}


async def test_defaults_and_fractional_duration(spec: BotSpec) -> None:
    options = await parse(spec, "createwar", "-game 4 -players <@1> -duration 90m")
    assert options["duration"] == 1.5 and options["type"] == "ft3"
    assert (await parse(spec, "createwar", "-game 4 -players <@1>"))["duration"] == 24


async def test_accept_and_quoted_message(spec: BotSpec) -> None:
    assert await parse(spec, "accept", "-war zyo8 -players <@1> @p3") == {
        "war": "zyo8", "players": [{"id": "1", "name": "p1"}, {"id": "3", "name": "p3"}]}
    said = await parse(spec, "say", '-war zyo8 -message "see you -later, don\'t be late"')
    phone = await parse(spec, "say", "\u2014war zyo8 \u2013message \u201chi \u2014 there\u201d")
    assert phone == {"war": "zyo8", "message": "hi \u2014 there"}
    assert said["message"] == "see you -later, don't be late"


async def test_positional_first_option_and_integer_lists(spec: BotSpec) -> None:
    assert (await parse(spec, "subscribe", "4, 5 7"))["games"] == [4, 5, 7]
    assert (await parse(spec, "setup", "-name The Wolves"))["name"] == "The Wolves"
    assert (await parse(spec, "vote", "-war zyo8 -result Draw"))["result"] == "draw"


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("createwar", "-players <@1> -game 4 -colour red", "unknown flag -colour"),
        ("createwar", "-players <@1> -gmae 4", "did you mean -game?"),
        ("createwar", "-game 4", "missing required option -players"),
        ("createwar", "-players <@9> -game 4", "<@9> is not a member of this server"),
        ("createwar", "-players bob -game 4", "'bob' is not a mention"),
        ("createwar", "-players <@1> -game 4 -duration soon", "-duration must be a duration"),
        ("createwar", "-players <@1> -game four", "-game must be a whole number"),
        ("createwar", "-players <@1> -game 4 -game 5", "given twice"),
        ("vote", "-war zyo8 -result maybe", "one of win, lose, draw"),
        ("subscribe", "-games 4,x", "whole numbers"),
        ("relinquish", "-member <@1> <@2>", "exactly one mention"),
        ("games", "-limit 500", "at most 25"),
        ("war", "-war zy#8", "-war: 'zy#8' is not a valid value (War id)"),  # the spec's pattern
        ("setup", "-name Wol\x00ves", "-name cannot contain a NUL character"),
        ("subscribe", "-games " + ",".join(str(n) for n in range(1, 52)), "-games takes at most 50 (got 51)"),
        ("say", "-war zyo8 -message see you -later", 'text with dashes goes in quotes: -message "…"'),
    ],
)
async def test_bad_input_is_a_usage_error(spec: BotSpec, name: str, args: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        await parse(spec, name, args)
    assert message in caught.value.message
    assert caught.value.command == name


def test_durations() -> None:
    assert parse_duration("12", DurationUnit.HOURS) == 12
    assert parse_duration("1.5d", DurationUnit.HOURS) == 36
    assert parse_duration("30s", DurationUnit.MINUTES) == 0.5
    with pytest.raises(ValueError):
        parse_duration("12 parsecs", DurationUnit.HOURS)


async def test_list_options_count_their_values_once() -> None:
    pair = Option(name="players", type=OptionType.USERS, description="Players", min_items=2, max_items=2)
    assert len(await coerce_value(pair, "duel", "<@1> <@2> <@1>", resolve)) == 2  # a repeated mention counts once
    with pytest.raises(UsageError, match=r"-players needs at least 2 \(got 1\)"):
        await coerce_value(pair, "duel", "<@1> <@1>", resolve)
    with pytest.raises(UsageError, match=r"-players takes at most 2 \(got 3\)"):
        await coerce_value(pair, "duel", "<@1> <@2> @p3", resolve)
