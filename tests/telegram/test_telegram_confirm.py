"""Confirmations at the wire on Telegram (spec `confirm:`): a destructive button or command
answers with a second keyboard (Confirm / Cancel, in reply), whose answer replaces it
(`editMessageText`); only the one who ran the command may confirm it, and a stranger is told
in an alert."""

from __future__ import annotations

from .conftest import SECRET, WOLVES, Stack, shown, title
from .fake_telegram import Call

CALLBACK_DATA_MAX = 64


def labels(call: Call) -> list[str]:
    return [k["text"] for row in (call.data.get("reply_markup") or {}).get("inline_keyboard", []) for k in row]


async def press(stack: Stack, user: str, posted: Call, label: str) -> Call:
    """`user` presses `label` on `posted`: the callback query's answer."""
    update = stack.fake.click(stack.user(user), posted, labels(posted).index(label))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    query = update["callback_query"]["id"]
    return (await stack.fake.wait_for(lambda c: c.method == "answerCallbackQuery"
                                      and c.data["callback_query_id"] == query))[0]


async def next_call(stack: Stack, method: str, before: int) -> Call:
    return (await stack.fake.wait_for(lambda c: c.method == method and c.failed is None, count=before + 1))[before]


async def test_a_destructive_button_asks_with_a_second_keyboard(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    created = await stack.say(WOLVES, "Ann", "/createwar -players @ann -game 4")
    war_id = title(created).split()[2]
    assert labels(created) == ["Withdraw"]
    sends = len(stack.fake.of("sendMessage"))
    await press(stack, "Ann", created, "Withdraw")
    prompt = await next_call(stack, "sendMessage", sends)
    assert title(prompt) == f"Withdraw war request {war_id}?" and labels(prompt) == ["Withdraw", "Keep it"]
    assert prompt.data["reply_parameters"]["message_id"] == created.result["message_id"]
    keys = [k for row in prompt.data["reply_markup"]["inline_keyboard"] for k in row]
    assert all(len(k["callback_data"].encode()) <= CALLBACK_DATA_MAX for k in keys)
    await press(stack, "Ann", prompt, "Withdraw")
    withdrawn = await next_call(stack, "editMessageText", 0)
    assert withdrawn.result["message_id"] == prompt.result["message_id"]
    assert title(withdrawn) == f"War {war_id} withdrawn" and labels(withdrawn) == []


async def test_a_destructive_command_is_confirmed_by_its_author_only(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    created = await stack.say(WOLVES, "Ann", "/createwar -players @ann -game 4")
    war_id = title(created).split()[2]
    prompt = await stack.say(WOLVES, "Ann", f"/removewar -war {war_id}")
    assert title(prompt) == f"Remove war request {war_id}?" and labels(prompt) == ["Remove it", "Keep it"]
    stranger = await press(stack, "Bob", prompt, "Remove it")
    assert stranger.data["show_alert"] is True and stranger.data["text"].startswith("Not yours to confirm")
    await press(stack, "Ann", prompt, "Remove it")
    removed = await next_call(stack, "editMessageText", 0)
    assert title(removed) == f"War {war_id} removed" and removed.result["message_id"] == prompt.result["message_id"]
    kept = await stack.say(WOLVES, "Ann", f"/removewar -war {war_id}")
    await press(stack, "Ann", kept, "Keep it")
    cancelled = await next_call(stack, "editMessageText", 1)
    assert shown(cancelled).startswith("Cancelled") and labels(cancelled) == []
