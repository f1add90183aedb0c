"""IAM Roles Anywhere: trust anchors, profiles, CRLs and subjects.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ra_trust_anchors",
        sa.Column("trust_anchor_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("source_type", sa.String(length=32), nullable=False),
        sa.Column("certificate_data", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("trust_anchor_id"),
    )
    op.create_index(
        "ix_ra_trust_anchors_account", "ra_trust_anchors", ["account_id", "trust_anchor_id"]
    )
    op.create_table(
        "ra_profiles",
        sa.Column("profile_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("role_arns", sa.Text(), nullable=False),
        sa.Column("managed_policy_arns", sa.Text(), nullable=False),
        sa.Column("session_policy", sa.Text(), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("require_instance_properties", sa.Boolean(), nullable=False),
        sa.Column("accept_role_session_name", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=2048), nullable=False),
        sa.Column("attribute_mappings", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("profile_id"),
    )
    op.create_index("ix_ra_profiles_account", "ra_profiles", ["account_id", "profile_id"])
    op.create_table(
        "ra_crls",
        sa.Column("crl_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("trust_anchor_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("crl_data", sa.LargeBinary(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("crl_id"),
    )
    op.create_index("ix_ra_crls_account", "ra_crls", ["account_id", "crl_id"])
    op.create_index("ix_ra_crls_trust_anchor", "ra_crls", ["trust_anchor_id"])
    op.create_table(
        "ra_subjects",
        sa.Column("subject_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=12), nullable=False),
        sa.Column("x509_subject", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_serial", sa.String(length=64), nullable=False),
        sa.Column("last_issuer", sa.Text(), nullable=False),
        sa.Column("last_certificate", sa.Text(), nullable=False),
        sa.Column("last_instance_properties", sa.Text(), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.account_id"]),
        sa.PrimaryKeyConstraint("subject_id"),
    )
    op.create_index("ix_ra_subjects_account", "ra_subjects", ["account_id", "subject_id"])


def downgrade() -> None:
    op.drop_index("ix_ra_subjects_account", table_name="ra_subjects")
    op.drop_table("ra_subjects")
    op.drop_index("ix_ra_crls_trust_anchor", table_name="ra_crls")
    op.drop_index("ix_ra_crls_account", table_name="ra_crls")
    op.drop_table("ra_crls")
    op.drop_index("ix_ra_profiles_account", table_name="ra_profiles")
    op.drop_table("ra_profiles")
    op.drop_index("ix_ra_trust_anchors_account", table_name="ra_trust_anchors")
    op.drop_table("ra_trust_anchors")
