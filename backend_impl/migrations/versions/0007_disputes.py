"""Disputes and referees: referees, tickets (one open per war) and their audit trail

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "referees",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("games", JSON, nullable=True),
        sa.Column("appointed_at", sa.DateTime(), nullable=False),
        sa.Column("appointed_by", sa.String(length=64), nullable=False),
        sa.Column("channel_server_id", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("channel_name", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("platform", "user_id", name="pk_referees"),
    )
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("war_id", sa.String(length=12), nullable=False),
        sa.Column("open_war_id", sa.String(length=12), nullable=True),
        sa.Column("game_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.Column("verdict", sa.String(length=8), nullable=True),
        sa.Column("verdict_reason", sa.String(length=1000), nullable=True),
        sa.Column("referee_platform", sa.String(length=32), nullable=True),
        sa.Column("referee_id", sa.String(length=64), nullable=True),
        sa.Column("referee_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["war_id"], ["wars.id"], name="fk_tickets_war_id_wars"),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("open_war_id", name="uq_tickets_open_war_id"),
    )
    op.create_index("ix_tickets_status_id", "tickets", ["status", "id"])
    op.create_index("ix_tickets_war", "tickets", ["war_id"])
    op.create_table(
        "ticket_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor_kind", sa.String(length=8), nullable=False),
        sa.Column("actor_platform", sa.String(length=32), nullable=True),
        sa.Column("actor_id", sa.String(length=64), nullable=True),
        sa.Column("actor_name", sa.String(length=100), nullable=True),
        sa.Column("clan_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name="fk_ticket_steps_ticket_id_tickets"),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_steps"),
    )
    op.create_index("ix_ticket_steps_ticket", "ticket_steps", ["ticket_id", "id"])
    # the grace rule looks for ended wars by when they ended
    op.create_index("ix_wars_status_ended_at", "wars", ["status", "ended_at"])


def downgrade() -> None:
    op.drop_index("ix_wars_status_ended_at", table_name="wars")
    op.drop_index("ix_ticket_steps_ticket", table_name="ticket_steps")
    op.drop_table("ticket_steps")
    op.drop_index("ix_tickets_war", table_name="tickets")
    op.drop_index("ix_tickets_status_id", table_name="tickets")
    op.drop_table("tickets")
    op.drop_table("referees")
