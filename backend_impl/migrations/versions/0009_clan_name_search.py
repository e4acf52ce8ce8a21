"""An index for searching clans by the beginning of their name, any case (searchClans)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-13 09:00:00

On the platform, the name lower-cased, then the id: a search is one range of it, read in
order (clan_search.py). PostgreSQL compares the key byte by byte (COLLATE "C"), so that
every name starting with a prefix lies between the prefix and the prefix followed by the
last code point, whatever the database's collation; SQLite compares that way already.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute('CREATE INDEX ix_clans_name_key ON clans (platform, (lower(name) COLLATE "C"), id)')
    else:
        op.execute("CREATE INDEX ix_clans_name_key ON clans (platform, lower(name), id)")


def downgrade() -> None:
    op.execute("DROP INDEX ix_clans_name_key")
