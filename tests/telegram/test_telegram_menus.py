"""Context menus on Telegram (spec `menus:`): Telegram has no menu on a member or a message, so
a command with a menu entry sent in reply to someone's message takes them as the entry's
target, unless the option is typed. Gmbot's `/clanof` in reply to Bob: Bob's clan profile.
aiogram against the fake Bot API, the real backend behind."""

from __future__ import annotations

from .conftest import WOLVES, Stack, shown


async def test_a_command_in_reply_to_a_message_takes_its_author(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    said = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Bob"), "gg")["message"]
    answer = await stack.say(WOLVES, "Ann", "/clanof", reply_to=said)
    assert "Wolves has no war result yet" in shown(answer), shown(answer)  # Bob's clan: this group's

    # without a reply there is nobody to take: the option is missing, as typed
    missing = await stack.say(WOLVES, "Ann", "/clanof")
    assert "missing required option -member" in shown(missing), shown(missing)


async def test_a_typed_option_wins_over_the_reply(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    said = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Bob"), "gg")["message"]
    # a username nobody in the group has used: the typed one is looked up (and not found), not Bob
    typed = await stack.say(WOLVES, "Ann", "/clanof -member @nobody_here", reply_to=said)
    assert "@nobody_here" in shown(typed) and "no war result" not in shown(typed), shown(typed)
