"""The database schema (SQLAlchemy 2 declarative). Changes go through an Alembic migration.

Ids from chat platforms are stored with the platform beside them (`clans.platform`),
so a Discord guild and a Slack workspace with the same id are different clans.
Times are naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # public part of the key
    client: Mapped[str] = mapped_column(String(64), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    secret_hash: Mapped[str] = mapped_column(String(64))  # sha256 hex of the secret part
    created_at: Mapped[datetime] = mapped_column(DateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    # refreshed at most every LAST_USED_PRECISION s per process (apikeys.verify)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)


class Clan(Base):
    __tablename__ = "clans"
    __table_args__ = (UniqueConstraint("platform", "server_id"), Index("ix_clans_glory", "glory"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(32))
    server_id: Mapped[str] = mapped_column(String(64))
    server_name: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(64))
    location: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    glory: Mapped[int] = mapped_column(Integer, default=0)
    played: Mapped[int] = mapped_column(Integer, default=0)
    won: Mapped[int] = mapped_column(Integer, default=0)
    lost: Mapped[int] = mapped_column(Integer, default=0)
    drawn: Mapped[int] = mapped_column(Integer, default=0)
    disputed: Mapped[int] = mapped_column(Integer, default=0)


class Member(Base):
    __tablename__ = "members"
    clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default="Member")  # Leader, Co-Leader, Member
    available: Mapped[bool] = mapped_column(Boolean, default=True)


class Game(Base):
    __tablename__ = "games"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64))
    min_players: Mapped[int] = mapped_column(Integer)
    max_players: Mapped[int] = mapped_column(Integer)


class Format(Base):
    __tablename__ = "formats"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Subscription(Base):
    __tablename__ = "subscriptions"
    clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"), primary_key=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id"), primary_key=True, index=True)


class War(Base):
    __tablename__ = "wars"
    __table_args__ = (
        Index("ix_wars_status_ends_at", "status", "ends_at"),
        Index("ix_wars_host_status", "host_clan_id", "status"),
        Index("ix_wars_host_status_created", "host_clan_id", "status", "created_at"),
        Index("ix_wars_opponent_status", "opponent_clan_id", "status"),
        Index("ix_wars_game_status", "game_id", "status"),
    )
    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    status: Mapped[str] = mapped_column(String(12))
    private: Mapped[bool] = mapped_column(Boolean, default=False)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id"))
    format_id: Mapped[str] = mapped_column(ForeignKey("formats.id"))
    duration: Mapped[float] = mapped_column(Float)  # hours, counted from acceptance
    host_clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"))
    opponent_clan_id: Mapped[int | None] = mapped_column(ForeignKey("clans.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    host_vote: Mapped[str | None] = mapped_column(String(8), nullable=True)
    opponent_vote: Mapped[str | None] = mapped_column(String(8), nullable=True)
    result: Mapped[str | None] = mapped_column(String(12), nullable=True)  # host, opponent, draw
    host_glory: Mapped[int] = mapped_column(Integer, default=0)
    opponent_glory: Mapped[int] = mapped_column(Integer, default=0)


class WarPlayer(Base):
    __tablename__ = "war_players"
    war_id: Mapped[str] = mapped_column(ForeignKey("wars.id"), primary_key=True)
    clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # the player's role when the war was joined
    position: Mapped[int] = mapped_column(Integer, default=0)


class Event(Base):
    """The outbox: written in the transaction of the change; ids follow commit order."""

    __tablename__ = "events"
    __table_args__ = (Index("ix_events_platform_id", "platform", "id"),)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    platform: Mapped[str] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(24))
    clan_id: Mapped[int] = mapped_column(Integer)
    server_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)


class EventCounter(Base):
    """One row: the last event id given out. Taken last in a transaction, so ids follow commits."""

    __tablename__ = "event_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(BigInteger, default=0)


class IdempotencyRecord(Base):
    """A request's reply, by who sent it (client and the platform of its key) and its key."""

    __tablename__ = "idempotency_keys"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JsonType, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(), index=True)
