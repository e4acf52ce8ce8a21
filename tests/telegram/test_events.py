"""Event cards to Telegram groups, and the buttons on them: the real events consumer and
`sendMessage` poster, the real backend's feed and scheduler, the fake Bot API.

Bears ask for a war; Wolves and Lions are subscribed, so each request is one event per
group. A 429 on one group holds up only that group, and its card follows after
`retry_after`; a group that removed the bot (403) is skipped and logged; the cursor moves
past every event done. When a war ends, its vote buttons work, also for a bot that was
restarted in between (nothing of the first one's memory), and every click is answered.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.chat.backoff import Backoff
from gmbot.chat.events import CursorStore, EventConsumer
from gmbot.telegram import CLIENT
from gmbot.telegram.api import make_bot
from gmbot.telegram.buttons import CALLBACK_DATA_MAX
from gmbot.telegram.delivery import event_poster
from gmbot.telegram.lifecycle import TelegramService
from gmbot.telegram.runtime import TelegramRuntime
from gmbot.telegram.webhook import webhook_app

from .conftest import BEARS, LIONS, SECRET, WOLVES, Stack, serve, shown, title
from .fake_telegram import Call, Forbidden, Rate


def consumer(stack: Stack, tmp: Path, service: TelegramService | None = None) -> EventConsumer:
    deliver = event_poster(stack.runtime.bot)  # as `gmbot telegram` builds it
    return EventConsumer(stack.runtime.core, stack.runtime.backend, CursorStore(tmp / "cursor"),
                         service.deliver(deliver) if service else deliver, wait=0, backoff=Backoff(initial=0.05))


async def clans(stack: Stack) -> None:
    """Wolves and Lions subscribed to game 4; Bears, with Bruno and Carl, host."""
    for chat, user, name in ((WOLVES, "Ann", "Wolves"), (LIONS, "Carl", "Lions"), (BEARS, "Bruno", "Bears")):
        assert title(await stack.say(chat, user, f"/setup -name {name}")) == f"Welcome, {name}!"
    for chat, user in ((WOLVES, "Ann"), (LIONS, "Carl")):
        await stack.say(chat, user, "/subscribe -games 4")


async def war_request(stack: Stack) -> str:
    created = await stack.say(BEARS, "Bruno", "/createwar -players @bruno -game 4 -duration 12")
    assert title(created).startswith("War request"), shown(created)
    return title(created).split()[2]


def event_posts(stack: Stack, chat: int) -> list[Call]:
    return [c for c in stack.fake.of("sendMessage") if str(c.data["chat_id"]) == str(chat)
            and "reply_parameters" not in c.data]  # events are not replies


async def test_a_rate_limited_group_waits_and_a_group_without_the_bot_is_skipped(
    stack: Stack, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    await clans(stack)
    service = TelegramService()  # its health and metrics count the failures
    feed = consumer(stack, tmp_path, service)
    stack.fake.fail("sendMessage", WOLVES, Rate(retry_after=1))
    stack.fake.fail("sendMessage", LIONS, Forbidden())
    await war_request(stack)
    with caplog.at_level(logging.WARNING, "gmbot.chat.events"):
        assert await feed.poll(wait=0) == 1 and feed.skipped == 1
    wolves, lions = event_posts(stack, WOLVES), event_posts(stack, LIONS)
    assert [c.failed for c in wolves] == ["429", None] and [c.failed for c in lions] == ["403"]  # not retried
    limited, posted = wolves
    assert posted.at - limited.at >= 0.9  # Telegram's retry_after, honoured
    assert title(posted) == "NEW WAR REQUEST" and "Bears" in shown(posted)
    skipped = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and "bot was kicked" in skipped[0], skipped
    assert int((tmp_path / "cursor").read_text()) >= feed._saved > 0  # both done: a restart repeats neither
    assert service.health.events["failed"] == 2 and service.health.events["posted"] == 1

    await war_request(stack)  # the group that removed the bot is tried again for a new event
    assert await feed.poll(wait=0) == 2


async def test_vote_buttons_work_after_a_restart_and_every_click_is_answered(
    stack: Stack, tmp_path: Path, spec: object,
) -> None:
    from backend_impl import db, scheduler
    from backend_impl.db import utcnow

    await clans(stack)
    feed = consumer(stack, tmp_path)
    war_id = await war_request(stack)
    accepted = await stack.say(WOLVES, "Ann", f"/accept -war {war_id} -players @ann")
    assert title(accepted) == f"War {war_id}: Bears vs Wolves", shown(accepted)
    assert war_id in await scheduler.end_due_wars(db.get(), utcnow() + timedelta(hours=13))
    while not [c for c in event_posts(stack, BEARS) if title(c) == "WHO WON?"]:
        await feed.poll(wait=0)
    [ended] = [c for c in event_posts(stack, BEARS) if title(c) == "WHO WON?"]
    keys = [k for row in ended.data["reply_markup"]["inline_keyboard"] for k in row]
    assert [k["text"] for k in keys] == ["We won", "We lost", "Draw"]
    assert [k.get("style") for k in keys] == ["success", "danger", None]
    assert all(len(k["callback_data"].encode()) <= CALLBACK_DATA_MAX for k in keys)

    # a new bot process: new client, runtime and webhook; nothing of the first one survives
    backend = BackendClient(stack.live.url, stack.live.keys[CLIENT], CLIENT, routes=ROUTES)
    bot = make_bot(stack.fake.token, stack.fake.url)
    restarted = TelegramRuntime(stack.runtime.spec, backend, bot)
    runner, url = await serve(webhook_app(restarted, SECRET))
    try:
        async def click(user: str, posted: Call, index: int = 0) -> Call:
            update = stack.fake.click(stack.user(user), posted, index)
            assert await stack.fake.deliver(update, url=url + "/telegram/webhook", secret=SECRET) == 200
            query = update["callback_query"]["id"]
            return (await stack.fake.wait_for(lambda c: c.method == "answerCallbackQuery"
                                              and c.data["callback_query_id"] == query))[0]

        answered = await click("Bruno", ended)
        vote = (await stack.fake.wait_for(lambda c: c.method == "sendMessage" and title(c).startswith("Vote")))[0]
        assert title(vote) == f"Vote recorded for war {war_id}"
        assert vote.data["reply_parameters"]["message_id"] == ended.result["message_id"]
        assert answered.data.get("show_alert") in (None, False)
        # Ann is not in the Bears: the backend refuses, and only she is told (an alert)
        refused = await click("Ann", ended, 1)
        assert refused.data["show_alert"] is True and refused.data["text"]
        # a keyboard the spec no longer has: answered too
        stale = stack.fake.click(stack.user("Bruno"), ended)
        stale["callback_query"]["data"] = 'gm:["e","war.gone","",0,["x"]]'
        assert await stack.fake.deliver(stale, url=url + "/telegram/webhook", secret=SECRET) == 200
        gone = (await stack.fake.wait_for(lambda c: c.method == "answerCallbackQuery"
                                          and c.data["callback_query_id"] == stale["callback_query"]["id"]))[0]
        assert gone.data["text"].startswith("This button no longer works") and gone.data["show_alert"] is True
    finally:
        await runner.cleanup()
        await bot.session.close()
        await backend.aclose()
    votes = [c for c in stack.fake.of("sendMessage") if title(c).startswith("Vote")]
    assert len(votes) == 1  # the refused and the stale click posted nothing in the group
