"""Help text (issue 17): bounds as people write them, placeholders, examples one a line."""

from __future__ import annotations

import pytest

from gmbot.chat.help import command_help, describe_option, placeholder, usage
from gmbot.chat.options import UsageError, coerce_value
from gmbot.platforms import platforms
from gmbot.spec.model import BotSpec, Command, Option, OptionType


def test_integer_bounds_print_as_integers_and_int32_max_is_no_bound() -> None:
    game = Option(name="game", type=OptionType.INTEGER, description="Game id", min=1, max=2147483647)
    limit = Option(name="limit", type=OptionType.INTEGER, description="How many", min=1, max=1000000)
    ratio = Option(name="ratio", type=OptionType.NUMBER, description="A ratio", min=0.5, max=2)
    assert describe_option(game) == "Game id (min 1; optional)"
    assert "max 1000000" in describe_option(limit) and "e+" not in describe_option(limit)
    assert "min 0.5; max 2;" in describe_option(ratio)


async def test_usage_errors_print_bounds_as_integers() -> None:
    limit = Option(name="limit", type=OptionType.INTEGER, description="How many", min=1, max=3000000)
    with pytest.raises(UsageError) as caught:
        await coerce_value(limit, "top", "3000001", _nobody)
    assert caught.value.message == "-limit must be at most 3000000"


async def _nobody(token: str) -> None:
    return None


def test_placeholders_are_declared_per_option() -> None:
    against = Option(name="against", type=OptionType.STRING, description="The other clan", placeholder="clan")
    plain = Option(name="against", type=OptionType.STRING, description="The other clan")
    count = Option(name="n", type=OptionType.INTEGER, description="How many", placeholder="count", required=True)
    assert placeholder(against) == "<clan>" and placeholder(plain) == "<against>"
    command = Command(name="h2h", description="d", operation="op", options=[count, against])
    assert usage("gmbot", command) == "gmbot h2h -n <count> [-against <clan>]"


def test_every_platform_keeps_the_later_examples_indented(spec: BotSpec) -> None:
    """The 2nd and later examples of help stay under their field in every platform's text view."""
    command = spec.command("history")
    assert command is not None and len(command.examples) > 2
    card = command_help(spec, command)
    for platform in platforms():
        text = platform.load(platform.message_to_text)(platform.load(platform.to_message)(card))
        lines = text.splitlines()
        quoted = [f"`{e}`" for e in command.examples]
        first = next(i for i, line in enumerate(lines) if line.rstrip().endswith(quoted[0]))
        indent = {len(lines[first + k]) - len(lines[first + k].lstrip(" │|")) for k in range(1, len(command.examples))}
        head = len(lines[first]) - len(lines[first].lstrip(" │|"))
        assert all(lines[first + k].rstrip().endswith(quoted[k]) for k in range(len(quoted))), platform.name
        assert min(indent) >= head, (platform.name, text)
