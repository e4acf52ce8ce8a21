"""The Telegram front end at the wire: the real aiogram client against a fake Bot API on
loopback, updates arriving at the real webhook endpoint (with its secret), and the real
backend on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web

from generated.application import application
from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.server.local import LocalBackend, local_backend
from gmbot.spec.model import BotSpec
from gmbot.telegram import CLIENT
from gmbot.telegram.api import make_bot
from gmbot.telegram.runtime import TelegramRuntime
from gmbot.telegram.webhook import webhook_app

from .fake_telegram import Call, FakeTelegram

SECRET = "wolves-secret_token-1"
WOLVES, BEARS, LIONS = -1001001, -1002002, -1003003  # supergroups: one clan each


@pytest.fixture
async def live() -> AsyncIterator[LocalBackend]:
    async with local_backend(application, clients={CLIENT: "telegram", "DISCORD-BFF": "discord"}) as backend:
        yield backend


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    fake = await FakeTelegram().start()
    fake.group(WOLVES, "Wolves HQ")
    fake.group(BEARS, "Bears den")
    fake.group(LIONS, "Lions")
    fake.user("Ann", username="ann")
    fake.user("Bob", username="bob_b")
    fake.user("Bruno", username="bruno")
    fake.user("Carl", username="carl")
    fake.user("Nia", last_name="Ndiaye")  # no username: mentioned by picking her (text_mention)
    for chat in (WOLVES, BEARS, LIONS):  # everyone is in every group, unless a test says otherwise
        fake.members[chat] = {u["id"] for u in fake.users.values()}
    yield fake
    await fake.stop()


def shown(call: Call) -> str:
    """A posted message as the reader sees it (word joiners are invisible)."""
    assert call.result is not None, call.failed
    return str(call.result["text"]).replace("\u2060", "")


def title(call: Call) -> str:
    return shown(call).split("\n", 1)[0]


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@dataclass
class Stack:
    live: LocalBackend
    fake: FakeTelegram
    runtime: TelegramRuntime
    webhook: str  # the bot's webhook URL

    def user(self, name: str) -> dict[str, Any]:
        return self.fake.users[name.lower()]

    async def say(self, chat: int, user: str, text: str, **kwargs: Any) -> Call:
        """`user` types `text` in `chat`; the bot's (first) answer there."""
        update = self.fake.message(self.fake.chats[chat], self.user(user), text, **kwargs)
        before = len(self.fake.sent(chat))
        assert await self.fake.deliver(update, url=self.webhook, secret=SECRET) == 200
        calls = await self.fake.wait_for(lambda c: c.method == "sendMessage" and c.failed is None
                                         and str(c.data["chat_id"]) == str(chat), count=before + 1)
        return calls[before]


@pytest.fixture
async def stack(spec: BotSpec, live: LocalBackend, fake: FakeTelegram) -> AsyncIterator[Stack]:
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    bot = make_bot(fake.token, fake.url)
    runtime = TelegramRuntime(spec, backend, bot)
    runner, url = await serve(webhook_app(runtime, SECRET))
    yield Stack(live, fake, runtime, url + "/telegram/webhook")
    await runner.cleanup()
    for task in list(runtime.tasks):
        task.cancel()
    await bot.session.close()
    await backend.aclose()
