"""Confirmations at the wire on Slack (spec `confirm:`): a destructive button carries Slack's
own `confirm` dialog (Slack asks; the click arrives confirmed), a destructive slash command
answers with an ephemeral prompt whose answer replaces it (`replace_original`), and only the
one who ran the command may confirm it."""

from __future__ import annotations

from typing import Any

from .conftest import Stack
from .test_wire import ALICE, BOB, buttons, command, header


def button(message: dict[str, Any], label: str) -> dict[str, Any]:
    return next(b for b in buttons(message) if b["text"]["text"] == label)


async def war(stack: Stack) -> tuple[str, dict[str, Any]]:
    await command(stack, "setup -name Wolves", user=ALICE)
    created = await command(stack, "createwar -players <@UALICE> -game 4", user=ALICE)
    return header(created).split()[2], created


async def test_a_destructive_button_has_slacks_own_dialog(stack: Stack) -> None:
    war_id, created = await war(stack)
    withdraw = button(created, "Withdraw")
    dialog = {key: part["text"] if isinstance(part, dict) else part for key, part in withdraw["confirm"].items()}
    assert withdraw["style"] == "danger" and dialog == {
        "title": f"Withdraw war request {war_id}?", "confirm": "Withdraw", "deny": "Keep it", "style": "danger",
        "text": "Subscribed clans can no longer accept it. This cannot be undone."}
    # Slack shows the dialog; a click that reaches the app was confirmed there: it goes straight through
    _, url = await stack.wire.click(withdraw, user=ALICE, message=dict(created))
    answer = await stack.fake.response(url)
    assert header(answer) == f"War {war_id} withdrawn" and answer["response_type"] == "in_channel"
    assert answer["replace_original"] is False  # the card clicked stays; the answer is a message of its own


async def test_a_destructive_command_asks_in_an_ephemeral_prompt(stack: Stack) -> None:
    war_id, _ = await war(stack)
    prompt = await command(stack, f"removewar -war {war_id}", user=ALICE)
    assert prompt["response_type"] == "ephemeral" and header(prompt) == f"Remove war request {war_id}?"
    assert [b["text"]["text"] for b in buttons(prompt)] == ["Remove it", "Keep it"]
    shown = dict(prompt)
    _, url = await stack.wire.click(button(prompt, "Remove it"), user=BOB, message=shown)
    stranger = await stack.fake.response(url)
    assert header(stranger) == "Not yours to confirm" and stranger["replace_original"] is False
    _, url = await stack.wire.click(button(prompt, "Remove it"), user=ALICE, message=shown)
    removed = await stack.fake.response(url)
    assert removed["replace_original"] is True and header(shown) == f"War {war_id} removed" and shown["edited"]
    kept = dict(await command(stack, f"removewar -war {war_id}", user=ALICE))
    _, url = await stack.wire.click(button(kept, "Keep it"), user=ALICE, message=kept)
    await stack.fake.response(url)
    assert header(kept) == "Cancelled" and buttons(kept) == []


async def test_a_private_reply_is_ephemeral(stack: Stack) -> None:
    """`private: true` on available's reply card: only the one who asked sees it."""
    await command(stack, "setup -name Wolves", user=ALICE)
    mine = await command(stack, "available", user=BOB)
    assert header(mine).endswith("is now available for wars") and mine["response_type"] == "ephemeral"
    games = await command(stack, "games", user=BOB)
    assert games["response_type"] == "in_channel"
