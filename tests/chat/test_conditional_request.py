"""`{$if: $option, then: value}`: a request key sent only when an optional option was given."""

from __future__ import annotations

import httpx
import pytest

from gmbot.chat.core import Core
from gmbot.chat.markup import plain
from gmbot.chat.request import resolve
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend

from .test_core import INV

CLAN = {"serverId": "1", "platform": "discord", "name": "Wolves", "location": "Europe", "language": "en",
        "channel": {"id": "77", "name": "wars"}, "createdAt": "2026-01-01T00:00:00Z"}


@pytest.mark.parametrize(("scope", "sent"), [
    ({"here": True, "channel": {"id": "7"}}, {"a": 1, "channel": {"id": "7"}}),
    ({"here": None, "channel": {"id": "7"}}, {"a": 1}),  # not given, no default
    ({"here": False, "channel": {"id": "7"}}, {"a": 1}),  # `-here no`
    ({"here": "x", "channel": None}, {"a": 1}),  # `then` resolving to nothing drops the key too
])
def test_resolve_conditional(scope: dict[str, object], sent: dict[str, object]) -> None:
    assert resolve({"a": 1, "channel": {"$if": "$here", "then": "$channel"}}, scope) == sent


async def test_update_here_moves_the_notification_channel(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(200, json=CLAN)
    core = Core(spec, fake.client(), "discord")
    outcome = await core.run_prefix("update", "-here", INV)
    assert (fake.requests[0].method, fake.requests[0].url.path) == ("PATCH", "/clans/1")
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "channel": {"id": "77", "name": "wars"}}
    assert {f.name: plain(f.value) for f in outcome.card.fields}["Notifications"] == "#wars"
    await core.run_prefix("update", "-location Asia", INV)
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "location": "Asia"}
    await core.run_prefix("update", "-here no -language es", INV)
    assert fake.body() == {"actor": {"id": "11", "name": "alice"}, "language": "es"}
    await core.run("update", {"name": None, "location": None, "language": None, "here": True}, INV)  # slash
    assert fake.body()["channel"] == {"id": "77", "name": "wars"}
