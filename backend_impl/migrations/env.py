"""Alembic environment: run on the connection that `backend_impl.migrate` hands over."""

from __future__ import annotations

from alembic import context

from backend_impl.tables import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through backend_impl.migrate (gmbot serve does).")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
