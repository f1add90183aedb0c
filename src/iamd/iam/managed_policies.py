"""Managed policies: Create/Get/Delete/ListPolicies, ListEntitiesForPolicy and policy tags.

A customer managed policy belongs to one account; AWS managed policies
(``arn:aws:iam::aws:policy/...``) are visible from every account and nobody may change
or delete them. AttachmentCount and PermissionsBoundaryUsageCount are counted in the
caller's account, which is how each account sees AWS's shared policies. Versions live in
``policy_versions.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection

from iamd.errors import AccessDenied, DeleteConflict, NoSuchEntity
from iamd.iam import naming, tagging
from iamd.iam.attachments import check_policy_arn, page, visible_policy
from iamd.iam.documents import managed_document
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import groups as group_store
from iamd.store import policies as store
from iamd.store import tags as tag_store
from iamd.store import users as user_store
from iamd.store.db import touch_account
from iamd.store.policies import ManagedPolicy

POLICY = naming.POLICY
HAS_VERSIONS = (
    "This policy has more than one version. Before you delete a policy, you must delete "
    "the policy's versions. The default version is deleted with the policy."
)


# --- lookups and targets ---------------------------------------------------------------


def policy_not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"Policy {arn} does not exist or is not attachable.")


def get_policy(ctx: OperationContext, arn: str) -> ManagedPolicy:
    """The policy ``arn`` as the caller's account sees it, or NoSuchEntity."""
    check_policy_arn(arn)
    found = visible_policy(ctx.db, ctx.account_id, arn)
    if found is None:
        raise policy_not_found(arn)
    return found


def own_policy(ctx: OperationContext, arn: str) -> ManagedPolicy:
    """A policy the caller may change: its account's own, never AWS's."""
    found = get_policy(ctx, arn)
    if found.aws_managed:
        raise AccessDenied(
            f"User: {ctx.caller.arn} is not authorized to perform: iam:{ctx.action} "
            f"on resource: policy {arn}"
        )
    return found


def policy_target(ctx: OperationContext, params: Params) -> Target:
    arn = params["PolicyArn"]
    found = store.get_policy(ctx.db, arn)
    if found is None or found.account_id not in store.visible_accounts(ctx.account_id):
        return Target(arn, account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, "policy", found.policy_id)
    # AWS's own policies are shared into every account: authorize them as the caller's.
    return Target(arn, tags=tags, account=ctx.account_id)


def new_policy_target(ctx: OperationContext, params: Params) -> Target:
    path = params.get("Path") or "/"
    return Target(POLICY.arn(ctx.account_id, path, params["PolicyName"]), account=ctx.account_id)


def request_tags(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def tag_keys(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


# --- shapes ----------------------------------------------------------------------------


def policy_shape(
    policy: ManagedPolicy,
    attachments: int,
    boundaries: int,
    *,
    tags: list[tuple[str, str]] | None = None,
    description: bool = False,
) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "PolicyName": policy.name,
        "PolicyId": policy.policy_id,
        "Arn": policy.arn,
        "Path": policy.path,
        "DefaultVersionId": policy.default_version_id,
        "AttachmentCount": attachments,
        "PermissionsBoundaryUsageCount": boundaries,
        "IsAttachable": True,
        "CreateDate": policy.created_at,
        "UpdateDate": policy.updated_at,
    }
    if description and policy.description:
        shape["Description"] = policy.description
    if tags:
        shape["Tags"] = tagging.tag_list(tags)
    return shape


def counted_shape(conn: Connection, account_id: str, policy: ManagedPolicy) -> dict[str, Any]:
    """GetPolicy's shape: counts in the account, Description and Tags."""
    attached = len(store.attachments_of_policy(conn, account_id, policy.arn))
    boundaries = len(store.boundary_users(conn, account_id, policy.arn))
    tags = tag_store.get_tags(conn, "policy", policy.policy_id)
    shape = policy_shape(policy, attached, boundaries, tags=tags, description=True)
    shape.setdefault("Tags", [])  # [] when none, as AWS answers GetPolicy
    return shape


# --- operations ------------------------------------------------------------------------


@operation("iam", "CreatePolicy", target=new_policy_target, request_context=request_tags)
def create_policy(ctx: OperationContext, params: Params) -> Result:
    name, path = params["PolicyName"], params.get("Path") or "/"
    naming.check_name(POLICY, name)
    naming.check_path(path)
    managed_document(params["PolicyDocument"], ctx.settings.quotas.managed_policy_size)
    tags = tagging.parse_tags(params.get("Tags"))
    naming.ensure_name_free(ctx.db, POLICY, ctx.account_id, name)
    policy = store.insert_policy(
        ctx.db,
        policy_id=unique_id(IdPrefix.POLICY, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=POLICY.arn(ctx.account_id, path, name),
        description=params.get("Description") or None,
        document=params["PolicyDocument"],
        now=ctx.now,
    )
    naming.count_created(ctx.db, POLICY, ctx.account_id, ctx.settings.quotas)
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, tagging.POLICY_TAGS, policy.policy_id, tags, limit)
    return {"Policy": policy_shape(policy, 0, 0, tags=tags, description=True)}


@operation("iam", "GetPolicy", target=policy_target)
def get_policy_op(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx, params["PolicyArn"])
    return {"Policy": counted_shape(ctx.db, ctx.account_id, policy)}


@operation("iam", "DeletePolicy", target=policy_target)
def delete_policy(ctx: OperationContext, params: Params) -> Result:
    arn = params["PolicyArn"]
    check_policy_arn(arn)
    if visible_policy(ctx.db, ctx.account_id, arn) is None:  # AWS's wording for a delete
        raise NoSuchEntity(f"Policy {arn} was not found.")
    policy = own_policy(ctx, arn)
    touch_account(ctx.db, ctx.account_id)
    if store.attachments_of_policy(ctx.db, ctx.account_id, policy.arn) or store.boundary_users(
        ctx.db, ctx.account_id, policy.arn
    ):
        raise DeleteConflict("Cannot delete a policy attached to entities.")
    if store.count_versions(ctx.db, policy.policy_id) > 1:
        raise DeleteConflict(HAS_VERSIONS)
    tagging.delete_all_tags(ctx.db, tagging.POLICY_TAGS, policy.policy_id)
    store.delete_policy(ctx.db, policy.policy_id)
    naming.count_deleted(ctx.db, POLICY, ctx.account_id)
    return {}


def _owners(scope: str, account_id: str) -> tuple[str, ...]:
    if scope == "AWS":
        return (store.visible_accounts(account_id)[1],)
    if scope == "Local":
        return (account_id,)
    return store.visible_accounts(account_id)


@operation("iam", "ListPolicies")
def list_policies(ctx: OperationContext, params: Params) -> Result:
    owners = _owners(params.get("Scope") or "All", ctx.account_id)
    found = store.list_policies(ctx.db, owners, path_prefix=params.get("PathPrefix") or "/")
    attached = store.attachment_counts(ctx.db, ctx.account_id)
    boundaries = store.boundary_counts(ctx.db, ctx.account_id)
    usage = params.get("PolicyUsageFilter")
    shapes = []
    for policy in sorted(found, key=lambda p: p.arn):
        a, b = attached.get(policy.arn, 0), boundaries.get(policy.arn, 0)
        if params.get("OnlyAttached") and not (a or b):
            continue
        if (usage == "PermissionsPolicy" and not a) or (usage == "PermissionsBoundary" and not b):
            continue
        shapes.append(policy_shape(policy, a, b))
    return page(shapes, params, "Policies", key=lambda s: s["Arn"])


@operation("iam", "ListEntitiesForPolicy", target=policy_target)
def list_entities_for_policy(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx, params["PolicyArn"])
    usage = params.get("PolicyUsageFilter")
    pairs: list[tuple[str, str]] = []
    if usage != "PermissionsBoundary":
        pairs += store.attachments_of_policy(ctx.db, ctx.account_id, policy.arn)
    if usage != "PermissionsPolicy":
        pairs += store.boundary_users(ctx.db, ctx.account_id, policy.arn)
    wanted = {"User": "user", "Role": "role", "Group": "group"}.get(params.get("EntityFilter", ""))
    entities = _entities(ctx.db, sorted(set(pairs)), params.get("PathPrefix") or "/", wanted)
    result = page(entities, params, "Entities", key=lambda e: f"{e[0]}:{e[1]}")
    members = {"user": ("PolicyUsers", "User"), "group": ("PolicyGroups", "Group")}
    members["role"] = ("PolicyRoles", "Role")
    out: Result = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": []}
    for kind, entity_id, name in result.pop("Entities"):
        member, prefix = members[kind]
        out[member].append({f"{prefix}Name": name, f"{prefix}Id": entity_id})
    return {**out, **result}


def _entities(
    conn: Connection, pairs: list[tuple[str, str]], prefix: str, wanted: str | None
) -> list[tuple[str, str, str]]:
    """``(kind, id, name)`` of existing entities under ``prefix``, of kind ``wanted``."""
    found: list[tuple[str, str, str]] = []
    by_kind: dict[str, Mapping[str, Any]] = {
        "user": user_store.users_by_id(conn, [i for k, i in pairs if k == "user"]),
        "group": group_store.groups_by_id(conn, [i for k, i in pairs if k == "group"]),
        "role": store.roles_by_id(conn, [i for k, i in pairs if k == "role"]),
    }
    for kind, entity_id in pairs:
        if wanted is not None and kind != wanted:
            continue
        row = by_kind[kind].get(entity_id)
        if row is not None and row.path.startswith(prefix):
            found.append((kind, entity_id, row.name))
    return found


# --- tags ------------------------------------------------------------------------------


@operation("iam", "TagPolicy", target=policy_target, request_context=request_tags)
def tag_policy(ctx: OperationContext, params: Params) -> Result:
    policy = own_policy(ctx, params["PolicyArn"])
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, tagging.POLICY_TAGS, policy.policy_id, tags, limit)
    return {}


@operation("iam", "UntagPolicy", target=policy_target, request_context=tag_keys)
def untag_policy(ctx: OperationContext, params: Params) -> Result:
    policy = own_policy(ctx, params["PolicyArn"])
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, tagging.POLICY_TAGS, policy.policy_id, keys)
    return {}


@operation("iam", "ListPolicyTags", target=policy_target)
def list_policy_tags(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx, params["PolicyArn"])
    return tagging.list_tags_result(ctx.db, tagging.POLICY_TAGS, policy.policy_id, params)
