"""Many workspaces: Bolt's OAuth flow with its SQLAlchemy installation store.

A public Slack app is installed by each workspace through OAuth v2; Bolt's flow serves
`/slack/install` and `/slack/oauth_redirect`, and its installation store keeps each
workspace's bot token. Here that store lives in SQLAlchemy tables (`slack_bots`,
`slack_installations`, `slack_oauth_states`, and seen.py's `slack_seen_events`) on the
project's database (SQLite or PostgreSQL, async drivers). These tables are the Slack
bot's own: the bot creates them when it starts (idempotent), outside the backend's
Alembic migrations, and the backend never reads them.

Bolt looks a request's workspace up in the store and calls `auth.test` with its token
before any listener runs, on every request. Both answers are cached here per workspace
(`CACHE_SECONDS`), and so are the bot tokens the event cards are posted with; the
cache of a workspace is dropped whenever its installation is saved or deleted
(`tokens_revoked`, `app_uninstalled`: app.py turns Bolt's handlers of them on), so a
revoked token is not used again by this process. Another replica learns it when its
cache expires.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gmbot.slack.cache import Expiring
from gmbot.slack.manifest import BOT_SCOPES
from gmbot.slack.seen import SeenEvents

STATE_SECONDS = 600
CACHE_SECONDS = 600.0
CACHE_SIZE = 10_000

Workspace = tuple[str | None, str | None]  # (enterprise id, team id)


class Workspaces:
    """What is cached per workspace: Bolt's authorization (store lookup + auth.test) and
    the bot token alone (event posts)."""

    def __init__(self, *, ttl: float = CACHE_SECONDS, size: int = CACHE_SIZE) -> None:
        self.authorized: Expiring[Workspace, AuthorizeResult] = Expiring(size=size, ttl=ttl)
        self.tokens: Expiring[str, str | None] = Expiring(size=size, ttl=ttl)

    def forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        self.authorized.forget(lambda key: key == (enterprise_id, team_id) or (team_id is not None and key[1] == team_id))
        if team_id is not None:
            self.tokens.forget(lambda key: key == team_id)


class InstallationStore(AsyncSQLAlchemyInstallationStore):
    """Bolt's SQLAlchemy store that drops a workspace's cache whenever its rows change."""

    def __init__(self, workspaces: Workspaces, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspaces = workspaces

    async def async_save(self, installation: Installation) -> None:
        await super().async_save(installation)
        self.workspaces.forget(installation.enterprise_id, installation.team_id)

    async def async_save_bot(self, bot: Bot) -> None:
        await super().async_save_bot(bot)
        self.workspaces.forget(bot.enterprise_id, bot.team_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await super().async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.workspaces.forget(enterprise_id, team_id)

    async def async_delete_installation(self, *, enterprise_id: str | None, team_id: str | None,
                                        user_id: str | None = None) -> None:
        await super().async_delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        self.workspaces.forget(enterprise_id, team_id)


class CachedAuthorize(AsyncInstallationStoreAuthorize):
    """Bolt's authorization from the installation store, remembered per workspace. Bot
    tokens only (`bot_only`): the result does not depend on who sent the request."""

    def __init__(self, workspaces: Workspaces, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workspaces = workspaces

    async def __call__(self, *, context: Any, enterprise_id: str | None, team_id: str | None,
                       user_id: str | None, **kwargs: Any) -> AuthorizeResult | None:
        key = (enterprise_id, team_id)
        found, result = self.workspaces.authorized.get(key)
        if found and result is not None:
            return result
        result = await super().__call__(context=context, enterprise_id=enterprise_id, team_id=team_id,
                                        user_id=user_id, **kwargs)
        if result is not None:  # not installed (yet): asked again next time, so an install shows at once
            self.workspaces.authorized.put(key, result)
        return result


@dataclass
class Installs:
    """The stores of a multi-workspace app, on one engine."""

    engine: AsyncEngine
    installations: InstallationStore
    states: AsyncSQLAlchemyOAuthStateStore
    seen: SeenEvents
    workspaces: Workspaces

    async def bot_token(self, team_id: str) -> str | None:
        """The bot token of workspace `team_id`, or None when the app is not installed there."""
        found, token = self.workspaces.tokens.get(team_id)
        if found:
            return token
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        token = bot.bot_token if bot is not None else None
        self.workspaces.tokens.put(team_id, token)
        return token

    async def aclose(self) -> None:
        await self.engine.dispose()


async def open_installs(database_url: str, client_id: str, *, cache_seconds: float = CACHE_SECONDS) -> Installs:
    engine = create_async_engine(database_url, pool_pre_ping=True)
    workspaces = Workspaces(ttl=cache_seconds)
    installations = InstallationStore(workspaces, client_id=client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    seen = SeenEvents(engine)
    await installations.create_tables()
    await states.create_tables()
    await seen.create_tables()
    return Installs(engine, installations, states, seen, workspaces)


def oauth_settings(installs: Installs, client_id: str, client_secret: str,
                   redirect_uri: str | None = None, scopes: Sequence[str] = BOT_SCOPES) -> AsyncOAuthSettings:
    logger = logging.getLogger("gmbot.slack.bolt")
    settings = AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=list(scopes), redirect_uri=redirect_uri,
        installation_store=installs.installations, installation_store_bot_only=True, state_store=installs.states,
        logger=logger,
    )
    settings.authorize = CachedAuthorize(
        installs.workspaces, logger=logger, client_id=client_id, client_secret=client_secret,
        installation_store=installs.installations, bot_only=True,
    )
    return settings
