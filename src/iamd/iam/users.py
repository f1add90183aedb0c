"""IAM users: Create/Get/Update/Delete/ListUsers, their tags and permissions boundary.

Every action on an existing user is authorized on the user's real ARN (with its path)
and its tags (``aws:ResourceTag/*``); on a user that does not exist, on the path-less
ARN, so that AccessDenied comes before NoSuchEntity for a caller who may not look.
Operations that default to the caller when ``UserName`` is omitted (GetUser, the access
key operations) resolve the caller's own user; the root user stands for itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.errors import DeleteConflict, ValidationError
from iamd.iam import naming, tagging
from iamd.iam.attachments import Entity, attachable_policy, page_result, paged
from iamd.model.caller import CallerKind
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import access_keys as key_store
from iamd.store import groups as group_store
from iamd.store import policies as policy_store
from iamd.store import tags as tag_store
from iamd.store import user_credentials as credential_store
from iamd.store import users as store
from iamd.store.accounts import get_account
from iamd.store.db import touch_account
from iamd.store.users import User

USER = naming.USER
NON_USER_CALLER = "Must specify userName when calling with non-User credentials"


# --- lookups and targets ---------------------------------------------------------------


def get_user(ctx: OperationContext, name: str) -> User:
    """The user ``name`` in the caller's account, or NoSuchEntity."""
    return store.user_from_row(naming.get_by_name(ctx.db, USER, ctx.account_id, name))


def caller_user_name(ctx: OperationContext, params: Params) -> str | None:
    """``UserName``, else the calling user's own name; None for the root user."""
    name = params.get("UserName")
    if name:
        return str(name)
    if ctx.caller.kind is CallerKind.USER and ctx.caller.name:
        return ctx.caller.name
    if ctx.caller.is_root:
        return None
    raise ValidationError(NON_USER_CALLER)


def entity(user: User) -> Entity:
    return Entity("user", user.user_id, user.name, user.account_id)


def target_of_name(ctx: OperationContext, name: str) -> Target:
    row = naming.find_by_name(ctx.db, USER, ctx.account_id, name)
    if row is None:
        return Target(USER.placeholder_arn(ctx.account_id, name), account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, "user", row.user_id)
    return Target(row.arn, tags=tags, account=ctx.account_id)


def user_target(ctx: OperationContext, params: Params) -> Target:
    """The user named by ``UserName`` (or the caller's own user; the root for root)."""
    name = caller_user_name(ctx, params)
    if name is None:
        return Target(ctx.caller.arn, account=ctx.account_id)
    return target_of_name(ctx, name)


def new_user_target(ctx: OperationContext, params: Params) -> Target:
    path = params.get("Path") or "/"
    return Target(USER.arn(ctx.account_id, path, params["UserName"]), account=ctx.account_id)


def create_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    context = tagging.request_tag_context(params.get("Tags"))
    if params.get("PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = params["PermissionsBoundary"]
    return context


def boundary_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return {"iam:PermissionsBoundary": params["PermissionsBoundary"]}


def current_boundary_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    row = naming.find_by_name(ctx.db, USER, ctx.account_id, params["UserName"])
    arn = row.permissions_boundary_arn if row is not None else None
    return {"iam:PermissionsBoundary": arn} if arn else {}


def tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


# --- shapes ----------------------------------------------------------------------------


def boundary_shape(arn: str | None) -> dict[str, str] | None:
    if arn is None:
        return None
    return {"PermissionsBoundaryType": "PermissionsBoundaryPolicy", "PermissionsBoundaryArn": arn}


def user_shape(user: User, tags: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """The ``User`` output shape; ``tags`` None leaves out Tags and the boundary (lists)."""
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.user_id,
        "Arn": user.arn,
        "CreateDate": user.created_at,
    }
    if user.password_last_used is not None:
        shape["PasswordLastUsed"] = user.password_last_used
    if tags is not None:
        if user.permissions_boundary_arn:
            shape["PermissionsBoundary"] = boundary_shape(user.permissions_boundary_arn)
        if tags:
            shape["Tags"] = tagging.tag_list(tags)
    return shape


def root_shape(ctx: OperationContext) -> dict[str, Any]:
    account = get_account(ctx.db, ctx.account_id)
    created = account.created_at if account is not None else ctx.now
    return {"UserId": ctx.account_id, "Arn": ctx.caller.arn, "CreateDate": created}


# --- operations ------------------------------------------------------------------------


@operation("iam", "CreateUser", target=new_user_target, request_context=create_context)
def create_user(ctx: OperationContext, params: Params) -> Result:
    name, path = params["UserName"], params.get("Path") or "/"
    naming.check_name(USER, name)
    naming.check_path(path)
    tags = tagging.parse_tags(params.get("Tags"))
    boundary = params.get("PermissionsBoundary")
    if boundary:  # the policy must still exist, and not be deleted under the new user
        touch_account(ctx.db, ctx.account_id)
        attachable_policy(ctx.db, ctx.account_id, boundary)
    user = User(
        user_id=unique_id(IdPrefix.USER, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=USER.arn(ctx.account_id, path, name),
        created_at=ctx.now,
        permissions_boundary_arn=boundary or None,
        password_last_used=None,
    )
    values = {
        "user_id": user.user_id,
        "account_id": user.account_id,
        "name": name,
        "name_lower": name.lower(),
        "path": path,
        "arn": user.arn,
        "created_at": ctx.now,
        "permissions_boundary_arn": user.permissions_boundary_arn,
    }
    naming.insert_entity(ctx.db, USER, name, values)
    naming.count_created(ctx.db, USER, ctx.account_id, ctx.settings.quotas)
    tagging.apply_tags(ctx.db, tagging.USER_TAGS, user.user_id, tags, _tag_limit(ctx))
    return {"User": user_shape(user, tags)}


@operation("iam", "GetUser", target=user_target)
def get_user_op(ctx: OperationContext, params: Params) -> Result:
    name = caller_user_name(ctx, params)
    if name is None:
        return {"User": root_shape(ctx)}
    user = get_user(ctx, name)
    return {"User": user_shape(user, tag_store.get_tags(ctx.db, "user", user.user_id))}


@operation("iam", "ListUsers")
def list_users(ctx: OperationContext, params: Params) -> Result:
    found = paged(
        lambda: store.list_users(
            ctx.db,
            ctx.account_id,
            path_prefix=params.get("PathPrefix") or "/",
            marker=params.get("Marker"),
            max_items=params.get("MaxItems"),
        )
    )
    return page_result(found, "Users", [user_shape(store.user_from_row(r)) for r in found.items])


@operation("iam", "UpdateUser", target=user_target)
def update_user(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    naming.rename(
        ctx,
        USER,
        action="iam:UpdateUser",
        name=user.name,
        arn=user.arn,
        new_name=params.get("NewUserName") or user.name,
        new_path=params.get("NewPath") or user.path,
        member="newUserName",
        update=lambda name, path, arn: store.update_user(
            ctx.db, user.user_id, name=name, path=path, arn=arn
        ),
    )
    return {}


@operation("iam", "DeleteUser", target=user_target)
def delete_user(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    touch_account(ctx.db, ctx.account_id)
    check_deletable(ctx, user)
    tagging.delete_all_tags(ctx.db, tagging.USER_TAGS, user.user_id)
    store.delete_user(ctx.db, user.user_id)
    naming.count_deleted(ctx.db, USER, ctx.account_id)
    return {}


def check_deletable(ctx: OperationContext, user: User) -> None:
    """DeleteConflict, in AWS's words, while anything still hangs off the user."""
    if credential_store.has_login_profile(ctx.db, user.user_id):
        raise DeleteConflict("Cannot delete entity, must delete login profile first.")
    if key_store.count_access_keys(ctx.db, ctx.account_id, user.user_id):
        raise DeleteConflict("Cannot delete entity, must delete access keys first.")
    if credential_store.SIGNING_CERTIFICATES.count_of_user(ctx.db, user.user_id):
        raise DeleteConflict("Cannot delete entity, must delete signing certificates first.")
    if credential_store.SSH_KEYS.count_of_user(
        ctx.db, user.user_id
    ) or credential_store.SERVICE_CREDENTIALS.count_of_user(ctx.db, user.user_id):
        raise DeleteConflict("Cannot delete entity, must remove referenced objects first.")
    if store.count_mfa_devices(ctx.db, user.user_id):
        raise DeleteConflict("Cannot delete entity, must delete MFA device first.")
    if policy_store.count_inline(ctx.db, "user", user.user_id):
        raise DeleteConflict("Cannot delete entity, must delete policies first.")
    if policy_store.attached_arns(ctx.db, "user", user.user_id):
        raise DeleteConflict("Cannot delete entity, must detach all policies first.")
    if group_store.count_memberships(ctx.db, user.user_id):
        raise DeleteConflict("Cannot delete entity, must remove users from group first.")


# --- boundary and tags -----------------------------------------------------------------


@operation(
    "iam",
    "PutUserPermissionsBoundary",
    target=user_target,
    request_context=boundary_context,
)
def put_user_permissions_boundary(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    attachable_policy(ctx.db, ctx.account_id, params["PermissionsBoundary"])
    touch_account(ctx.db, ctx.account_id)
    store.set_boundary(ctx.db, user.user_id, params["PermissionsBoundary"])
    return {}


@operation(
    "iam",
    "DeleteUserPermissionsBoundary",
    target=user_target,
    request_context=current_boundary_context,
)
def delete_user_permissions_boundary(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    touch_account(ctx.db, ctx.account_id)
    store.set_boundary(ctx.db, user.user_id, None)
    return {}


def _tag_limit(ctx: OperationContext) -> int:
    return ctx.settings.quotas.tags_per_entity


@operation("iam", "TagUser", target=user_target, request_context=tag_context)
def tag_user(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    tagging.apply_tags(ctx.db, tagging.USER_TAGS, user.user_id, tags, _tag_limit(ctx))
    return {}


@operation("iam", "UntagUser", target=user_target, request_context=untag_context)
def untag_user(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, tagging.USER_TAGS, user.user_id, keys)
    return {}


@operation("iam", "ListUserTags", target=user_target)
def list_user_tags(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    return tagging.list_tags_result(ctx.db, tagging.USER_TAGS, user.user_id, params)
