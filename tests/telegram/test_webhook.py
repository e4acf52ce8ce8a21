"""The webhook endpoint: only Telegram (who knows the secret token) gets an update handled."""

from __future__ import annotations

import aiohttp

from .conftest import SECRET, WOLVES, Stack, title


async def test_a_missing_or_wrong_secret_is_refused_and_nothing_is_handled(stack: Stack) -> None:
    update = stack.fake.message(stack.fake.chats[WOLVES], stack.user("Ann"), "/setup -name Wolves")
    assert await stack.fake.deliver(update, url=stack.webhook, secret="") == 401  # no header at all
    assert await stack.fake.deliver(update, url=stack.webhook, secret="not-the-secret") == 403
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET[:-1]) == 403
    # nothing reached Telegram or the backend: the same update, now signed, is handled (not a repeat)
    assert stack.fake.calls == []
    assert await stack.fake.deliver(update, url=stack.webhook, secret=SECRET) == 200
    welcome = (await stack.fake.wait_for(lambda c: c.method == "sendMessage"))[0]
    assert title(welcome) == "Welcome, Wolves!"


async def test_a_body_that_is_no_update_is_a_400(stack: Stack) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        for body, kind in ((b"{not json", "application/json"), (b"[1, 2]", "application/json"),
                           (b'{"update_id": "many"}', "application/json"), (b"\xff\xfe", "application/json")):
            async with http.post(stack.webhook, data=body, headers={**headers, "Content-Type": kind}) as reply:
                assert reply.status == 400, body
                assert "not a Telegram update" in (await reply.json())["error"]
        async with http.get(stack.webhook, headers=headers) as reply:
            assert reply.status == 405
    assert stack.fake.calls == []
