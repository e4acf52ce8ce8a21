"""Paging at the wire on Slack (spec `paging:`): signed block_actions into the running Slack
front end; a page button's card comes back through the click's `response_url` with
`replace_original: true`, so the message clicked is edited in place (the fake replaces it as
Slack does), with the command's options kept and the buttons hidden at the ends."""

from __future__ import annotations

from typing import Any

from .conftest import Stack
from .test_wire import ALICE, BOB, buttons, command, header


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in buttons(message)]


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(b for b in buttons(message) if b["text"]["text"] == label)


def items(message: dict[str, Any]) -> list[str]:
    """The games a page shows (inline fields: side by side in sections)."""
    sections = [b for b in message["attachments"][0]["blocks"] if b["type"] == "section"]
    return [f["text"] for b in sections for f in b.get("fields") or [b.get("text")] if f]


async def test_page_buttons_replace_the_message_and_keep_the_options(stack: Stack) -> None:
    first = await command(stack, "games -limit 2", user=ALICE)
    total = int(header(first).removeprefix("Games (").removesuffix(")"))
    assert total >= 3 and labels(first) == ["Next ▶"]
    message = dict(first)  # the message in the channel, which the clicks edit
    shown, clicks = [items(first)], 0
    while "Next ▶" in labels(message):
        reply, url = await stack.wire.click(button(message, "Next ▶"), user=BOB, message=message)
        assert reply.status == 200 and reply.text == ""
        answer = await stack.fake.response(url)
        clicks += 1
        assert answer["replace_original"] is True and message.get("edited")  # edited in place, not a new post
        assert "◀ Previous" in labels(message)
        shown.append(items(message))
    assert clicks == (total + 1) // 2 - 1 and labels(message) == ["◀ Previous"]  # limit 2 kept to the end
    _, url = await stack.wire.click(button(message, "◀ Previous"), user=ALICE, message=message)
    await stack.fake.response(url)
    assert items(message) == shown[-2] and "Next ▶" in labels(message)


async def test_a_page_click_that_fails_is_ephemeral_and_leaves_the_card(stack: Stack) -> None:
    first = await command(stack, "games -limit 2", user=ALICE)
    message = dict(first)
    forged = {**button(first, "Next ▶"), "value": 'gm:["p","games","200",1,[2000000,2]]'}
    _, url = await stack.wire.click(forged, user=BOB, message=message)
    answer = await stack.fake.response(url)
    assert answer["replace_original"] is False and answer["response_type"] == "ephemeral"
    assert "offset must be at most" in str(answer) and not message.get("edited")


async def test_a_command_named_in_a_card_is_written_as_slack_routes_it(stack: Stack) -> None:
    """`{{ command('subscribe', games='4,5') }}` in the games card: the app's one slash command."""
    games = await command(stack, "games", user=ALICE)
    footer = next(b for b in games["attachments"][0]["blocks"] if b["type"] == "context")
    assert footer["elements"][0]["text"] == "Subscribe with: /gmbot subscribe -games 4,5"


async def test_a_bad_value_of_an_option_with_suggestions_gets_a_did_you_mean(stack: Stack) -> None:
    """Slack's slash command has no autocomplete (documented): a value that does not fit gets
    the nearest suggestions, to the user alone."""
    await command(stack, "setup -name Wolves", user=ALICE)
    typo = await command(stack, "createwar -players <@UALICE> -game fortnite", user=ALICE)
    assert typo["response_type"] == "ephemeral" and "Did you mean" in str(typo)
    assert "-game 5: Fortnite (5)" in str(typo), typo
