"""An index for a clan's open war requests, newest first (the status listing)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:52:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_wars_host_status_created", "wars", ["host_clan_id", "status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_wars_host_status_created", table_name="wars")
