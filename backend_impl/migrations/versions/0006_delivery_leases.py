"""Delivery leases and cursors per client and partition; the retention floor of the event feed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("partition", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("client", "platform", "partition", name="pk_deliveries"),
    )
    op.create_table(
        "event_floors",
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("removed_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("platform", name="pk_event_floors"),
    )


def downgrade() -> None:
    op.drop_table("event_floors")
    op.drop_table("deliveries")
