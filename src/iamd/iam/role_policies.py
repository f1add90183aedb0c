"""A role's permissions: inline policies, attached managed policies, its boundary.

Put/Get/Delete/ListRolePolicies, Attach/Detach/ListAttachedRolePolicies and
Put/DeleteRolePermissionsBoundary, on the shared implementations of
``inline_policies`` and ``attachments``. All are authorized on the role's ARN with its
tags (``roles.role_target``); Attach/Detach add ``iam:PolicyARN`` and the boundary
operations ``iam:PermissionsBoundary`` to the request context. Service-linked roles
refuse every change (UnmodifiableEntity).

DeleteRole's preconditions live here too (``check_deletable``): a role with inline
policies, attached policies or an instance profile cannot be deleted (DeleteConflict).
"""

from __future__ import annotations

from collections.abc import Mapping

from iamd.errors import DeleteConflict
from iamd.iam import attachments, inline_policies
from iamd.iam.attachments import Entity
from iamd.iam.roles import boundary_policy_arn, get_role, modifiable_role, role_target
from iamd.operations import OperationContext, Params, Result, operation
from iamd.policy import PolicyKind
from iamd.store import instance_profiles as profile_store
from iamd.store import roles as store
from iamd.store.db import touch_account

MUST_DELETE_POLICIES = "Cannot delete entity, must delete policies first."
MUST_DETACH_POLICIES = "Cannot delete entity, must detach all policies first."
MUST_LEAVE_PROFILES = "Cannot delete entity, must remove roles from instance profile first."


def entity(role: store.Role) -> Entity:
    return Entity(kind="role", entity_id=role.role_id, name=role.name, account_id=role.account_id)


def check_deletable(ctx: OperationContext, role: store.Role) -> None:
    """DeleteConflict, in AWS's words, while anything still hangs on the role."""
    the_role = entity(role)
    if inline_policies.has_inline_policies(ctx, the_role):
        raise DeleteConflict(MUST_DELETE_POLICIES)
    if attachments.attached_policies(ctx.db, the_role):
        raise DeleteConflict(MUST_DETACH_POLICIES)
    if profile_store.profiles_for_role(ctx.db, role.role_id):
        raise DeleteConflict(MUST_LEAVE_PROFILES)


def policy_arn_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return {"iam:PolicyARN": str(params.get("PolicyArn", ""))}


def boundary_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return {"iam:PermissionsBoundary": str(params.get("PermissionsBoundary", ""))}


def current_boundary_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    """DeleteRolePermissionsBoundary: the boundary being removed, if the role has one."""
    role = store.get_by_name(ctx.db, ctx.account_id, str(params.get("RoleName", "")))
    if role is None or not role.permissions_boundary_arn:
        return {}
    return {"iam:PermissionsBoundary": role.permissions_boundary_arn}


# --- inline policies ----------------------------------------------------------------------


@operation("iam", "PutRolePolicy", target=role_target)
def put_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    inline_policies.put_inline_policy(
        ctx,
        entity(role),
        str(params["PolicyName"]),
        str(params["PolicyDocument"]),
        kind=PolicyKind.IDENTITY,
    )
    return {}


@operation("iam", "GetRolePolicy", target=role_target)
def get_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    name = str(params["PolicyName"])
    document = inline_policies.get_inline_policy(ctx, entity(role), name)
    return {"RoleName": role.name, "PolicyName": name, "PolicyDocument": document}


@operation("iam", "DeleteRolePolicy", target=role_target)
def delete_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    inline_policies.delete_inline_policy(ctx, entity(role), str(params["PolicyName"]))
    return {}


@operation("iam", "ListRolePolicies", target=role_target)
def list_role_policies(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    return inline_policies.list_inline_policies(ctx, entity(role), params)


# --- managed policies ---------------------------------------------------------------------


@operation("iam", "AttachRolePolicy", target=role_target, request_context=policy_arn_context)
def attach_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    attachments.attach_policy(ctx, entity(role), str(params["PolicyArn"]))
    return {}


@operation("iam", "DetachRolePolicy", target=role_target, request_context=policy_arn_context)
def detach_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    attachments.detach_policy(ctx, entity(role), str(params["PolicyArn"]))
    return {}


@operation("iam", "ListAttachedRolePolicies", target=role_target)
def list_attached_role_policies(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    return attachments.list_attached(ctx, entity(role), params)


# --- permissions boundary -----------------------------------------------------------------


@operation(
    "iam", "PutRolePermissionsBoundary", target=role_target, request_context=boundary_context
)
def put_role_permissions_boundary(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    arn = boundary_policy_arn(ctx, str(params["PermissionsBoundary"]))
    touch_account(ctx.db, ctx.account_id)
    store.update_role(ctx.db, role.role_id, permissions_boundary_arn=arn)
    return {}


@operation(
    "iam",
    "DeleteRolePermissionsBoundary",
    target=role_target,
    request_context=current_boundary_context,
)
def delete_role_permissions_boundary(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    touch_account(ctx.db, ctx.account_id)
    store.update_role(ctx.db, role.role_id, permissions_boundary_arn=None)
    return {}
