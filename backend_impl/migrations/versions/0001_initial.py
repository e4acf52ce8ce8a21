"""Initial schema, and the catalogue of the original Gmbot

Revision ID: 0001
Revises:
Create Date: 2026-11-28 00:34:31.377054
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_client"), ["client"], unique=False)

    op.create_table(
        "clans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("server_name", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("language", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("channel_name", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("glory", sa.Integer(), nullable=False),
        sa.Column("played", sa.Integer(), nullable=False),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("drawn", sa.Integer(), nullable=False),
        sa.Column("disputed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clans")),
        sa.UniqueConstraint("platform", "server_id", name=op.f("uq_clans_platform")),
    )
    with op.batch_alter_table("clans", schema=None) as batch_op:
        batch_op.create_index("ix_clans_glory", ["glory"], unique=False)

    op.create_table(
        "event_counter",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_counter")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("type", sa.String(length=24), nullable=False),
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("server_id", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_platform_id", ["platform", "id"], unique=False)

    op.create_table(
        "formats",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_formats")),
    )
    op.create_table(
        "games",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("min_players", sa.Integer(), nullable=False),
        sa.Column("max_players", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_games")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client", "key", name=op.f("pk_idempotency_keys")),
    )
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "members",
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("available", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["clan_id"], ["clans.id"], name=op.f("fk_members_clan_id_clans")),
        sa.PrimaryKeyConstraint("clan_id", "user_id", name=op.f("pk_members")),
    )
    op.create_table(
        "subscriptions",
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clan_id"], ["clans.id"], name=op.f("fk_subscriptions_clan_id_clans")
        ),
        sa.ForeignKeyConstraint(
            ["game_id"], ["games.id"], name=op.f("fk_subscriptions_game_id_games")
        ),
        sa.PrimaryKeyConstraint("clan_id", "game_id", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_subscriptions_game_id"), ["game_id"], unique=False)

    op.create_table(
        "wars",
        sa.Column("id", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("format_id", sa.String(length=32), nullable=False),
        sa.Column("duration", sa.Float(), nullable=False),
        sa.Column("host_clan_id", sa.Integer(), nullable=False),
        sa.Column("opponent_clan_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=True),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("host_vote", sa.String(length=8), nullable=True),
        sa.Column("opponent_vote", sa.String(length=8), nullable=True),
        sa.Column("result", sa.String(length=12), nullable=True),
        sa.Column("host_glory", sa.Integer(), nullable=False),
        sa.Column("opponent_glory", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["format_id"], ["formats.id"], name=op.f("fk_wars_format_id_formats")
        ),
        sa.ForeignKeyConstraint(["game_id"], ["games.id"], name=op.f("fk_wars_game_id_games")),
        sa.ForeignKeyConstraint(
            ["host_clan_id"], ["clans.id"], name=op.f("fk_wars_host_clan_id_clans")
        ),
        sa.ForeignKeyConstraint(
            ["opponent_clan_id"], ["clans.id"], name=op.f("fk_wars_opponent_clan_id_clans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wars")),
    )
    with op.batch_alter_table("wars", schema=None) as batch_op:
        batch_op.create_index("ix_wars_game_status", ["game_id", "status"], unique=False)
        batch_op.create_index("ix_wars_host_status", ["host_clan_id", "status"], unique=False)
        batch_op.create_index(
            "ix_wars_opponent_status", ["opponent_clan_id", "status"], unique=False
        )
        batch_op.create_index("ix_wars_status_ends_at", ["status", "ends_at"], unique=False)

    op.create_table(
        "war_players",
        sa.Column("war_id", sa.String(length=12), nullable=False),
        sa.Column("clan_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["clan_id"], ["clans.id"], name=op.f("fk_war_players_clan_id_clans")
        ),
        sa.ForeignKeyConstraint(["war_id"], ["wars.id"], name=op.f("fk_war_players_war_id_wars")),
        sa.PrimaryKeyConstraint("war_id", "clan_id", "user_id", name=op.f("pk_war_players")),
    )

    seed_catalogue()


# The catalogue of the original Gmbot (../shared/reference/gmbot.md): game ids are kept.
GAMES = [
    {"id": 4, "name": "Mini Militia", "min_players": 1, "max_players": 4},
    {"id": 5, "name": "Fortnite", "min_players": 1, "max_players": 4},
    {"id": 7, "name": "CS GO", "min_players": 1, "max_players": 5},
    {"id": 8, "name": "Rainbow Six Siege", "min_players": 1, "max_players": 5},
]
FORMATS = [
    {"id": "ft3", "name": "First to 3 wins", "is_default": True, "position": 1},
    {"id": "ko", "name": "Knockout Single Match", "is_default": False, "position": 2},
]


def seed_catalogue() -> None:
    games = sa.table(
        "games",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("min_players", sa.Integer),
        sa.column("max_players", sa.Integer),
    )
    formats = sa.table(
        "formats",
        sa.column("id", sa.String),
        sa.column("name", sa.String),
        sa.column("is_default", sa.Boolean),
        sa.column("position", sa.Integer),
    )
    counter = sa.table(
        "event_counter", sa.column("id", sa.Integer), sa.column("last", sa.BigInteger)
    )
    op.bulk_insert(games, GAMES)
    op.bulk_insert(formats, FORMATS)
    op.bulk_insert(counter, [{"id": 1, "last": 0}])


def downgrade() -> None:
    op.drop_table("war_players")
    with op.batch_alter_table("wars", schema=None) as batch_op:
        batch_op.drop_index("ix_wars_status_ends_at")
        batch_op.drop_index("ix_wars_opponent_status")
        batch_op.drop_index("ix_wars_host_status")
        batch_op.drop_index("ix_wars_game_status")

    op.drop_table("wars")
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_subscriptions_game_id"))

    op.drop_table("subscriptions")
    op.drop_table("members")
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))

    op.drop_table("idempotency_keys")
    op.drop_table("games")
    op.drop_table("formats")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_platform_id")

    op.drop_table("events")
    op.drop_table("event_counter")
    with op.batch_alter_table("clans", schema=None) as batch_op:
        batch_op.drop_index("ix_clans_glory")

    op.drop_table("clans")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_client"))

    op.drop_table("api_keys")
