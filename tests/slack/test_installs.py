"""Many workspaces: Bolt's OAuth flow end to end (install page, redirect, oauth.v2.access on
the fake Slack) into the SQLAlchemy installation store, on SQLite and, when
TEST_DATABASE_URL is set, PostgreSQL; then each workspace's requests run with its own token."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import MetaData

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.server.local import LocalBackend
from gmbot.slack.app import build_app, web_app
from gmbot.slack.installs import Installs, oauth_settings, open_installs
from gmbot.slack.runtime import CLIENT, SlackRuntime
from gmbot.spec.model import BotSpec

from .conftest import SECRET, SlackWire, serve
from .fake_slack import FakeSlack

CLIENT_ID, CLIENT_SECRET = "1111.2222", "oauth-secret"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def installs(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Installs]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'installs.sqlite3'}"
    else:
        url = os.environ.get("TEST_DATABASE_URL", "")
        if not url:
            pytest.skip("needs TEST_DATABASE_URL (PostgreSQL)")
    opened = await open_installs(url, CLIENT_ID)
    yield opened
    async with opened.engine.begin() as connection:  # leave a shared database as found
        for metadata in (opened.installations.metadata, opened.states.metadata):
            assert isinstance(metadata, MetaData)
            await connection.run_sync(metadata.drop_all)
    await opened.aclose()


async def test_oauth_install_then_commands_run_with_that_workspaces_token(
    spec: BotSpec, live: LocalBackend, fake: FakeSlack, installs: Installs,
) -> None:
    team = "T" + uuid.uuid4().hex[:8].upper()
    token = f"xoxb-team-{team}"
    fake.oauth_grants["code-1"] = {
        "ok": True, "app_id": "AGMBOT", "access_token": token, "token_type": "bot",
        "scope": "commands,chat:write", "bot_user_id": "UGMBOT", "team": {"id": team, "name": "Bears"},
        "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "UBRUNO"},
    }
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    runtime = SlackRuntime(spec, backend)
    app = build_app(runtime, signing_secret=SECRET, api_url=fake.api_url,
                    oauth=oauth_settings(installs, CLIENT_ID, CLIENT_SECRET))
    runner, url = await serve(web_app(app))
    try:
        async with aiohttp.ClientSession() as http:
            # not installed yet: Bolt refuses before any listener runs (it only asks for a reinstall)
            wire = SlackWire(url, fake, http)
            refused, response_url = await wire.slash("setup -name Bears", user=("UBRUNO", "bruno"), team=(team, "bears"))
            assert refused.status == 200 and "reinstall" in (await fake.response(response_url))["text"]
            # the install page hands out a state (in a cookie too); Slack redirects back with a code
            async with http.get(f"{url}/slack/install") as page:
                assert page.status == 200
                state = re.search(r"state=([\w-]+)", await page.text())
                # the cookie is Secure (Slack's pages are https); a browser on http drops it: pass it by hand
                cookie = page.headers["Set-Cookie"].split(";")[0]
            assert state is not None and state.group(1) in cookie
            async with http.get(f"{url}/slack/oauth_redirect", params={"code": "code-1", "state": state.group(1)},
                                headers={"Cookie": cookie}) as done:
                assert done.status == 200, await done.text()
            assert [c.data.get("code") for c in fake.of("oauth.v2.access")] == ["code-1"]
            assert await installs.bot_token(team) == token
            # now the workspace's requests are authorized with its own token
            reply, response_url = await wire.slash("setup -name Bears", user=("UBRUNO", "bruno"), team=(team, "bears"))
            assert reply.status == 200
            welcome = await fake.response(response_url)  # the refused setup never reached the backend
            assert welcome["response_type"] == "in_channel" and welcome["text"] == "Welcome, Bears!"
            reply, response_url = await wire.slash("promote -members <@UCARL>", user=("UBRUNO", "bruno"), team=(team, "bears"))
            await fake.response(response_url)
            assert {c.token for c in fake.of("users.info")} == {token}
    finally:
        await runner.cleanup()
        await runtime.aclose()
        await backend.aclose()
