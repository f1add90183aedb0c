"""Instance profiles: Create/Get/Delete/ListInstanceProfiles,
Add/RemoveRoleFromInstanceProfile, ListInstanceProfilesForRole and the profile's tags.

A profile holds at most one role (LimitExceeded ``Cannot exceed quota for
InstanceSessionsPerInstanceProfile: 1``); a profile with a role cannot be deleted, and
neither can a role in a profile (``role_policies.check_deletable``). Operations on a
profile are authorized on its ARN (``arn:aws:iam::ACCOUNT:instance-profile{path}{name}``)
with its tags; ListInstanceProfilesForRole on the role's.
"""

from __future__ import annotations

from collections.abc import Mapping

from iamd.errors import DeleteConflict, LimitExceeded, NoSuchEntity, ValidationError
from iamd.iam import naming, tagging
from iamd.iam.naming import INSTANCE_PROFILE
from iamd.iam.roles import get_role, marker_after, modifiable_role, role_result, role_target
from iamd.iam.tagging import INSTANCE_PROFILE_TAGS
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import instance_profiles as store
from iamd.store import roles as role_store
from iamd.store.db import touch_account
from iamd.store.pagination import InvalidMarker, encode_marker, paginate_sequence

ONE_ROLE_QUOTA = "InstanceSessionsPerInstanceProfile"
MUST_REMOVE_ROLES = "Cannot delete entity, must remove roles from instance profile first."


def get_profile(ctx: OperationContext, name: str) -> store.InstanceProfile:
    naming.check_name(INSTANCE_PROFILE, name)
    profile = store.get_by_name(ctx.db, ctx.account_id, name)
    if profile is None:
        raise NoSuchEntity(INSTANCE_PROFILE.not_found.format(name=name))
    return profile


def profile_target(ctx: OperationContext, params: Params) -> Target:
    name = str(params.get("InstanceProfileName", ""))
    profile = store.get_by_name(ctx.db, ctx.account_id, name)
    if profile is None:
        arn = INSTANCE_PROFILE.placeholder_arn(ctx.account_id, name)
        return Target(arn, account=ctx.account_id)
    tags = tagging.tags_of(ctx.db, INSTANCE_PROFILE_TAGS.resource_type, profile.instance_profile_id)
    return Target(profile.arn, tags=tags, account=ctx.account_id)


def create_target(ctx: OperationContext, params: Params) -> Target:
    path = str(params.get("Path") or "/")
    name = str(params.get("InstanceProfileName", ""))
    return Target(INSTANCE_PROFILE.arn(ctx.account_id, path, name), account=ctx.account_id)


def list_target(ctx: OperationContext, params: Params) -> Target:
    prefix = str(params.get("PathPrefix") or "/")
    return Target(f"arn:aws:iam::{ctx.account_id}:instance-profile{prefix}", account=ctx.account_id)


def tag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def untag_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


def profile_result(
    ctx: OperationContext, profile: store.InstanceProfile, *, tags: bool = True
) -> Result:
    """An ``InstanceProfile`` structure with its roles (as ListRoles shows roles)."""
    roles = [
        role_store.get_by_id(ctx.db, rid)
        for rid in store.role_ids(ctx.db, profile.instance_profile_id)
    ]
    result: Result = {
        "Path": profile.path,
        "InstanceProfileName": profile.name,
        "InstanceProfileId": profile.instance_profile_id,
        "Arn": profile.arn,
        "CreateDate": profile.created_at,
        "Roles": [role_result(ctx, r, tags=False, boundary=False) for r in roles if r],
    }
    if tags:
        pairs = tagging.tags_of(
            ctx.db, INSTANCE_PROFILE_TAGS.resource_type, profile.instance_profile_id
        )
        result["Tags"] = tagging.tag_list(pairs.items())  # [] when none, as AWS answers
    return result


@operation("iam", "CreateInstanceProfile", target=create_target, request_context=tag_context)
def create_instance_profile(ctx: OperationContext, params: Params) -> Result:
    name = str(params["InstanceProfileName"])
    path = str(params.get("Path") or "/")
    naming.raise_violations(
        naming.name_violations(INSTANCE_PROFILE, name) + naming.path_violations(path)
    )
    tags = tagging.parse_tags(params.get("Tags"))
    limit = ctx.settings.quotas.tags_per_entity
    profile = store.InstanceProfile(
        instance_profile_id=unique_id(IdPrefix.INSTANCE_PROFILE, ctx.random),
        account_id=ctx.account_id,
        name=name,
        path=path,
        arn=INSTANCE_PROFILE.arn(ctx.account_id, path, name),
        created_at=ctx.now,
    )
    naming.insert_entity(ctx.db, INSTANCE_PROFILE, name, store.row_values(profile))
    naming.count_created(ctx.db, INSTANCE_PROFILE, ctx.account_id, ctx.settings.quotas)
    tagging.apply_tags(ctx.db, INSTANCE_PROFILE_TAGS, profile.instance_profile_id, tags, limit)
    return {"InstanceProfile": profile_result(ctx, profile)}


@operation("iam", "GetInstanceProfile", target=profile_target)
def get_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    return {"InstanceProfile": profile_result(ctx, profile)}


@operation("iam", "DeleteInstanceProfile", target=profile_target)
def delete_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    if store.role_ids(ctx.db, profile.instance_profile_id):
        raise DeleteConflict(MUST_REMOVE_ROLES)
    touch_account(ctx.db, ctx.account_id)
    tagging.delete_all_tags(ctx.db, INSTANCE_PROFILE_TAGS, profile.instance_profile_id)
    store.delete_profile(ctx.db, profile.instance_profile_id)
    naming.count_deleted(ctx.db, INSTANCE_PROFILE, ctx.account_id)
    return {}


@operation("iam", "ListInstanceProfiles", target=list_target)
def list_instance_profiles(ctx: OperationContext, params: Params) -> Result:
    prefix = str(params.get("PathPrefix") or "/")
    naming.raise_violations(naming.path_prefix_violations(prefix))
    limit = int(params.get("MaxItems") or 100)
    after = marker_after(params.get("Marker"))
    profiles = store.list_page(ctx.db, ctx.account_id, prefix, after, limit + 1)
    page = profiles[:limit]
    result: Result = {
        "InstanceProfiles": [profile_result(ctx, p, tags=False) for p in page],
        "IsTruncated": len(profiles) > limit,
    }
    if len(profiles) > limit:
        result["Marker"] = encode_marker([page[-1].name.lower()])
    return result


@operation("iam", "AddRoleToInstanceProfile", target=profile_target)
def add_role_to_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    role = modifiable_role(ctx, str(params["RoleName"]))
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.roles_per_instance_profile
    if len(store.role_ids(ctx.db, profile.instance_profile_id)) >= limit:
        raise LimitExceeded(f"Cannot exceed quota for {ONE_ROLE_QUOTA}: {limit}")
    store.add_role(ctx.db, profile.instance_profile_id, role.role_id)
    return {}


@operation("iam", "RemoveRoleFromInstanceProfile", target=profile_target)
def remove_role_from_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    role = get_role(ctx, str(params["RoleName"]))
    touch_account(ctx.db, ctx.account_id)
    if not store.remove_role(ctx.db, profile.instance_profile_id, role.role_id):
        raise NoSuchEntity(f"The role with name {role.name} cannot be found.")
    return {}


@operation("iam", "ListInstanceProfilesForRole", target=role_target)
def list_instance_profiles_for_role(ctx: OperationContext, params: Params) -> Result:
    role = get_role(ctx, str(params["RoleName"]))
    profiles = store.profiles_for_role(ctx.db, role.role_id)
    try:
        page = paginate_sequence(
            profiles,
            key=lambda p: p.name.lower(),
            marker=params.get("Marker"),
            max_items=params.get("MaxItems"),
        )
    except (InvalidMarker, ValueError):
        raise ValidationError("Invalid Marker.") from None
    result: Result = {
        "InstanceProfiles": [profile_result(ctx, p, tags=False) for p in page.items],
        "IsTruncated": page.is_truncated,
    }
    if page.marker is not None:
        result["Marker"] = page.marker
    return result


@operation("iam", "TagInstanceProfile", target=profile_target, request_context=tag_context)
def tag_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    tags = tagging.parse_tags(params.get("Tags"))
    touch_account(ctx.db, ctx.account_id)
    limit = ctx.settings.quotas.tags_per_entity
    tagging.apply_tags(ctx.db, INSTANCE_PROFILE_TAGS, profile.instance_profile_id, tags, limit)
    return {}


@operation("iam", "UntagInstanceProfile", target=profile_target, request_context=untag_context)
def untag_instance_profile(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    keys = tagging.parse_tag_keys(params.get("TagKeys"))
    touch_account(ctx.db, ctx.account_id)
    tagging.untag(ctx.db, INSTANCE_PROFILE_TAGS, profile.instance_profile_id, keys)
    return {}


@operation("iam", "ListInstanceProfileTags", target=profile_target)
def list_instance_profile_tags(ctx: OperationContext, params: Params) -> Result:
    profile = get_profile(ctx, str(params["InstanceProfileName"]))
    return tagging.list_tags_result(
        ctx.db, INSTANCE_PROFILE_TAGS, profile.instance_profile_id, params
    )
