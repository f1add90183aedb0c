"""IAM roles: CreateRole, GetRole, UpdateRole, UpdateRoleDescription,
UpdateAssumeRolePolicy, DeleteRole, ListRoles and the role's tags.

Each handler is authorized on the role's ARN as AWS defines it: ``iam:CreateRole`` on the
ARN the new role will have (path included), the others on the existing role's ARN, or on
the path-less ARN when there is no such role (so AccessDenied still comes before
NoSuchEntity). The role's tags travel in ``Target.tags`` for ``aws:ResourceTag/*``;
tags and permissions boundaries in the request become ``aws:RequestTag/*``,
``aws:TagKeys`` and ``iam:PermissionsBoundary``. ListRoles is authorized on
``arn:aws:iam::ACCOUNT:role{PathPrefix}``, the form AWS names in its AccessDenied.

Inline and managed policies and the permissions boundary are in ``role_policies``;
instance profiles in ``instance_profiles``; trust policies in ``trust``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.errors import NoSuchEntity, UnmodifiableEntity, ValidationError
from iamd.iam import naming, tagging, trust
from iamd.iam.attachments import attachable_policy, check_policy_arn
from iamd.iam.naming import ROLE
from iamd.iam.tagging import ROLE_TAGS
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import roles as store
from iamd.store.db import touch_account
from iamd.store.pagination import InvalidMarker, decode_marker, encode_marker

MIN_SESSION_DURATION = 3600
MAX_SESSION_DURATION = 43200
BOUNDARY_TYPE = "PermissionsBoundaryPolicy"
ROLE_MEMO = "role"  # (ROLE_MEMO, name as asked) -> the store.Role role_target read
TAGS_MEMO = "role-tags"  # (TAGS_MEMO, role id) -> its tags, as role_target read them


# --- shared steps -------------------------------------------------------------------------


def get_role(ctx: OperationContext, name: str) -> store.Role:
    """The caller's account's role ``name`` (any case), or AWS's NoSuchEntity."""
    naming.check_name(ROLE, name)
    role: store.Role | None = ctx.recall((ROLE_MEMO, name))
    if role is None:
        role = store.get_by_name(ctx.db, ctx.account_id, name)
    if role is None:
        raise NoSuchEntity(ROLE.not_found.format(name=name))
    return role


def modifiable_role(ctx: OperationContext, name: str) -> store.Role:
    """The role, unless it is a service-linked role that only its service may change."""
    role = get_role(ctx, name)
    if role.linked_service is not None:
        raise UnmodifiableEntity(
            f"Cannot perform the operation on the protected role '{role.name}' - "
            "this role is only modifiable by AWS"
        )
    return role


def role_target(ctx: OperationContext, params: Params) -> Target:
    """The existing role's ARN and tags, or the path-less ARN of a role that is absent."""
    name = str(params.get("RoleName", ""))
    role = store.get_by_name(ctx.db, ctx.account_id, name)
    if role is None:
        return Target(ROLE.placeholder_arn(ctx.account_id, name), account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, ROLE_TAGS.resource_type, role.role_id)
    ctx.remember((ROLE_MEMO, name), role)
    ctx.remember((TAGS_MEMO, role.role_id), tags)
    return Target(role.arn, tags=tags, account=ctx.account_id)


def role_result(
    ctx: OperationContext,
    role: store.Role,
    *,
    tags: bool = True,
    boundary: bool = True,
    last_used: bool = False,
    document: str | None = None,
    tag_pairs: Mapping[str, str] | None = None,
) -> Result:
    """A ``Role`` structure; ListRoles leaves out tags, boundary and last use, as AWS does.

    ``document`` is the trust policy as displayed and ``tag_pairs`` the role's tags, when
    the caller has them already.
    """
    if document is None:
        document = trust.display_trust_policy(ctx.db, role)
    result: Result = {
        "Path": role.path,
        "RoleName": role.name,
        "RoleId": role.role_id,
        "Arn": role.arn,
        "CreateDate": role.created_at,
        "AssumeRolePolicyDocument": document,
        "Description": role.description,
        "MaxSessionDuration": role.max_session_duration,
    }
    if boundary and role.permissions_boundary_arn:
        result["PermissionsBoundary"] = {
            "PermissionsBoundaryType": BOUNDARY_TYPE,
            "PermissionsBoundaryArn": role.permissions_boundary_arn,
        }
    if tags:
        pairs = tag_pairs if tag_pairs is not None else ctx.recall((TAGS_MEMO, role.role_id))
        if pairs is None:
            pairs = tagging.tags_of(ctx.db, ROLE_TAGS.resource_type, role.role_id)
        if pairs:
            result["Tags"] = tagging.tag_list(pairs.items())
    if last_used:
        used: Result = {}
        if role.last_used_at is not None:
            used = {"LastUsedDate": role.last_used_at, "Region": role.last_used_region}
        result["RoleLastUsed"] = used
    return result


def check_session_duration(value: Any) -> int:
    """MaxSessionDuration: 3600-43200 seconds (ValidationError otherwise)."""
    seconds = int(value)
    if seconds < MIN_SESSION_DURATION:
        limit = f"greater than or equal to {MIN_SESSION_DURATION}"
    elif seconds > MAX_SESSION_DURATION:
        limit = f"less than or equal to {MAX_SESSION_DURATION}"
    else:
        return seconds
    naming.raise_violations(
        [
            "Value at 'maxSessionDuration' failed to satisfy constraint: "
            f"Member must have value {limit}"
        ]
    )
    raise AssertionError("unreachable")  # pragma: no cover


def check_description(value: str) -> str:
    naming.raise_violations(naming.length_violations(value, "description", 0, 1000))
    return value


def boundary_policy_arn(ctx: OperationContext, arn: str) -> str:
    """A permissions boundary must be an existing managed policy the account can see."""
    check_policy_arn(arn)
    try:
        attachable_policy(ctx.db, ctx.account_id, arn)
    except NoSuchEntity:
        raise NoSuchEntity(f"Scope ARN: {arn} does not exist or is not attachable.") from None
    return arn


def trust_limit(ctx: OperationContext) -> int:
    return ctx.settings.quotas.trust_policy_size


# --- request contexts ---------------------------------------------------------------------


def create_target(ctx: OperationContext, params: Params) -> Target:
    path = str(params.get("Path") or "/")
    name = str(params.get("RoleName", ""))
    return Target(ROLE.arn(ctx.account_id, path, name), account=ctx.account_id)


def create_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    context = tagging.request_tag_context(params.get("Tags"))
    if params.get("PermissionsBoundary"):
        context["iam:PermissionsBoundary"] = str(params["PermissionsBoundary"])
    return context


def tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


def list_target(ctx: OperationContext, params: Params) -> Target:
    prefix = str(params.get("PathPrefix") or "/")
    return Target(f"arn:aws:iam::{ctx.account_id}:role{prefix}", account=ctx.account_id)


# --- operations ---------------------------------------------------------------------------


@operation(
    "iam", "CreateRole", target=create_target, request_context=create_context, writes_late=True
)
def create_role(ctx: OperationContext, params: Params) -> Result:
    name = str(params["RoleName"])
    path = str(params.get("Path") or "/")
    naming.raise_violations(naming.name_violations(ROLE, name) + naming.path_violations(path))
    description = params.get("Description")
    if description is not None:
        check_description(str(description))
    duration = check_session_duration(params.get("MaxSessionDuration") or MIN_SESSION_DURATION)
    tags = tagging.parse_tags(params.get("Tags"))
    if len(tags) > ctx.settings.quotas.tags_per_entity:
        raise naming.quota_exceeded(ROLE_TAGS.quota_name, ctx.settings.quotas.tags_per_entity)
    # Everything up to ``start_writing`` runs outside the write lock. The trust policy's
    # principals are resolved there: one deleted meanwhile is one deleted just after the
    # role was created. The name is checked by the unique index at the insert.
    seen = (ctx.account_id, ctx.counter) if ctx.counter is not None else None
    trust_policy = trust.validate_trust_policy(
        ctx.db, str(params["AssumeRolePolicyDocument"]), trust_limit(ctx), seen=seen
    )
    boundary = params.get("PermissionsBoundary")
    role = store.Role(
        role_id=unique_id(IdPrefix.ROLE, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=ROLE.arn(ctx.account_id, path, name),
        assume_role_policy=trust_policy.text,
        trust_principal_ids=trust_policy.principal_ids,
        description=None if description is None else str(description),
        max_session_duration=duration,
        created_at=ctx.now,
        permissions_boundary_arn=str(boundary) if boundary else None,
        last_used_at=None,
        last_used_region=None,
        linked_service=None,
    )
    row = store.row_values(role)
    ctx.start_writing()
    if boundary:  # the policy must still exist, and not be deleted under the new role
        touch_account(ctx.db, ctx.account_id)
        boundary_policy_arn(ctx, str(boundary))
    naming.insert_entity(ctx.db, ROLE, name, row)
    naming.count_created(ctx.db, ROLE, ctx.account_id, ctx.settings.quotas)
    tagging.apply_tags(ctx.db, ROLE_TAGS, role.role_id, tags, ctx.settings.quotas.tags_per_entity)
    # Its principals were resolved just now, so the document displays as submitted.
    created = role_result(ctx, role, document=trust_policy.text, tag_pairs=dict(tags))
    if params.get("MaxSessionDuration") is None:
        # AWS's CreateRole leaves out the default it applied (GetRole shows it).
        del created["MaxSessionDuration"]
    return {"Role": created}


@operation("iam", "GetRole", target=role_target)
def get_role_op(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    return {"Role": role_result(ctx, role, last_used=True)}


@operation("iam", "UpdateRole", target=role_target)
def update_role(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    values: dict[str, object] = {}
    if params.get("Description") is not None:
        values["description"] = check_description(str(params["Description"]))
    if params.get("MaxSessionDuration") is not None:
        values["max_session_duration"] = check_session_duration(params["MaxSessionDuration"])
        # A service-linked role's description may change, nothing else (spec 5.6).
        role = modifiable_role(ctx, role.name)
    if values:
        touch_account(ctx.db, ctx.account_id)
        store.update_role(ctx.db, role.role_id, **values)
    return {}


@operation("iam", "UpdateRoleDescription", target=role_target)
def update_role_description(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    description = check_description(str(params["Description"]))
    touch_account(ctx.db, ctx.account_id)
    store.update_role(ctx.db, role.role_id, description=description)
    updated = store.get_by_id(ctx.db, role.role_id)
    assert updated is not None
    return {"Role": role_result(ctx, updated)}


@operation("iam", "UpdateAssumeRolePolicy", target=role_target)
def update_assume_role_policy(ctx: OperationContext, params: Params) -> Result:
    role = modifiable_role(ctx, str(params["RoleName"]))
    policy = trust.validate_trust_policy(ctx.db, str(params["PolicyDocument"]), trust_limit(ctx))
    touch_account(ctx.db, ctx.account_id)
    store.update_role(
        ctx.db,
        role.role_id,
        assume_role_policy=policy.text,
        trust_principal_ids=policy.principal_ids,
    )
    return {}


@operation("iam", "DeleteRole", target=role_target)
def delete_role(ctx: OperationContext, params: Params) -> Result:
    from iamd.iam.role_policies import check_deletable  # avoids an import cycle

    role = modifiable_role(ctx, str(params["RoleName"]))
    touch_account(ctx.db, ctx.account_id)
    check_deletable(ctx, role)
    tagging.delete_all_tags(ctx.db, ROLE_TAGS, role.role_id)
    store.delete_role(ctx.db, role.role_id)
    naming.count_deleted(ctx.db, ROLE, ctx.account_id)
    return {}


@operation("iam", "ListRoles", target=list_target)
def list_roles(ctx: OperationContext, params: Params) -> Result:
    prefix = str(params.get("PathPrefix") or "/")
    naming.raise_violations(naming.path_prefix_violations(prefix))
    limit = int(params.get("MaxItems") or 100)
    after = marker_after(params.get("Marker"))
    roles = store.list_page(ctx.db, ctx.account_id, prefix, after, limit + 1)
    page = roles[:limit]
    documents = trust.display_trust_policies(ctx.db, page)
    result: Result = {
        "Roles": [
            role_result(ctx, r, tags=False, boundary=False, document=documents[r.role_id])
            for r in page
        ],
        "IsTruncated": len(roles) > limit,
    }
    if len(roles) > limit:
        result["Marker"] = encode_marker([page[-1].name.lower()])
    return result


def marker_after(marker: object) -> str | None:
    """The name a ListRoles/ListInstanceProfiles marker resumes after; InvalidInput if bad."""
    if not marker:
        return None
    try:
        (after,) = decode_marker(str(marker), 1, strings=True)
    except InvalidMarker:
        raise ValidationError("Invalid Marker.") from None
    return str(after)


# --- tags ---------------------------------------------------------------------------------


@operation("iam", "TagRole", target=role_target, request_context=tag_context)
def tag_role(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    tagging.apply_tags(ctx.db, ROLE_TAGS, role.role_id, tags, ctx.settings.quotas.tags_per_entity)
    return {}


@operation("iam", "UntagRole", target=role_target, request_context=untag_context)
def untag_role(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, ROLE_TAGS, role.role_id, keys)
    return {}


@operation("iam", "ListRoleTags", target=role_target)
def list_role_tags(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    return tagging.list_tags_result(ctx.db, ROLE_TAGS, role.role_id, params)
