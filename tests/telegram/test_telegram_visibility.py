"""Visibility at the wire on Telegram (spec `private: true` on a reply card): the reply goes to
the author's private chat with the bot; when they never started one (Telegram refuses a bot
writing first), it is answered in the group instead."""

from __future__ import annotations

from .conftest import SECRET, WOLVES, Stack, title


async def test_a_private_reply_goes_to_the_authors_private_chat(stack: Stack) -> None:
    await stack.say(WOLVES, "Ann", "/setup -name Wolves")
    ann = stack.user("Ann")
    stack.fake.private(ann)  # Ann once started a chat with the bot
    update = stack.fake.message(stack.fake.chats[WOLVES], ann, "/available")
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    [sent] = await stack.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                       and str(c.data["chat_id"]) == str(ann["id"]))
    assert title(sent).endswith("is now available for wars")
    assert [title(c) for c in stack.fake.sent(WOLVES)] == ["Welcome, Wolves!"]  # nothing in the group


async def test_without_a_private_chat_the_group_gets_it(stack: Stack) -> None:
    await stack.say(WOLVES, "Bob", "/setup -name Wolves")
    answer = await stack.say(WOLVES, "Bob", "/unavailable")  # Bob never started a private chat
    assert title(answer).endswith("is now unavailable for wars")
    refused = [c for c in stack.fake.of("sendMessage") if c.failed and c.failed.startswith("403")]
    assert refused and str(refused[0].data["chat_id"]) == str(stack.user("Bob")["id"])
