"""A user's other credentials and passwords: SSH public keys, signing certificates,
service-specific credentials, login profiles and the account password policy.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "password_policies",
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("minimum_length", sa.Integer(), nullable=False),
        sa.Column("require_symbols", sa.Boolean(), nullable=False),
        sa.Column("require_numbers", sa.Boolean(), nullable=False),
        sa.Column("require_uppercase", sa.Boolean(), nullable=False),
        sa.Column("require_lowercase", sa.Boolean(), nullable=False),
        sa.Column("allow_users_to_change", sa.Boolean(), nullable=False),
        sa.Column("max_age_days", sa.Integer(), nullable=True),
        sa.Column("reuse_prevention", sa.Integer(), nullable=True),
        sa.Column("hard_expiry", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
        ),
        sa.PrimaryKeyConstraint("account_id"),
    )
    op.create_table(
        "login_profiles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("previous_hashes", sa.Text(), nullable=False),
        sa.Column("reset_required", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "service_specific_credentials",
        sa.Column("credential_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("service_name", sa.String(length=128), nullable=False),
        sa.Column("service_user_name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("credential_id"),
    )
    op.create_index(
        "ix_service_specific_credentials_user",
        "service_specific_credentials",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "signing_certificates",
        sa.Column("certificate_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("certificate_id"),
    )
    op.create_index(
        "ix_signing_certificates_owner",
        "signing_certificates",
        ["account_id", "user_id"],
        unique=False,
    )
    op.create_table(
        "ssh_public_keys",
        sa.Column("key_id", sa.String(length=128), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.account_id"],
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.user_id"],
        ),
        sa.PrimaryKeyConstraint("key_id"),
        sa.UniqueConstraint("user_id", "fingerprint", name="uq_ssh_public_keys_fingerprint"),
    )


def downgrade() -> None:
    op.drop_table("ssh_public_keys")
    op.drop_index("ix_signing_certificates_owner", table_name="signing_certificates")
    op.drop_table("signing_certificates")
    op.drop_index("ix_service_specific_credentials_user", table_name="service_specific_credentials")
    op.drop_table("service_specific_credentials")
    op.drop_table("login_profiles")
    op.drop_table("password_policies")
