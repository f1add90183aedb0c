"""Account-level operations: GetAccountSummary, GetAccountAuthorizationDetails and the
account alias (Create/Delete/ListAccountAliases).

All are authorized on ``*``, as AWS defines them. An account has at most one alias and
an alias names one account across the server; creating a new alias replaces the old one,
as AWS's sign-in guide describes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, delete, func, insert, select

from iamd.errors import EntityAlreadyExists, NoSuchEntity, ValidationError
from iamd.iam import inline_policies, server_certificates, tagging
from iamd.iam.attachments import Entity, attached_policies, page
from iamd.iam.groups import group_shape
from iamd.iam.instance_profiles import profile_result
from iamd.iam.managed_policies import policy_shape
from iamd.iam.roles import role_result
from iamd.iam.signing_certificates import CERTIFICATES_PER_USER
from iamd.iam.users import boundary_shape, user_shape
from iamd.operations import OperationContext, Params, Result, no_resource, operation
from iamd.store import accounts as account_store
from iamd.store import groups as group_store
from iamd.store import instance_profiles as profile_store
from iamd.store import policies as policy_store
from iamd.store import roles as role_store
from iamd.store import schema
from iamd.store import tags as tag_store
from iamd.store import users as user_store
from iamd.store.db import touch_account

FILTERS = ("User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy")


# --- aliases ---------------------------------------------------------------------------


@operation("iam", "CreateAccountAlias")
def create_account_alias(ctx: OperationContext, params: Params) -> Result:
    alias = params["AccountAlias"]
    if account_store.alias_problem(alias):
        raise ValidationError(
            "1 validation error detected: Value at 'accountAlias' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$"
        )
    touch_account(ctx.db, ctx.account_id)
    holder = account_store.get_account_by_alias(ctx.db, alias)
    if holder is not None and holder.account_id != ctx.account_id:
        raise EntityAlreadyExists(f"The account alias {alias} already exists.")
    try:
        account_store.set_alias(ctx.db, ctx.account_id, alias)
    except account_store.AccountExists:
        raise EntityAlreadyExists(f"The account alias {alias} already exists.") from None
    return {}


@operation("iam", "DeleteAccountAlias")
def delete_account_alias(ctx: OperationContext, params: Params) -> Result:
    alias = params["AccountAlias"]
    touch_account(ctx.db, ctx.account_id)
    account = account_store.get_account(ctx.db, ctx.account_id)
    if account is None or account.alias != alias:
        raise NoSuchEntity(f"The account alias {alias} cannot be found.")
    account_store.set_alias(ctx.db, ctx.account_id, None)
    return {}


@operation("iam", "ListAccountAliases")
def list_account_aliases(ctx: OperationContext, params: Params) -> Result:
    account = account_store.get_account(ctx.db, ctx.account_id)
    aliases = [account.alias] if account is not None and account.alias else []
    return page(aliases, params, "AccountAliases")


# --- summary ---------------------------------------------------------------------------


def _count(conn: Connection, table: Table, account_id: str) -> int:
    stmt = select(func.count()).select_from(table).where(table.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())


def _versions_in_use(conn: Connection, account_id: str) -> int:
    mp, pv = schema.managed_policies, schema.policy_versions
    stmt = (
        select(func.count())
        .select_from(pv)
        .join(mp, mp.c.policy_id == pv.c.policy_id)
        .where(mp.c.account_id == account_id)
    )
    return int(conn.execute(stmt).scalar_one())


def _mfa_in_use(conn: Connection, account_id: str) -> int:
    m = schema.mfa_devices
    stmt = (
        select(func.count())
        .select_from(m)
        .where(m.c.account_id == account_id, m.c.user_id.is_not(None))
    )
    return int(conn.execute(stmt).scalar_one())


def _root_keys_present(conn: Connection, account_id: str) -> int:
    ak = schema.access_keys
    stmt = (
        select(func.count())
        .select_from(ak)
        .where(ak.c.account_id == account_id, ak.c.user_id.is_(None))
    )
    return 1 if int(conn.execute(stmt).scalar_one()) else 0


def _present(conn: Connection, table: Table, account_id: str, *, enabled_root: bool = False) -> int:
    """1 when the account's root holds a row of ``table`` (an enabled one for MFA)."""
    stmt = (
        select(func.count())
        .select_from(table)
        .where(table.c.account_id == account_id, table.c.user_id.is_(None))
    )
    if enabled_root:
        stmt = stmt.where(table.c.enabled_at.is_not(None))
    return 1 if int(conn.execute(stmt).scalar_one()) else 0


def token_version(conn: Connection, account_id: str) -> int:
    t = schema.account_settings
    stmt = select(t.c.global_endpoint_token_version).where(t.c.account_id == account_id)
    found = conn.execute(stmt).scalar_one_or_none()
    return 1 if found is None else int(found)


@operation("iam", "SetSecurityTokenServicePreferences", target=no_resource)
def set_security_token_service_preferences(ctx: OperationContext, params: Params) -> Result:
    """Which session tokens the global STS endpoint issues: v1Token or v2Token. iamd's
    tokens are valid in every region either way; the setting is kept and reported."""
    version = 2 if params["GlobalEndpointTokenVersion"] == "v2Token" else 1
    t = schema.account_settings
    ctx.db.execute(delete(t).where(t.c.account_id == ctx.account_id))
    ctx.db.execute(
        insert(t).values(account_id=ctx.account_id, global_endpoint_token_version=version)
    )
    return {}


@operation("iam", "GetAccountSummary")
def get_account_summary(ctx: OperationContext, params: Params) -> Result:
    q, conn, account = ctx.settings.quotas, ctx.db, ctx.account_id
    summary = {
        "Users": _count(conn, schema.users, account),
        "UsersQuota": q.users_per_account,
        "Groups": _count(conn, schema.groups, account),
        "GroupsQuota": q.groups_per_account,
        "Roles": _count(conn, schema.roles, account),
        "RolesQuota": q.roles_per_account,
        "InstanceProfiles": _count(conn, schema.instance_profiles, account),
        "InstanceProfilesQuota": q.instance_profiles_per_account,
        "Policies": _count(conn, schema.managed_policies, account),
        "PoliciesQuota": q.managed_policies_per_account,
        "PolicySizeQuota": q.managed_policy_size,
        "PolicyVersionsInUse": _versions_in_use(conn, account),
        "PolicyVersionsInUseQuota": 10000,
        "VersionsPerPolicyQuota": q.policy_versions,
        "UserPolicySizeQuota": q.inline_policy_size_user,
        "GroupPolicySizeQuota": q.inline_policy_size_group,
        "RolePolicySizeQuota": q.inline_policy_size_role,
        "AssumeRolePolicySizeQuota": q.trust_policy_size,
        "GroupsPerUserQuota": q.groups_per_user,
        "AccessKeysPerUserQuota": q.access_keys_per_user,
        "AttachedPoliciesPerUserQuota": q.managed_policies_per_entity,
        "AttachedPoliciesPerGroupQuota": q.managed_policies_per_entity,
        "AttachedPoliciesPerRoleQuota": q.managed_policies_per_entity,
        "SigningCertificatesPerUserQuota": CERTIFICATES_PER_USER,
        "ServerCertificates": server_certificates.count_of_account(conn, account),
        "ServerCertificatesQuota": server_certificates.CERTIFICATES_PER_ACCOUNT,
        "MFADevices": _count(conn, schema.mfa_devices, account),
        "MFADevicesInUse": _mfa_in_use(conn, account),
        "AccountMFAEnabled": _present(conn, schema.mfa_devices, account, enabled_root=True),
        "AccountAccessKeysPresent": _root_keys_present(conn, account),
        "AccountSigningCertificatesPresent": _present(conn, schema.signing_certificates, account),
        "Providers": _count(conn, schema.oidc_providers, account)
        + _count(conn, schema.saml_providers, account),
        "GlobalEndpointTokenVersion": token_version(conn, account),
    }
    return {"SummaryMap": summary}


# --- authorization details -------------------------------------------------------------


def _user_details(ctx: OperationContext) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for user in user_store.all_users(ctx.db, ctx.account_id):
        entity = Entity("user", user.user_id, user.name, user.account_id)
        detail = user_shape(user)
        detail["UserPolicyList"] = inline_policies.inline_policy_list(ctx, entity)
        groups = group_store.groups_of_user(ctx.db, user.user_id)
        detail["GroupList"] = [g.name for g in groups]
        detail["AttachedManagedPolicies"] = attached_policies(ctx.db, entity)
        if user.permissions_boundary_arn:
            detail["PermissionsBoundary"] = boundary_shape(user.permissions_boundary_arn)
        tags = tag_store.get_tags(ctx.db, "user", user.user_id)
        if tags:
            detail["Tags"] = tagging.tag_list(tags)
        found.append((f"1:{user.name.lower()}", detail))
    return found


def _group_details(ctx: OperationContext) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for group in group_store.all_groups(ctx.db, ctx.account_id):
        entity = Entity("group", group.group_id, group.name, group.account_id)
        detail = group_shape(group)
        detail["GroupPolicyList"] = inline_policies.inline_policy_list(ctx, entity)
        detail["AttachedManagedPolicies"] = attached_policies(ctx.db, entity)
        found.append((f"2:{group.name.lower()}", detail))
    return found


def _role_details(ctx: OperationContext) -> list[tuple[str, dict[str, Any]]]:
    r = schema.roles
    ids = ctx.db.execute(select(r.c.role_id).where(r.c.account_id == ctx.account_id)).scalars()
    found = []
    for role_id in ids:
        role = role_store.get_by_id(ctx.db, role_id)
        if role is None:
            continue
        entity = Entity("role", role.role_id, role.name, role.account_id)
        detail = role_result(ctx, role, last_used=True)
        detail.pop("Description", None)
        detail.pop("MaxSessionDuration", None)
        profiles = _profiles_for_role(ctx, role.role_id)
        detail["InstanceProfileList"] = profiles
        detail["RolePolicyList"] = inline_policies.inline_policy_list(ctx, entity)
        detail["AttachedManagedPolicies"] = attached_policies(ctx.db, entity)
        found.append((f"3:{role.name.lower()}", detail))
    return found


def _profiles_for_role(ctx: OperationContext, role_id: str) -> list[dict[str, Any]]:
    return [
        profile_result(ctx, p, tags=False) for p in profile_store.profiles_for_role(ctx.db, role_id)
    ]


def _policy_details(ctx: OperationContext, filters: set[str]) -> list[tuple[str, dict[str, Any]]]:
    attached = policy_store.attachment_counts(ctx.db, ctx.account_id)
    boundaries = policy_store.boundary_counts(ctx.db, ctx.account_id)
    owners = []
    if "LocalManagedPolicy" in filters:
        owners.append(ctx.account_id)
    if "AWSManagedPolicy" in filters:
        owners.append(schema.AWS_MANAGED_ACCOUNT)
    found = []
    for policy in policy_store.list_policies(ctx.db, owners):
        a, b = attached.get(policy.arn, 0), boundaries.get(policy.arn, 0)
        if policy.aws_managed and not (a or b):
            continue  # AWS's own policies appear once the account uses them
        detail = policy_shape(policy, a, b, description=True)
        detail["PolicyVersionList"] = [
            {
                "Document": v.document,
                "VersionId": v.version_id,
                "IsDefaultVersion": v.is_default,
                "CreateDate": v.created_at,
            }
            for v in policy_store.list_versions(ctx.db, policy.policy_id)
        ]
        found.append((f"4:{policy.arn}", detail))
    return found


@operation("iam", "GetAccountAuthorizationDetails")
def get_account_authorization_details(ctx: OperationContext, params: Params) -> Result:
    filters = set(params.get("Filter") or FILTERS)
    items: list[tuple[str, dict[str, Any]]] = []
    if "User" in filters:
        items += _user_details(ctx)
    if "Group" in filters:
        items += _group_details(ctx)
    if "Role" in filters:
        items += _role_details(ctx)
    items += _policy_details(ctx, filters)
    items.sort(key=lambda item: item[0])
    result = page(items, params, "Items", key=lambda item: item[0])
    lists: dict[str, list[dict[str, Any]]] = {
        "1": [],
        "2": [],
        "3": [],
        "4": [],
    }
    for key, detail in result.pop("Items"):
        lists[key[0]].append(detail)
    return {
        "UserDetailList": lists["1"],
        "GroupDetailList": lists["2"],
        "RoleDetailList": lists["3"],
        "Policies": lists["4"],
        **result,
    }
