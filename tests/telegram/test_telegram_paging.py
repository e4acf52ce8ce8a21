"""Paging at the wire on Telegram (spec `paging:`): the real aiogram client, a page button's
callback query answered, and the card edited in place with `editMessageText` (the message
keeps its id), the command's options kept, the keyboard without Prev on the first page and
without Next on the last, every `callback_data` within Telegram's 64 bytes."""

from __future__ import annotations

from .conftest import SECRET, WOLVES, Stack, shown, title
from .fake_telegram import Call

CALLBACK_DATA_MAX = 64  # bytes: Telegram's limit, as the Bot API documents it


def keys(call: Call) -> list[dict[str, str]]:
    return [k for row in (call.data.get("reply_markup") or {}).get("inline_keyboard", []) for k in row]


def labels(call: Call) -> list[str]:
    """The buttons' labels (not the options of a select: a key each, whose data is a choice)."""
    return [k["text"] for k in keys(call) if not k["callback_data"].startswith(('gm:["sc"', "g~sc."))]


async def click(stack: Stack, user: str, posted: Call, label: str, *, edits: bool = True) -> tuple[Call, Call | None]:
    """`user` presses `label` on `posted`: the query's answer, and (with `edits`) the edit it
    leads to, which comes after the answer."""
    update = stack.fake.click(stack.user(user), posted, [k["text"] for k in keys(posted)].index(label))
    before = len(stack.fake.of("editMessageText"))
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    query = update["callback_query"]["id"]
    answered = (await stack.fake.wait_for(lambda c: c.method == "answerCallbackQuery"
                                          and c.data["callback_query_id"] == query))[0]
    if not edits:
        return answered, None
    done = await stack.fake.wait_for(lambda c: c.method == "editMessageText" and c.failed is None, count=before + 1)
    return answered, done[before]


async def test_page_buttons_edit_the_message_in_place(stack: Stack) -> None:
    first = await stack.say(WOLVES, "Ann", "/games -limit 2")
    total = int(title(first).removeprefix("Games (").removesuffix(")"))
    assert total >= 3 and labels(first) == ["Next ▶"]
    keys = [k for row in first.data["reply_markup"]["inline_keyboard"] for k in row]
    assert all(len(k["callback_data"].encode()) <= CALLBACK_DATA_MAX for k in keys)
    message, pages = first, [shown(first)]
    while "Next ▶" in labels(message):
        answered, edited = await click(stack, "Bob", message, "Next ▶")
        assert edited is not None and answered.data.get("show_alert") in (None, False)
        assert edited.result is not None and edited.result["message_id"] == first.result["message_id"]
        assert "◀ Previous" in labels(edited)
        pages.append(shown(edited))
        message = edited
    assert len(pages) == (total + 1) // 2 and labels(message) == ["◀ Previous"]  # -limit 2 kept throughout
    _, back = await click(stack, "Ann", message, "◀ Previous")
    assert back is not None and shown(back) == pages[-2]
    assert len(stack.fake.sent(WOLVES)) == 1  # one message in the group: every page was an edit


async def test_a_page_click_that_fails_is_an_alert_and_the_card_stays(stack: Stack) -> None:
    first = await stack.say(WOLVES, "Ann", "/games -limit 2")
    forged = Call(first.method, {**first.data, "reply_markup": {"inline_keyboard": [[
        {"text": "Next ▶", "callback_data": 'gm:["p","games","200",1,[2000000,2]]'}]]}}, first.token,
        result=first.result)
    answered, _ = await click(stack, "Bob", forged, "Next ▶", edits=False)
    assert answered.data["show_alert"] is True and "offset must be at most" in answered.data["text"]
    assert stack.fake.of("editMessageText") == [] and len(stack.fake.sent(WOLVES)) == 1


async def test_a_command_named_in_a_card_is_written_as_telegram_types_it(stack: Stack) -> None:
    """`{{ command('subscribe', games='4,5') }}` in the games card: Telegram's own command."""
    games = await stack.say(WOLVES, "Ann", "/games")
    assert "Subscribe with: /subscribe -games 4,5" in shown(games).splitlines()
    assert "gmbot subscribe" not in shown(games)


async def test_a_bad_value_of_an_option_with_suggestions_gets_a_did_you_mean(stack: Stack) -> None:
    """Telegram has no autocomplete: a value that does not fit gets the nearest suggestions."""
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    typo = await stack.say(WOLVES, "Ann", "/createwar -players @ann -game fortnite")
    assert "Did you mean\n-game 5: Fortnite (5)" in shown(typo), shown(typo)
