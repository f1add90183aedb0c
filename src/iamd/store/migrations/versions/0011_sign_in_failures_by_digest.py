"""Failed sign-ins counted under a digest of what was typed, and forgotten by time.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

The rows kept before held the typed user name in clear (a password typed in the wrong
box among them): they are deleted. Only the slow-down of a few ongoing attempts is lost.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM sign_in_failures")
    op.create_index("ix_sign_in_failures_last_failure_at", "sign_in_failures", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_last_failure_at", table_name="sign_in_failures")
