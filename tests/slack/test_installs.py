"""Many workspaces: Bolt's OAuth flow end to end (install page, redirect, oauth.v2.access on
the fake Slack) into the SQLAlchemy installation store, on SQLite and, when
TEST_DATABASE_URL is set, PostgreSQL; then each workspace's requests run with its own token."""

from __future__ import annotations

import asyncio
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import MetaData, event

from generated.chat.routes import ROUTES
from gmbot.chat.backend import BackendClient
from gmbot.server.local import LocalBackend
from gmbot.slack.app import build_app, web_app
from gmbot.slack.installs import Installs, oauth_settings, open_installs
from gmbot.slack.runtime import CLIENT, SlackRuntime
from gmbot.slack.seen import metadata as seen_metadata
from gmbot.spec.model import BotSpec

from .conftest import SECRET, SlackWire, serve
from .fake_slack import FakeSlack
from .test_wire import header

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
        for metadata in (opened.installations.metadata, opened.states.metadata, seen_metadata):
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


# -- an installed workspace: acknowledged first, authorized from a cache, revocations honoured ----------
@dataclass
class Installed:
    wire: SlackWire
    fake: FakeSlack
    installs: Installs
    team: str
    token: str


async def install(http: aiohttp.ClientSession, url: str, fake: FakeSlack, team: str) -> str:
    """Install the app into `team` through the OAuth flow, as a browser would; its bot token."""
    token = f"xoxb-team-{team}"
    code = f"code-{team}"
    fake.oauth_grants[code] = {
        "ok": True, "app_id": "AGMBOT", "access_token": token, "token_type": "bot",
        "scope": "commands,chat:write", "bot_user_id": "UGMBOT", "team": {"id": team, "name": "Bears"},
        "enterprise": None, "is_enterprise_install": False, "authed_user": {"id": "UBRUNO"},
    }
    async with http.get(f"{url}/slack/install") as page:
        state = re.search(r"state=([\w-]+)", await page.text())
        cookie = page.headers["Set-Cookie"].split(";")[0]
    assert state is not None
    async with http.get(f"{url}/slack/oauth_redirect", params={"code": code, "state": state.group(1)},
                        headers={"Cookie": cookie}) as done:
        assert done.status == 200, await done.text()
    return token


@pytest.fixture
async def installed(spec: BotSpec, live: LocalBackend, fake: FakeSlack, installs: Installs) -> AsyncIterator[Installed]:
    backend = BackendClient(live.url, live.keys[CLIENT], CLIENT, routes=ROUTES)
    runtime = SlackRuntime(spec, backend, seen=installs.seen)
    app = build_app(runtime, signing_secret=SECRET, api_url=fake.api_url,
                    oauth=oauth_settings(installs, CLIENT_ID, CLIENT_SECRET))
    runner, url = await serve(web_app(app))
    team = "T" + uuid.uuid4().hex[:8].upper()
    fake.add_user("UBRUNO", "bruno", team)
    try:
        async with aiohttp.ClientSession() as http:
            token = await install(http, url, fake, team)
            yield Installed(SlackWire(url, fake, http), fake, installs, team, token)
    finally:
        await runner.cleanup()
        await runtime.aclose()
        await backend.aclose()


def store_queries(installs: Installs) -> list[str]:
    """The SQL the installation store runs from now on (Bolt's lookups of a workspace)."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "slack_bots" in statement or "slack_installations" in statement:
            seen.append(statement)

    event.listen(installs.engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_requests_are_acknowledged_before_authorization_which_is_cached(installed: Installed) -> None:
    fake, bruno, bears = installed.fake, ("UBRUNO", "bruno"), (installed.team, "bears")
    queries = store_queries(installed.installs)
    checks = len(fake.of("auth.test"))  # the install asked once already
    fake.hold("auth.test")  # Slack slow to answer the token check
    reply, url = await asyncio.wait_for(installed.wire.slash("setup -name Bears", user=bruno, team=bears), 5)
    assert reply.status == 200 and reply.text == ""  # acknowledged while auth.test is still pending
    await fake.wait_in_flight("auth.test", 1)
    fake.unhold("auth.test")
    assert header(await fake.response(url)) == "Welcome, Bears!"
    looked_up = len(queries)
    assert looked_up >= 1 and [c.token for c in fake.of("auth.test")[checks:]] == [installed.token]
    for text in ("games", "status"):
        reply, url = await installed.wire.slash(text, user=bruno, team=bears)
        await fake.response(url)
    assert len(fake.of("auth.test")) == checks + 1 and len(queries) == looked_up  # from the cache
    assert await installed.installs.bot_token(installed.team) == installed.token
    assert len(queries) == looked_up + 1  # the event poster's token: looked up once, then cached
    assert await installed.installs.bot_token(installed.team) == installed.token
    assert len(queries) == looked_up + 1


@pytest.mark.parametrize("gone", [
    {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UGMBOT"]}},
    {"type": "app_uninstalled"},
])
async def test_a_revoked_or_uninstalled_workspace_is_forgotten(installed: Installed, gone: dict[str, Any]) -> None:
    fake, bruno, bears = installed.fake, ("UBRUNO", "bruno"), (installed.team, "bears")
    reply, url = await installed.wire.slash("setup -name Bears", user=bruno, team=bears)
    assert header(await fake.response(url)) == "Welcome, Bears!"
    assert await installed.installs.bot_token(installed.team) == installed.token  # cached for the event poster
    fake.refused_tokens.add(installed.token)  # from now on Slack refuses it
    changed = watch_store(installed.installs)
    reply = await installed.wire.event(gone, event_id=f"Ev{gone['type']}", team=installed.team)
    assert reply.status == 200
    await asyncio.wait_for(changed.wait(), 5)  # Bolt deletes it after the acknowledgement
    assert await installed.installs.installations.async_find_bot(enterprise_id=None, team_id=installed.team) is None
    assert await installed.installs.bot_token(installed.team) is None  # no event card tries the dead token
    checks = len(fake.of("auth.test"))
    reply, url = await installed.wire.slash("games", user=bruno, team=bears)
    assert reply.status == 200 and "reinstall" in (await fake.response(url))["text"]
    assert len(fake.of("auth.test")) == checks  # the dead token is not tried again


def watch_store(installs: Installs) -> asyncio.Event:
    """Set when the installation store next changes a workspace (it drops its cache then)."""
    changed = asyncio.Event()
    forget = installs.workspaces.forget

    def forgotten(enterprise_id: str | None, team_id: str | None) -> None:
        forget(enterprise_id, team_id)
        changed.set()

    installs.workspaces.forget = forgotten  # type: ignore[method-assign]
    return changed
