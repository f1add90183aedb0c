"""The tables, in SQLAlchemy Core. One schema for SQLite and PostgreSQL.

Conventions:
- Every entity row carries its ``account_id``; nothing is visible across accounts except
  AWS managed policies, stored once under the account ``aws``.
- Names are unique per account ignoring case: ``name_lower`` carries the unique index,
  ``name`` keeps what the caller wrote.
- Unique ids (``AIDA...``, ``AROA...``) are the primary keys of users, roles, groups,
  policies and instance profiles; links between rows use them, so a deleted and
  re-created entity with the same name is a different entity.
- Timestamps are timezone-aware UTC; policy documents are stored as submitted.
- ``accounts.change_counter`` goes up on every write that changes or removes something
  in the account: caches of compiled policies and principals are keyed on it, so such a
  write on one node is seen by the next request on every node. Creating a new entity
  does not move it: nothing cached refers to an entity that did not exist.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

AWS_MANAGED_ACCOUNT = "aws"


def _ts(name: str, nullable: bool = False) -> Column[object]:
    return Column(name, DateTime(timezone=True), nullable=nullable)


accounts = Table(
    "accounts",
    metadata,
    Column("account_id", String(12), primary_key=True),
    Column("alias", String(63), nullable=True, unique=True),
    _ts("created_at"),
    Column("change_counter", BigInteger, nullable=False, default=0),
)

# Long-term access keys of users and of account roots (user_id NULL = the root user).
access_keys = Table(
    "access_keys",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True),
    Column("secret_ciphertext", LargeBinary, nullable=False),
    Column("status", String(8), nullable=False),  # Active | Inactive
    _ts("created_at"),
    _ts("last_used_at", nullable=True),
    Column("last_used_service", String(64), nullable=True),
    Column("last_used_region", String(32), nullable=True),
    Index("ix_access_keys_user", "user_id"),
)

users = Table(
    "users",
    metadata,
    Column("user_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    _ts("created_at"),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    _ts("password_last_used", nullable=True),
    UniqueConstraint("account_id", "name_lower", name="uq_users_name"),
)

groups = Table(
    "groups",
    metadata,
    Column("group_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    _ts("created_at"),
    UniqueConstraint("account_id", "name_lower", name="uq_groups_name"),
)

group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(32), ForeignKey("groups.group_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    PrimaryKeyConstraint("group_id", "user_id"),
    Index("ix_group_members_user", "user_id"),
)

roles = Table(
    "roles",
    metadata,
    Column("role_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(64), nullable=False),
    Column("name_lower", String(64), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    # The trust policy as submitted, and the principals it names resolved to unique ids
    # when it was saved (JSON object ARN -> unique id). Evaluation and display use both.
    Column("assume_role_policy", Text, nullable=False),
    Column("trust_principal_ids", Text, nullable=False, default="{}"),
    Column("description", String(1000), nullable=True),
    Column("max_session_duration", Integer, nullable=False, default=3600),
    _ts("created_at"),
    Column("permissions_boundary_arn", String(2048), nullable=True),
    _ts("last_used_at", nullable=True),
    Column("last_used_region", String(32), nullable=True),
    # Service-linked roles: the owning service principal (None for customer roles).
    Column("linked_service", String(255), nullable=True),
    # Sessions issued before this instant are denied ("revoke active sessions").
    _ts("sessions_revoked_before", nullable=True),
    UniqueConstraint("account_id", "name_lower", name="uq_roles_name"),
    Index("ix_roles_account_path", "account_id", "path", "name_lower"),
)

managed_policies = Table(
    "managed_policies",
    metadata,
    Column("policy_id", String(32), primary_key=True),
    Column("account_id", String(12), nullable=False),  # "aws" for AWS managed policies
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False, unique=True),
    Column("description", String(1000), nullable=True),
    Column("default_version_id", String(16), nullable=False),
    Column("next_version_number", Integer, nullable=False, default=2),
    _ts("created_at"),
    _ts("updated_at"),
    UniqueConstraint("account_id", "name_lower", name="uq_policies_name"),
)

policy_versions = Table(
    "policy_versions",
    metadata,
    Column("policy_id", String(32), ForeignKey("managed_policies.policy_id"), nullable=False),
    Column("version_id", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("is_default", Boolean, nullable=False),
    _ts("created_at"),
    PrimaryKeyConstraint("policy_id", "version_id"),
)

# Managed policies attached to users, groups and roles (principal_type: user|group|role).
# AWS managed policies are attached per account, so the account is part of the row.
policy_attachments = Table(
    "policy_attachments",
    metadata,
    Column("account_id", String(12), nullable=False),
    Column("principal_type", String(8), nullable=False),
    Column("principal_id", String(32), nullable=False),
    Column("policy_arn", String(2048), nullable=False),
    PrimaryKeyConstraint("principal_type", "principal_id", "policy_arn"),
    Index("ix_policy_attachments_policy", "account_id", "policy_arn"),
)

inline_policies = Table(
    "inline_policies",
    metadata,
    Column("principal_type", String(8), nullable=False),
    Column("principal_id", String(32), nullable=False),
    Column("name", String(128), nullable=False),
    Column("document", Text, nullable=False),
    PrimaryKeyConstraint("principal_type", "principal_id", "name"),
)

# Tags of any taggable entity (resource_type: user|role|policy|instance-profile|
# oidc-provider|saml-provider|mfa|server-certificate). Keys are unique ignoring case.
tags = Table(
    "tags",
    metadata,
    Column("resource_type", String(32), nullable=False),
    Column("resource_id", String(2048), nullable=False),
    Column("key", String(128), nullable=False),
    Column("key_lower", String(128), nullable=False),
    Column("value", String(256), nullable=False),
    Column("position", Integer, nullable=False),
    PrimaryKeyConstraint("resource_type", "resource_id", "key_lower"),
)

instance_profiles = Table(
    "instance_profiles",
    metadata,
    Column("instance_profile_id", String(32), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("arn", String(2048), nullable=False),
    _ts("created_at"),
    UniqueConstraint("account_id", "name_lower", name="uq_instance_profiles_name"),
)

instance_profile_roles = Table(
    "instance_profile_roles",
    metadata,
    Column(
        "instance_profile_id",
        String(32),
        ForeignKey("instance_profiles.instance_profile_id"),
        nullable=False,
    ),
    Column("role_id", String(32), ForeignKey("roles.role_id"), nullable=False),
    PrimaryKeyConstraint("instance_profile_id", "role_id"),
    Index("ix_instance_profile_roles_role", "role_id"),
)

# SAML 2.0 identity providers: the IdP's metadata document as uploaded (its entity id and
# signing certificates are read from it when an assertion is checked) and its ValidUntil.
# Tags are in ``tags`` under ``("saml-provider", provider_uuid)``.
saml_providers = Table(
    "saml_providers",
    metadata,
    Column("provider_uuid", String(64), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("metadata_document", Text, nullable=False),
    _ts("valid_until", nullable=True),
    _ts("created_at"),
    UniqueConstraint("account_id", "name_lower", name="uq_saml_providers_name"),
)

# IAM OIDC identity providers. The ARN (``oidc-provider/HOST/PATH``) is the provider's
# identity; ``url`` is the URL as created (with its scheme), unique per account. Client ids
# and thumbprints are JSON arrays in the order given; tags are in ``tags`` under the ARN.
oidc_providers = Table(
    "oidc_providers",
    metadata,
    Column("arn", String(2048), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("url", String(300), nullable=False),
    Column("client_ids", Text, nullable=False, default="[]"),
    Column("thumbprints", Text, nullable=False, default="[]"),
    _ts("created_at"),
    UniqueConstraint("account_id", "url", name="uq_oidc_providers_url"),
)

# Virtual MFA devices: the TOTP seed encrypted under the master key; ``user_id`` set while
# the device is enabled for a user. ``last_used_step`` (the TOTP time step of the last code
# accepted) refuses a code twice; ``drift`` (steps) is what ResyncMFADevice measured.
mfa_devices = Table(
    "mfa_devices",
    metadata,
    Column("serial_number", String(256), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("path", String(512), nullable=False),
    Column("seed_ciphertext", LargeBinary, nullable=False),
    # No foreign key: DeleteUser refuses while a device is enabled (DeleteConflict).
    Column("user_id", String(32), nullable=True),
    _ts("created_at"),
    _ts("enabled_at", nullable=True),
    Column("last_used_step", BigInteger, nullable=True),
    Column("drift", Integer, nullable=False, default=0),
    Index("ix_mfa_devices_account", "account_id", "serial_number"),
    Index("ix_mfa_devices_user", "user_id"),
)

# Keys of the server itself: the STS token key ring (encrypted under the master key).
server_keys = Table(
    "server_keys",
    metadata,
    Column("key_id", String(64), primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column("material_ciphertext", LargeBinary, nullable=False),
    _ts("created_at"),
    Column("active", Boolean, nullable=False),
)

# A canary encrypted under the master key, so a server started with the wrong key
# refuses to run instead of failing on every secret later.
server_meta = Table(
    "server_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", LargeBinary, nullable=False),
)

# Services registered by the operator (``iamd service register``): principals such as
# ``jobs.example.internal`` that sign requests of their own. A registered service may
# define its service-linked role (name, whether a custom suffix is allowed, description,
# an inline policy document). Catalog services (``store/data/service_catalog.json``) are
# not rows here unless they were registered to get credentials.
services = Table(
    "services",
    metadata,
    Column("principal", String(128), primary_key=True),
    Column("title", String(256), nullable=False),
    Column("linked_role_name", String(64), nullable=True),
    Column("custom_suffix", Boolean, nullable=False, default=False),
    Column("linked_role_description", String(1000), nullable=True),
    Column("linked_role_policy", Text, nullable=True),
    _ts("created_at"),
)

# Long-term credentials of registered services; ``account_id`` is the account the service
# acts in with them (where CreateServiceLinkedRole creates its role, GetCallerIdentity's
# Account). Secrets are encrypted under the master key, like access keys.
service_credentials = Table(
    "service_credentials",
    metadata,
    Column("access_key_id", String(128), primary_key=True),
    Column("principal", String(128), ForeignKey("services.principal"), nullable=False),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("secret_ciphertext", LargeBinary, nullable=False),
    Column("status", String(8), nullable=False),  # Active | Inactive
    _ts("created_at"),
    Index("ix_service_credentials_principal", "principal"),
)

# What a service reports as still using one of its linked roles in an account: the
# deletion task of DeleteServiceLinkedRole asks here (RoleUsageList: region + resources).
service_role_usage = Table(
    "service_role_usage",
    metadata,
    Column("account_id", String(12), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("role_name_lower", String(64), nullable=False),
    Column("region", String(32), nullable=False),
    Column("resource_arn", String(2048), nullable=False),
    PrimaryKeyConstraint("account_id", "principal", "role_name_lower", "region", "resource_arn"),
)

# DeleteServiceLinkedRole's tasks: task/aws-service-role/PRINCIPAL/ROLE/UUID, their status
# (NOT_STARTED | IN_PROGRESS | SUCCEEDED | FAILED) and, when FAILED, the reason and the
# usage list as JSON ([{"Region": ..., "Resources": [...]}]).
slr_deletion_tasks = Table(
    "slr_deletion_tasks",
    metadata,
    Column("task_id", String(1000), primary_key=True),
    Column("account_id", String(12), nullable=False),
    Column("principal", String(128), nullable=False),
    Column("role_name", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(1000), nullable=True),
    Column("role_usage", Text, nullable=True),
    _ts("created_at"),
    _ts("finished_at", nullable=True),
    Index("ix_slr_deletion_tasks_role", "account_id", "role_name"),
)

# How many entities of a kind (``role``, ``user``, ...) an account holds, for quota checks
# that must not count rows on every create. Kept by the creates and deletes; a count is
# only trusted below the quota (at it, the rows are counted again), so a count that is
# missing or too high costs a recount, never a wrong refusal.
entity_counts = Table(
    "entity_counts",
    metadata,
    Column("account_id", String(12), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("count", BigInteger, nullable=False),
    PrimaryKeyConstraint("account_id", "kind"),
)

# --- a user's other credentials: SSH public keys, signing certificates, service-specific
# credentials. ``status`` is Active | Inactive; ``fingerprint`` finds duplicates (an SSH
# key's MD5 fingerprint as AWS shows it; a certificate's SHA-256 of its DER).
ssh_public_keys = Table(
    "ssh_public_keys",
    metadata,
    Column("key_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    _ts("created_at"),
    UniqueConstraint("user_id", "fingerprint", name="uq_ssh_public_keys_fingerprint"),
)

signing_certificates = Table(
    "signing_certificates",
    metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=True),  # None: root
    Column("body", Text, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("status", String(8), nullable=False),
    _ts("created_at"),
    Index("ix_signing_certificates_owner", "account_id", "user_id"),
)

# The password is kept only as its scrypt hash (``iam/passwords.py``).
service_specific_credentials = Table(
    "service_specific_credentials",
    metadata,
    Column("credential_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("user_id", String(32), ForeignKey("users.user_id"), nullable=False),
    Column("service_name", String(128), nullable=False),
    Column("service_user_name", String(200), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("status", String(8), nullable=False),
    _ts("created_at"),
    Index("ix_service_specific_credentials_user", "user_id"),
)

# --- passwords: a user's login profile (the scrypt hash of the password, never the
# password), the hashes it had before (JSON list, newest first, as many as the reuse rule
# needs) and the account's password policy (absent: AWS's default rules apply).
login_profiles = Table(
    "login_profiles",
    metadata,
    Column("user_id", String(32), ForeignKey("users.user_id"), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("previous_hashes", Text, nullable=False),
    Column("reset_required", Boolean, nullable=False),
    _ts("created_at"),
    _ts("password_changed_at"),
    _ts("password_last_used_at", nullable=True),
)

password_policies = Table(
    "password_policies",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("minimum_length", Integer, nullable=False),
    Column("require_symbols", Boolean, nullable=False),
    Column("require_numbers", Boolean, nullable=False),
    Column("require_uppercase", Boolean, nullable=False),
    Column("require_lowercase", Boolean, nullable=False),
    Column("allow_users_to_change", Boolean, nullable=False),
    Column("max_age_days", Integer, nullable=True),
    Column("reuse_prevention", Integer, nullable=True),
    Column("hard_expiry", Boolean, nullable=True),
)

# --- account-wide settings: SetSecurityTokenServicePreferences (1: v1 tokens, valid in
# the regions enabled by default; 2: v2 tokens, valid in every region).
account_settings = Table(
    "account_settings",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("global_endpoint_token_version", Integer, nullable=False),
)

# --- server certificates (UploadServerCertificate): the certificate and its chain as
# uploaded; the private key is checked against the certificate and never kept, since no
# operation ever returns or uses it.
server_certificates = Table(
    "server_certificates",
    metadata,
    Column("certificate_id", String(128), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(128), nullable=False),
    Column("name_lower", String(128), nullable=False),
    Column("path", String(512), nullable=False),
    Column("body", Text, nullable=False),
    Column("chain", Text, nullable=True),
    _ts("expires_at"),
    _ts("created_at"),
    UniqueConstraint("account_id", "name_lower", name="uq_server_certificates_name"),
)

# --- the last credential report of each account (GenerateCredentialReport), as CSV.
credential_reports = Table(
    "credential_reports",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    _ts("generated_at"),
    Column("content", Text, nullable=False),
)

# An event counter: 64 bits on PostgreSQL, SQLite's rowid (an alias needs INTEGER).
_SEQ = BigInteger().with_variant(Integer, "sqlite")

# --- the audit trail: one CloudTrail-shaped record per request (audit/). ``account_id`` is
# the recipient account ("" when no account could be told, e.g. an unknown access key);
# the lookup columns are LookupEvents' attributes, ``resources`` its resources as lines of
# "type<TAB>name", the record the event's JSON. One index only: every write request adds
# a row in its own transaction, and each index is another page written with it.
# A queued event (a read, a refusal) is stored compact: ``origin`` names its caller's
# identity, address and user agent, kept once in ``audit_origins``, and ``record`` holds
# the rest of its JSON, the origin's parts going back in at the start and at ``cut``. A
# write's event (``origin`` NULL) holds its whole record.
audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("account_id", String(12), nullable=False),
    _ts("event_time"),
    Column("event_name", String(128), nullable=False),
    Column("event_source", String(64), nullable=False),
    Column("read_only", Boolean, nullable=False),
    Column("username", String(256)),
    Column("access_key_id", String(128)),
    Column("principal_arn", String(2048)),
    Column("resources", Text, nullable=False),
    Column("record", Text, nullable=False),
    Column("origin", LargeBinary(16)),
    Column("cut", Integer),
    Index("ix_audit_events_account_time", "account_id", "event_time"),
)

# An event's origin: its caller's ``userIdentity`` and its ``sourceIPAddress`` and
# ``userAgent`` members, as JSON text, keyed by a digest of both (the same on every
# node). ``last_used`` (to the hour) is when an event that names it was last stored;
# retention forgets the origins no kept event can name.
audit_origins = Table(
    "audit_origins",
    metadata,
    Column("digest", LargeBinary(16), primary_key=True),
    Column("identity", Text, nullable=False),
    Column("client", Text, nullable=False),
    _ts("last_used"),
)

# --- IAM's access advisor: the jobs GenerateServiceLastAccessedDetails starts. A job keeps
# what it was asked; its report is read from the audit trail when the job is read.
access_advisor_jobs = Table(
    "access_advisor_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("arn", String(2048), nullable=False),
    Column("granularity", String(16), nullable=False),
    _ts("created_at"),
    Index("ix_access_advisor_jobs_account", "account_id", "created_at"),
)

# --- IAM Roles Anywhere (the rolesanywhere service) -----------------------------------
# Trust anchors hold the CA bundle as submitted (PEM); profiles name the roles a session
# may assume and what limits it (JSON lists of ARNs, the session policy as submitted).
# CRLs are kept as imported (DER) with the trust anchor they revoke certificates of.
# Subjects are the certificate identities CreateSession has seen (one per distinguished
# name and account), with the last certificate and instance properties they came with.
# Names are not unique (AWS allows duplicates); ids are UUIDs. Tags live in ``tags``
# under the resource types ``ra-trust-anchor``, ``ra-profile`` and ``ra-crl``.
ra_trust_anchors = Table(
    "ra_trust_anchors",
    metadata,
    Column("trust_anchor_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("source_type", String(32), nullable=False),
    Column("certificate_data", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_ra_trust_anchors_account", "account_id", "trust_anchor_id"),
)

ra_profiles = Table(
    "ra_profiles",
    metadata,
    Column("profile_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("name", String(255), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("role_arns", Text, nullable=False),
    Column("managed_policy_arns", Text, nullable=False),
    Column("session_policy", Text, nullable=True),
    Column("duration_seconds", Integer, nullable=False),
    Column("require_instance_properties", Boolean, nullable=False),
    Column("accept_role_session_name", Boolean, nullable=False),
    Column("created_by", String(2048), nullable=False),
    Column("attribute_mappings", Text, nullable=True),  # JSON; NULL: the default mappings
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_ra_profiles_account", "account_id", "profile_id"),
)

ra_crls = Table(
    "ra_crls",
    metadata,
    Column("crl_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("trust_anchor_id", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("crl_data", LargeBinary, nullable=False),
    Column("enabled", Boolean, nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_ra_crls_account", "account_id", "crl_id"),
    Index("ix_ra_crls_trust_anchor", "trust_anchor_id"),
)

ra_subjects = Table(
    "ra_subjects",
    metadata,
    Column("subject_id", String(36), primary_key=True),
    Column("account_id", String(12), ForeignKey("accounts.account_id"), nullable=False),
    Column("x509_subject", Text, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("last_serial", String(64), nullable=False),
    Column("last_issuer", Text, nullable=False),
    Column("last_certificate", Text, nullable=False),
    Column("last_instance_properties", Text, nullable=True),
    _ts("last_seen_at"),
    _ts("created_at"),
    _ts("updated_at"),
    Index("ix_ra_subjects_account", "account_id", "subject_id"),
)

# The console: an account root's password (set by `iamd account password`), and failed
# sign-in attempts per account and user name, which slow the next attempt on every node.
root_login_profiles = Table(
    "root_login_profiles",
    metadata,
    Column("account_id", String(12), ForeignKey("accounts.account_id"), primary_key=True),
    Column("password_hash", String(256), nullable=False),
    _ts("created_at"),
    _ts("password_last_used_at", nullable=True),
)

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("subject", String(200), primary_key=True),  # SHA-256 of "<account>/<user or root>"
    Column("failures", Integer, nullable=False),
    _ts("last_failure_at"),
    Index("ix_sign_in_failures_last_failure_at", "last_failure_at"),
)
