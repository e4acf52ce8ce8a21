"""What gmbot relies on inside py-cord, slack-sdk and Connexion, beyond their documented APIs.

Each such use goes through one adapter module (gmbot/discord/pycord_internals.py,
gmbot/slack/sdk_internals.py, gmbot/server/connexion_internals.py); these tests pin the
behaviour each one relies on, with the real libraries, so that an upgrade that changes it
fails here, by name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, ClassVar

import connexion
import discord
import httpx
import pytest
from connexion import context as connexion_context
from connexion.apps.asynchronous import AsyncApi
from connexion.decorators.parameter import sanitized
from connexion.resolver import Resolver
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.web.async_client import AsyncWebClient

from gmbot.discord.api import DEFAULT_API_BASE_URL
from gmbot.discord.lifecycle import reopen
from gmbot.discord.pycord_internals import set_api_base_url
from gmbot.server.connexion_internals import (
    api_key_handler,
    empty_query_arguments,
    operation_function,
    use_api_class,
)
from gmbot.server.validation import PARSED_BODY, VALIDATORS
from gmbot.slack.sdk_internals import connect_socket, socket_up
from tests.discord.fake_discord import FakeDiscord
from tests.slack.fake_slack import FakeSlack


# -- py-cord ----------------------------------------------------------------------------------
@pytest.fixture
def api_base() -> Iterator[None]:
    yield
    set_api_base_url(DEFAULT_API_BASE_URL)  # process-wide: leave it as found


@pytest.mark.usefixtures("api_base")
def test_pycord_builds_every_rest_url_from_one_base() -> None:
    from discord.webhook import async_ as webhooks

    set_api_base_url("http://127.0.0.1:9/api/v10")
    assert discord.http.Route("GET", "/users/@me").url == "http://127.0.0.1:9/api/v10/users/@me"
    # interaction callbacks and follow-ups go through the webhook adapter: the same Route
    assert webhooks.Route is discord.http.Route


@pytest.mark.usefixtures("api_base")
async def test_a_closed_sharded_client_connects_again_once_its_close_signal_is_dropped() -> None:
    async def no_gateway() -> None:  # connect() minus the gateway: only its event queue is left
        return None

    async with FakeDiscord() as fake:
        set_api_base_url(fake.api_url)
        bot = discord.AutoShardedClient(shard_count=1, intents=discord.Intents.none())
        bot.launch_shards = no_gateway  # type: ignore[method-assign]
        async with bot:
            await bot.login(fake.token)
            await bot.close()
            bot.clear()
            # what drop_close_signal is for: close() left a signal that ends the next connect() at once
            await asyncio.wait_for(bot.connect(), 5)

            await reopen(bot)  # closes, drops the signal, clears
            await bot.login(fake.token)
            connecting = asyncio.create_task(bot.connect())
            for _ in range(5):
                await asyncio.sleep(0)  # let it reach its queue
            assert not connecting.done()  # it waits for the gateway's events, as after a first start
            await bot.close()  # and ends on the close signal of this close
            await asyncio.wait_for(connecting, 5)


# -- slack-sdk --------------------------------------------------------------------------------
async def test_slack_sdk_connects_to_the_socket_url_it_is_given() -> None:
    fake = await FakeSlack().start()
    client = SocketModeClient(app_token="xapp-test", web_client=AsyncWebClient(base_url=fake.api_url))
    try:
        assert not socket_up(client)
        await connect_socket(client, fake.url.replace("http://", "ws://") + "/socket")
        assert socket_up(client)
        assert len(fake.sockets) == 1 and not fake.of("apps.connections.open")  # it did not ask for another
    finally:
        await client.close()
        await fake.stop()
    assert not socket_up(client)


# -- Connexion --------------------------------------------------------------------------------
API = {
    "openapi": "3.0.3",
    "info": {"title": "pins", "version": "1"},
    "paths": {"/things": {"post": {
        "operationId": "make",
        "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 5}}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
        "security": [{"apiKey": []}],
        "responses": {"200": {"description": "made"}},
    }}},
    "components": {"securitySchemes": {"apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
}


async def make(body: dict[str, Any], limit: int = 0, **kwargs: Any) -> tuple[dict[str, Any], int]:
    return {"body": body, "limit": limit, "parsed": connexion_context.scope.get(PARSED_BODY),
            "client": connexion_context.context.get("token_info", {}).get("client")}, 200


class Recording(AsyncApi):
    made: ClassVar[list[tuple[str, Any]]] = []  # what make_operation saw

    def make_operation(self, operation: Any) -> Any:
        routed = super().make_operation(operation)
        Recording.made.append((operation.operation_id, operation_function(routed)))
        defaults = empty_query_arguments(operation, sanitized)
        Recording.made.append(("defaults", defaults))
        return routed


def pins_app(checked: list[dict[str, Any]]) -> connexion.AsyncApp:
    async def check(apikey: str, required_scopes: Any = None, request: Any = None) -> dict[str, Any] | None:
        checked.append({"key": apikey, "scopes": required_scopes, "request": request is not None})
        return {"sub": "pins", "client": "pins"} if apikey == "good" else None

    app = connexion.AsyncApp(__name__, security_map={"apiKey": api_key_handler(check)}, validator_map=VALIDATORS)
    use_api_class(app, Recording)
    app.add_api(API, resolver=Resolver(function_resolver=lambda operation_id: make))
    return app


async def test_connexion_hooks_gmbot_relies_on() -> None:
    Recording.made.clear()
    checked: list[dict[str, Any]] = []
    app = pins_app(checked)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://pins") as client:
        refused = await client.post("/things", json={"a": 1}, headers={"X-API-Key": "bad"})
        answered = await client.post("/things", json={"a": 1}, headers={"X-API-Key": "good"})
    # use_api_class: the app made its operations with our API class; operation_function is the handler
    assert ("make", make) in Recording.made
    # empty_query_arguments: what Connexion passes for an empty query string
    assert ("defaults", {"limit": 5}) in Recording.made
    # api_key_handler: our check, called with the key, the scopes and the request
    assert refused.status_code == 401
    assert answered.status_code == 200, answered.text
    assert checked == [{"key": "bad", "scopes": [], "request": True}, {"key": "good", "scopes": [], "request": True}]
    # validation.py's `_parse` override ran: the body it parsed is in the scope for the shortcut
    assert answered.json() == {"body": {"a": 1}, "limit": 5, "parsed": {"a": 1}, "client": "pins"}
