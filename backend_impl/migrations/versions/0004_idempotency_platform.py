"""Idempotency keys scoped by client and platform (a client may hold keys on two platforms)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:40:00

A record made before this revision gets the platform of its client's keys (the first by
name, for a client that already had two: its other platform's retries run afresh).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "idempotency_keys", sa.Column("platform", sa.String(length=32), nullable=False, server_default="")
    )
    op.execute(
        "UPDATE idempotency_keys SET platform = COALESCE((SELECT MIN(a.platform) FROM api_keys a "
        "WHERE a.client = idempotency_keys.client), '')"
    )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.create_primary_key("pk_idempotency_keys", ["client", "platform", "key"])
        batch.alter_column("platform", server_default=None)


def downgrade() -> None:
    # two records that differ only by platform cannot both stay: keep the older
    op.execute(
        "DELETE FROM idempotency_keys WHERE EXISTS (SELECT 1 FROM idempotency_keys o "
        "WHERE o.client = idempotency_keys.client AND o.key = idempotency_keys.key "
        "AND (o.created_at, o.platform) < (idempotency_keys.created_at, idempotency_keys.platform))"
    )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_constraint("pk_idempotency_keys", type_="primary")
        batch.create_primary_key("pk_idempotency_keys", ["client", "key"])
        batch.drop_column("platform")
