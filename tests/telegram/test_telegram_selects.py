"""Selects at the wire on Telegram (spec `selects:`), which has no menus: the games card's select
is a key per game on the inline keyboard, above the page buttons, with the placeholder as the
message's last line; each key's `callback_data` (within 64 bytes) is the choice, and pressing
it calls the select's operation as the one who pressed, with the real aiogram client."""

from __future__ import annotations

from typing import Any

from gmbot.telegram.buttons import CALLBACK_DATA_MAX
from gmbot.telegram.selects import MARK

from .conftest import SECRET, WOLVES, Stack, shown, title
from .fake_telegram import Call

SUBSCRIBE = "Subscribe to…"


def keys(call: Call) -> list[dict[str, Any]]:
    return [k for row in (call.data.get("reply_markup") or {}).get("inline_keyboard", []) for k in row]


def games_listed(call: Call) -> list[str]:
    """The games a card lists: `4: Mini Militia` of each `4: Mini Militia: 1-4 players`."""
    return [part.rsplit(":", 1)[0] for line in shown(call).splitlines() if "players" in line
            for part in line.split(" · ")]


async def press(stack: Stack, user: str, posted: Call, label: str) -> tuple[Call, Call | None]:
    """`user` presses the key `label`: the query's answer, and the card posted after it (None
    when the answer is an alert)."""
    update = stack.fake.click(stack.user(user), posted, [k["text"] for k in keys(posted)].index(label))
    before = len(stack.fake.sent(WOLVES))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    query = update["callback_query"]["id"]
    answered = (await stack.fake.wait_for(lambda c: c.method == "answerCallbackQuery"
                                          and c.data["callback_query_id"] == query))[0]
    if answered.data.get("show_alert"):
        return answered, None
    sent = await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                     and str(c.data["chat_id"]) == str(WOLVES), count=before + 1)
    return answered, sent[before]


async def test_the_games_card_has_a_key_per_game_and_pressing_one_subscribes(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    games = await stack.say(WOLVES, "Ann", "/games -limit 3")
    listed = games_listed(games)
    assert shown(games).splitlines()[-1] == MARK + SUBSCRIBE  # the placeholder over the keyboard
    options = keys(games)[:len(listed)]  # the select's keys come first, a key per game
    assert [k["text"] for k in options] == [g.split(": ", 1)[1] for g in listed]
    assert keys(games)[len(listed)]["text"] == "Next ▶"  # then the page buttons
    assert all(len(k["callback_data"].encode()) <= CALLBACK_DATA_MAX for k in keys(games))
    answered, posted = await press(stack, "Ann", games, options[1]["text"])
    assert posted is not None and answered.data.get("show_alert") in (None, False)
    assert title(posted).startswith("Subscribed games") and listed[1] in games_listed(posted)
    assert posted.data.get("reply_to_message_id") or posted.data.get("reply_parameters")  # in reply to the card


async def test_a_choice_the_backend_refuses_is_an_alert_for_the_chooser(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    games = await stack.say(WOLVES, "Ann", "/games -limit 3")
    answered, posted = await press(stack, "Bob", games, keys(games)[0]["text"])  # Bob is no Leader
    assert posted is None and answered.data["show_alert"] is True
    assert "Subscribed" not in answered.data["text"]


async def test_a_forged_choice_is_refused_in_words(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    games = await stack.say(WOLVES, "Ann", "/games -limit 3")
    forged = Call(games.method, {**games.data, "reply_markup": {"inline_keyboard": [[
        {"text": "Nope", "callback_data": 'gm:["sc","games","200",0,["fortnite"]]'}]]}}, games.token,
        result=games.result)
    answered, posted = await press(stack, "Ann", forged, "Nope")
    assert posted is None and answered.data["text"] == "This choice no longer works"
