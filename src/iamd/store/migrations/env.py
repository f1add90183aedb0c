"""Alembic's environment: migrations run on the connection ``iamd.store.migrate`` hands in."""

from __future__ import annotations

from alembic import context

from iamd.store import schema

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=schema.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
