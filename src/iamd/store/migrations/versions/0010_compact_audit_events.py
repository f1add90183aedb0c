"""Compact audit rows: each caller's identity, address and user agent stored once.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

The events stored before keep their whole record (``origin`` NULL), so nothing is
rewritten.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_origins",
        sa.Column("digest", sa.LargeBinary(length=16), nullable=False),
        sa.Column("identity", sa.Text(), nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("last_used", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest"),
    )
    # Plain ALTER TABLE ... ADD COLUMN on both databases: a long trail is not copied.
    op.add_column("audit_events", sa.Column("origin", sa.LargeBinary(length=16), nullable=True))
    op.add_column("audit_events", sa.Column("cut", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_column("cut")
        batch.drop_column("origin")
    op.drop_table("audit_origins")
