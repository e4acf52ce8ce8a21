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
    Sequence,
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
    # and ix_clans_name_key (platform, lower(name), id): an expression index, migration 0009 only
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
        Index("ix_wars_status_ended_at", "status", "ended_at"),
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
    # status: open, ongoing, ended, confirmed, disputed, removed, void (a referee's or the grace
    # rule's verdict: the war counts for nothing)
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
    # the player's rating (game and season of the war) around it, once its result is in
    # (ranked play): what a recompute replays from
    mu_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    sigma_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    played_before: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mu_after: Mapped[float | None] = mapped_column(Float, nullable=True)
    sigma_after: Mapped[float | None] = mapped_column(Float, nullable=True)


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
    language: Mapped[str | None] = mapped_column(String(16), nullable=True)  # the clan's, when emitted


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


class Delivery(Base):
    """How far one client's replicas delivered a partition of its platform's feed, and which
    replica holds the lease to deliver it (deliveries.py). `generation` grows each time the
    lease changes hands: the token a cursor update must carry."""

    __tablename__ = "deliveries"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    partition: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    generation: Mapped[int] = mapped_column(BigInteger)
    cursor: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[datetime] = mapped_column(DateTime())


class EventFloor(Base):
    """Per platform, the highest event id removed by retention: `after` below it is answered 410."""

    __tablename__ = "event_floors"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    removed_through: Mapped[int] = mapped_column(BigInteger)


# Ranked play (backend_impl/standings.py, seasons.py, ranked.py): ratings per game and season.


class Season(Base):
    """A game's season: `planned` (set by the operator), `active` (one per game), `closed`.

    Its rules (`provisional_wars`, `farming_window_hours`) are fixed when it is created, so a
    replay of its results gives what the live updates gave, whatever the settings are now.
    """

    __tablename__ = "seasons"
    __table_args__ = (
        UniqueConstraint("game_id", "number"),
        Index("ix_seasons_game_status", "game_id", "status"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    game_id: Mapped[int] = mapped_column(ForeignKey("games.id"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per game
    name: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(8))  # planned, active, closed
    starts_at: Mapped[datetime] = mapped_column(DateTime())
    ends_at: Mapped[datetime] = mapped_column(DateTime())
    provisional_wars: Mapped[int] = mapped_column(Integer)
    farming_window_hours: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    # the leaderboard's totals, kept by the results (changed only when a clan joins the
    # season's standings or gets ranked): counting 100,000 rows per page would not be cheap
    clans: Mapped[int] = mapped_column(Integer, default=0)
    ranked_clans: Mapped[int] = mapped_column(Integer, default=0)


class ClanRating(Base):
    """A clan's rating and record in one season of one game (the season's standings)."""

    __tablename__ = "clan_ratings"
    __table_args__ = (
        # the leaderboard, read backwards: ranked clans first, by ordinal, ties by newer clan
        Index("ix_clan_ratings_board", "season_id", "ranked", "ordinal", "clan_id"),
        Index("ix_clan_ratings_clan", "clan_id", "season_id"),
    )
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"), primary_key=True)
    clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"), primary_key=True)
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    ordinal: Mapped[float] = mapped_column(Float)  # mu - 3 sigma: the rating shown and ranked by
    start_mu: Mapped[float] = mapped_column(Float)  # where the season started it (soft reset)
    start_sigma: Mapped[float] = mapped_column(Float)
    played: Mapped[int] = mapped_column(Integer)  # rated wars (confirmed) this season
    won: Mapped[int] = mapped_column(Integer)
    lost: Mapped[int] = mapped_column(Integer)
    drawn: Mapped[int] = mapped_column(Integer)
    glory: Mapped[int] = mapped_column(Integer)  # glory points won this season
    streak: Mapped[int] = mapped_column(Integer)  # +n wins in a row, -n losses in a row
    ranked: Mapped[bool] = mapped_column(Boolean)  # played >= the season's provisional_wars
    # before its latest rated war: the rank change shown is measured from there
    last_ordinal_before: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_ranked_before: Mapped[bool] = mapped_column(Boolean)
    final_rank: Mapped[int | None] = mapped_column(Integer, nullable=True)  # set when the season closes


class RatingBucket(Base):
    """How many clans of a season are rated in each slice of 1/16 point, ranked and
    provisional apart: ranks and deep leaderboard pages without counting the board (ranks.py)."""

    __tablename__ = "rating_buckets"
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"), primary_key=True)
    ranked: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    clans: Mapped[int] = mapped_column(Integer)


class PlayerRating(Base):
    """A player's rating in one season of one game, from the rosters they played in."""

    __tablename__ = "player_ratings"
    __table_args__ = (
        Index("ix_player_ratings_board", "season_id", "ordinal"),
        Index("ix_player_ratings_player", "platform", "user_id", "season_id"),  # earlier seasons
    )
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"), primary_key=True)
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    mu: Mapped[float] = mapped_column(Float)
    sigma: Mapped[float] = mapped_column(Float)
    ordinal: Mapped[float] = mapped_column(Float)
    start_mu: Mapped[float] = mapped_column(Float)
    start_sigma: Mapped[float] = mapped_column(Float)
    played: Mapped[int] = mapped_column(Integer)


# The order results were settled in (PostgreSQL; SQLite, one writer, takes max + 1): a
# recompute replays a season's results in this order.
RESULT_SEQ = Sequence("war_result_seq", metadata=Base.metadata)


class WarResult(Base):
    """One side of a settled war (confirmed or disputed): the clan's history, and what a
    recompute replays. `*_before`: the clan's season standing just before this result."""

    __tablename__ = "war_results"
    __table_args__ = (
        Index("ix_war_results_clan_seq", "clan_id", "seq"),
        Index("ix_war_results_clan_opponent_seq", "clan_id", "opponent_clan_id", "seq"),
        Index("ix_war_results_season_seq", "season_id", "seq"),
        Index("ix_war_results_seq", "seq"),
    )
    war_id: Mapped[str] = mapped_column(ForeignKey("wars.id"), primary_key=True)
    clan_id: Mapped[int] = mapped_column(ForeignKey("clans.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)  # both sides of a war share it
    season_id: Mapped[int] = mapped_column(ForeignKey("seasons.id"))
    game_id: Mapped[int] = mapped_column(Integer)
    opponent_clan_id: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(8))  # won, lost, drawn, disputed
    settled_at: Mapped[datetime] = mapped_column(DateTime())
    glory: Mapped[int] = mapped_column(Integer)
    # anti-farming: the winner's `repeat`-th win over this opponent within the season's
    # window; both clans' rating changes are multiplied by `factor` (1 / repeat)
    repeat: Mapped[int] = mapped_column(Integer)
    factor: Mapped[float] = mapped_column(Float)
    mu_before: Mapped[float] = mapped_column(Float)
    sigma_before: Mapped[float] = mapped_column(Float)
    mu_after: Mapped[float] = mapped_column(Float)
    sigma_after: Mapped[float] = mapped_column(Float)
    played_before: Mapped[int] = mapped_column(Integer)
    won_before: Mapped[int] = mapped_column(Integer)
    lost_before: Mapped[int] = mapped_column(Integer)
    drawn_before: Mapped[int] = mapped_column(Integer)
    glory_before: Mapped[int] = mapped_column(Integer)
    streak_before: Mapped[int] = mapped_column(Integer)


# Disputes and referees (backend_impl/disputes.py, verdicts.py): tickets with their audit trail.


class Referee(Base):
    """A user the operator appointed to settle disputes: by platform and user id, for the games
    in `games` (null: every game). `channel_*`: where open tickets are posted (setRefereeChannel)."""

    __tablename__ = "referees"
    platform: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    games: Mapped[list[int] | None] = mapped_column(JsonType, nullable=True)
    appointed_at: Mapped[datetime] = mapped_column(DateTime())
    appointed_by: Mapped[str] = mapped_column(String(64))  # the operator's client
    channel_server_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    channel_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Ticket(Base):
    """A dispute about one war: `open` until a referee settles it (`verdict`: host, opponent,
    draw or void, with `verdict_reason`). `open_war_id` is the war's id while the ticket is
    open and null after: its unique constraint keeps one open ticket per war on both databases."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("open_war_id"),
        Index("ix_tickets_status_id", "status", "id"),
        Index("ix_tickets_war", "war_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    war_id: Mapped[str] = mapped_column(ForeignKey("wars.id"))
    open_war_id: Mapped[str | None] = mapped_column(String(12), nullable=True)
    game_id: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))  # open, settled
    opened_at: Mapped[datetime] = mapped_column(DateTime())
    opened_by: Mapped[str] = mapped_column(String(8))  # votes (they disagreed) or clan (filed)
    reason: Mapped[str] = mapped_column(String(1000))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime(), nullable=True)
    verdict: Mapped[str | None] = mapped_column(String(8), nullable=True)
    verdict_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    referee_platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    referee_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    referee_name: Mapped[str | None] = mapped_column(String(100), nullable=True)


class TicketStep(Base):
    """One step of a ticket's audit trail: who (a clan's member, a referee, or the system), when,
    what (`action`, with `data`: the evidence, the verdict, the result before and after) and why."""

    __tablename__ = "ticket_steps"
    __table_args__ = (Index("ix_ticket_steps_ticket", "ticket_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    at: Mapped[datetime] = mapped_column(DateTime())
    action: Mapped[str] = mapped_column(String(16))  # opened, evidence, settled
    actor_kind: Mapped[str] = mapped_column(String(8))  # clan, referee, system
    actor_platform: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    actor_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    clan_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
