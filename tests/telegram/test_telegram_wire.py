"""Telegram's updates into the running Telegram front end: commands in groups (also
`/cmd@GmBot`), @username and text mentions, usage errors; the cards come back through the
fake Bot API as HTML messages Telegram accepts."""

from __future__ import annotations

from .conftest import BEARS, SECRET, WOLVES, Stack, shown, title
from .fake_telegram import Rate


async def test_setup_in_a_group_and_with_the_bot_named(stack: Stack) -> None:
    welcome = await stack.say(WOLVES, "Ann", "/setup -name Wolves -location Europe")
    assert title(welcome) == "Welcome, Wolves!"
    assert welcome.data["parse_mode"] == "HTML" and welcome.data["reply_parameters"]["message_id"]
    assert welcome.data["link_preview_options"] == {"is_disabled": True}
    status = await stack.say(WOLVES, "Ann", "/status@GmBot")
    assert title(status) == "Clan status" and status.data["reply_parameters"]["message_id"] != welcome.data["reply_parameters"]["message_id"]


async def test_a_command_for_another_bot_or_unknown_in_a_group_is_not_ours(stack: Stack) -> None:
    other = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), "/status@OtherBot")
    unknown = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), "/roll 2d6")
    for update in (other, unknown):
        assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    # a command for us afterwards is answered first: the two before were dropped, not queued
    games = await stack.say(WOLVES, "Ann", "/games")
    assert title(games).startswith("Games") and len(stack.fake.sent(WOLVES)) == 1
    # addressed to us, an unknown command gets its usage card
    typo = await stack.say(WOLVES, "Ann", "/createwr@GmBot -game 4")
    assert title(typo) == "Unknown command" and "/createwar" in shown(typo)


async def test_mentions_by_username_and_picked_from_the_list(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    await stack.say(WOLVES, "Bob", "/games")  # the bot has now seen @bob_b here
    nia = stack.user("Nia")
    created = await stack.say(WOLVES, "Ann", "/createwar -players @ann @bob_b Nia Ndiaye -game 4",
                              picked={"Nia Ndiaye": nia})
    assert title(created).startswith("War request"), shown(created)
    assert "Ann" in shown(created) and "Bob" in shown(created) and "Nia Ndiaye" in shown(created)


async def test_a_picked_member_must_be_in_the_group(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    nia = stack.user("Nia")
    stack.fake.members[WOLVES].discard(nia["id"])  # she left the group
    gone = await stack.say(WOLVES, "Ann", "/createwar -players Nia Ndiaye -game 4", picked={"Nia Ndiaye": nia})
    assert "is not a member of this server" in shown(gone), shown(gone)
    stack.fake.fail("getChatMember", WOLVES, Rate(retry_after=7))
    busy = await stack.say(WOLVES, "Ann", "/createwar -players Nia Ndiaye -game 4", picked={"Nia Ndiaye": nia})
    assert title(busy) == "Telegram is busy" and "try again in 7 s" in shown(busy)
    assert [c.failed for c in stack.fake.of("getChatMember")] == [None, "429"]


async def test_an_unknown_username_gets_a_usage_card_that_says_what_to_do(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    unknown = await stack.say(WOLVES, "Ann", "/createwar -players @carl -game 4")
    assert "@carl is not a member" in shown(unknown) and "send /help here once" in shown(unknown)
    stack.fake.admins[BEARS] = [stack.user("Carl")]  # a group's administrators are found without speaking
    await stack.say(BEARS, "Bruno", "/setup -name Bears")
    known = await stack.say(BEARS, "Bruno", "/createwar -players @carl -game 4")
    assert title(known).startswith("War request") and "Carl" in shown(known)
    assert [c.data["chat_id"] for c in stack.fake.of("getChatAdministrators")] == [str(WOLVES), str(BEARS)]


async def test_usage_errors_and_help_say_how_commands_are_typed_on_telegram(stack: Stack) -> None:
    usage = await stack.say(WOLVES, "Ann", "/createwar -game many")
    assert "Usage" in shown(usage) and "/createwar -players" in shown(usage)
    assert "gmbot createwar" not in shown(usage)
    helped = await stack.say(WOLVES, "Ann", "/help createwar")
    assert title(helped) == "/createwar" and "gmbot" not in title(helped)
    overview = await stack.say(BEARS, "Bruno", "/help")
    assert "createwar" in shown(overview)


async def test_the_prefix_runs_any_command_as_on_slack(stack: Stack) -> None:
    welcome = await stack.say(WOLVES, "Ann", "/gmbot setup -name Wolves")
    assert title(welcome) == "Welcome, Wolves!"


async def test_a_private_chat_has_no_clan(stack: Stack) -> None:
    ann = stack.user("Ann")
    chat = stack.fake.private(ann)
    answer = await stack.say(chat["id"], "Ann", "/status")
    assert "works only in a server" in shown(answer)
    started = await stack.say(chat["id"], "Ann", "/start")
    assert "createwar" in shown(started)


async def test_a_retried_update_is_handled_once(stack: Stack) -> None:
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), "/setup -name Wolves")
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    await stack.fake.wait_for(lambda c: c.method == "sendMessage")
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200  # Telegram re-sends it
    games = await stack.say(WOLVES, "Ann", "/games")
    assert [title(c) for c in stack.fake.sent(WOLVES)] == ["Welcome, Wolves!", title(games)]
