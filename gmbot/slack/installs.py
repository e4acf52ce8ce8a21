"""Many workspaces: Bolt's OAuth flow with its SQLAlchemy installation store.

A public Slack app is installed by each workspace through OAuth v2; Bolt's flow serves
`/slack/install` and `/slack/oauth_redirect`, and its installation store keeps each
workspace's bot token. Here that store lives in SQLAlchemy tables (`slack_bots`,
`slack_installations`, `slack_oauth_states`) on the project's database (SQLite or
PostgreSQL, async drivers). These tables are the Slack bot's own: the bot creates them
when it starts (Bolt's `create_tables`, idempotent), outside the backend's Alembic
migrations, and the backend never reads them.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from gmbot.slack.manifest import BOT_SCOPES

STATE_SECONDS = 600


@dataclass
class Installs:
    """The stores of a multi-workspace app, on one engine."""

    engine: AsyncEngine
    installations: AsyncSQLAlchemyInstallationStore
    states: AsyncSQLAlchemyOAuthStateStore

    async def bot_token(self, team_id: str) -> str | None:
        """The bot token of workspace `team_id`, or None when the app is not installed there."""
        bot = await self.installations.async_find_bot(enterprise_id=None, team_id=team_id)
        return bot.bot_token if bot is not None else None

    async def aclose(self) -> None:
        await self.engine.dispose()


async def open_installs(database_url: str, client_id: str) -> Installs:
    engine = create_async_engine(database_url, pool_pre_ping=True)
    installations = AsyncSQLAlchemyInstallationStore(client_id=client_id, engine=engine)
    states = AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine)
    await installations.create_tables()
    await states.create_tables()
    return Installs(engine, installations, states)


def oauth_settings(installs: Installs, client_id: str, client_secret: str,
                   redirect_uri: str | None = None) -> AsyncOAuthSettings:
    return AsyncOAuthSettings(
        client_id=client_id, client_secret=client_secret, scopes=list(BOT_SCOPES), redirect_uri=redirect_uri,
        installation_store=installs.installations, installation_store_bot_only=True, state_store=installs.states,
    )
