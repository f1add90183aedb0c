"""Profiles: which roles CreateSession may give a session of, and what limits the session.

A profile lists role ARNs (at most 250), AWS managed or customer managed policy ARNs (at
most 50) and an inline session policy that together bound the session's permissions,
its duration (900-43200 seconds, default 3600), whether a caller may name the role
session (``acceptRoleSessionName``) and whether it must send instance properties. The
session policy is checked as AssumeRole's ``Policy`` is (``sts.session_policies``) when
the profile is written, so a bad one is refused here rather than at every CreateSession.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from iamd.errors import ServiceError, ValidationError
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, operation
from iamd.rolesanywhere import mappings, resources
from iamd.rolesanywhere.resources import PROFILE
from iamd.store import rolesanywhere as store
from iamd.store import tags as tag_store
from iamd.store.pagination import InvalidMarker
from iamd.sts import session_policies

DEFAULT_DURATION = 3600

_target = resources.resource_target(PROFILE, "profileId")


def _role_arns(arns: Sequence[str]) -> tuple[str, ...]:
    for value in arns:
        parsed = parse_arn(value)
        if parsed is None or parsed.service != "iam" or parsed.resource_type != "role":
            raise ValidationError(f"Invalid role ARN: '{value}'")
    return tuple(dict.fromkeys(arns))


def _policy_arns(arns: Sequence[str]) -> tuple[str, ...]:
    for value in arns:
        parsed = parse_arn(value)
        if parsed is None or parsed.service != "iam" or parsed.resource_type != "policy":
            raise ValidationError(f"Invalid managed policy ARN: '{value}'")
    return tuple(dict.fromkeys(arns))


def _check_policies(ctx: OperationContext, profile: store.Profile) -> None:
    """The session policy parses and the managed policies exist, as AssumeRole checks
    them (its MalformedPolicyDocument becomes a ValidationException here)."""
    arns = [{"arn": arn} for arn in profile.managed_policy_arns]
    try:
        session_policies.session_policies(ctx.db, ctx.account_id, profile.session_policy, arns)
    except ServiceError as exc:
        raise ValidationError(exc.message) from None


def detail(ctx: OperationContext, profile: store.Profile) -> dict[str, Any]:
    """The ``ProfileDetail`` output shape."""
    result: dict[str, Any] = {
        "profileId": profile.profile_id,
        "profileArn": resources.arn(ctx, PROFILE, profile.profile_id),
        "name": profile.name,
        "requireInstanceProperties": profile.require_instance_properties,
        "enabled": profile.enabled,
        "createdBy": profile.created_by,
        "roleArns": list(profile.role_arns),
        "managedPolicyArns": list(profile.managed_policy_arns),
        "createdAt": profile.created_at,
        "updatedAt": profile.updated_at,
        "durationSeconds": profile.duration_seconds,
        "acceptRoleSessionName": profile.accept_role_session_name,
        "attributeMappings": mappings.as_output(profile),
    }
    if profile.session_policy is not None:
        result["sessionPolicy"] = profile.session_policy
    return result


def _create_context(ctx: OperationContext, params: Params) -> Mapping[str, object]:
    return resources.request_tag_context(resources.tag_pairs(params.get("tags")))


@operation("rolesanywhere", "CreateProfile", request_context=_create_context)
def create_profile(ctx: OperationContext, params: Params) -> Result:
    pairs = resources.tag_pairs(params.get("tags"))
    profile = store.Profile(
        profile_id=resources.new_id(ctx),
        account_id=ctx.account_id,
        name=str(params["name"]),
        enabled=bool(params.get("enabled", False)),
        role_arns=_role_arns(params["roleArns"]),
        managed_policy_arns=_policy_arns(params.get("managedPolicyArns") or ()),
        session_policy=params.get("sessionPolicy"),
        duration_seconds=int(params.get("durationSeconds") or DEFAULT_DURATION),
        require_instance_properties=bool(params.get("requireInstanceProperties", False)),
        accept_role_session_name=bool(params.get("acceptRoleSessionName", False)),
        created_by=ctx.caller.arn,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    _check_policies(ctx, profile)
    store.insert_profile(ctx.db, profile)
    resources.put_tags(ctx, PROFILE, profile.profile_id, pairs)
    return {"profile": detail(ctx, profile)}


@operation("rolesanywhere", "GetProfile", target=_target)
def get_profile(ctx: OperationContext, params: Params) -> Result:
    return {"profile": detail(ctx, resources.find_profile(ctx, params["profileId"]))}


@operation("rolesanywhere", "UpdateProfile", target=_target)
def update_profile(ctx: OperationContext, params: Params) -> Result:
    profile = resources.find_profile(ctx, params["profileId"])
    changes: dict[str, Any] = {"updated_at": ctx.now}
    if params.get("name") is not None:
        changes["name"] = str(params["name"])
    if params.get("roleArns") is not None:
        changes["role_arns"] = _role_arns(params["roleArns"])
    if params.get("managedPolicyArns") is not None:
        changes["managed_policy_arns"] = _policy_arns(params["managedPolicyArns"])
    if params.get("sessionPolicy") is not None:
        changes["session_policy"] = params["sessionPolicy"]
    if params.get("durationSeconds") is not None:
        changes["duration_seconds"] = int(params["durationSeconds"])
    if params.get("acceptRoleSessionName") is not None:
        changes["accept_role_session_name"] = bool(params["acceptRoleSessionName"])
    updated = replace(profile, **changes)
    _check_policies(ctx, updated)
    store.save_profile(ctx.db, updated)
    return {"profile": detail(ctx, updated)}


def _set_enabled(ctx: OperationContext, params: Params, enabled: bool) -> Result:
    profile = resources.find_profile(ctx, params["profileId"])
    updated = replace(profile, enabled=enabled, updated_at=ctx.now)
    store.save_profile(ctx.db, updated)
    return {"profile": detail(ctx, updated)}


@operation("rolesanywhere", "EnableProfile", target=_target)
def enable_profile(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, True)


@operation("rolesanywhere", "DisableProfile", target=_target)
def disable_profile(ctx: OperationContext, params: Params) -> Result:
    return _set_enabled(ctx, params, False)


@operation("rolesanywhere", "DeleteProfile", target=_target)
def delete_profile(ctx: OperationContext, params: Params) -> Result:
    profile = resources.find_profile(ctx, params["profileId"])
    store.delete_profile(ctx.db, profile.profile_id)
    tag_store.delete_all_tags(ctx.db, resources.TAG_TYPES[PROFILE], profile.profile_id)
    return {"profile": detail(ctx, profile)}


@operation("rolesanywhere", "ListProfiles")
def list_profiles(ctx: OperationContext, params: Params) -> Result:
    token, size = resources.page_args(params)
    try:
        page = store.list_profiles(ctx.db, ctx.account_id, marker=token, max_items=size)
    except InvalidMarker:
        raise resources.invalid_token() from None
    result: Result = {"profiles": [detail(ctx, profile) for profile in page.items]}
    if page.marker is not None:
        result["nextToken"] = page.marker
    return result


# --- attribute mappings (``mappings``) -------------------------------------------------


@operation("rolesanywhere", "PutAttributeMapping", target=_target)
def put_attribute_mapping(ctx: OperationContext, params: Params) -> Result:
    profile = resources.find_profile(ctx, params["profileId"])
    specifiers = [str(rule["specifier"]) for rule in params["mappingRules"]]
    field = str(params["certificateField"])
    changed = mappings.with_field(mappings.effective(profile), field, specifiers)
    updated = replace(profile, attribute_mappings=changed, updated_at=ctx.now)
    store.save_profile(ctx.db, updated)
    return {"profile": detail(ctx, updated)}


@operation("rolesanywhere", "DeleteAttributeMapping", target=_target)
def delete_attribute_mapping(ctx: OperationContext, params: Params) -> Result:
    profile = resources.find_profile(ctx, params["profileId"])
    field = str(params["certificateField"])
    current = dict(mappings.effective(profile)).get(field, ())
    removed = params.get("specifiers")
    remaining = [s for s in current if removed and s not in removed]
    changed = mappings.with_field(mappings.effective(profile), field, remaining)
    updated = replace(profile, attribute_mappings=changed, updated_at=ctx.now)
    store.save_profile(ctx.db, updated)
    return {"profile": detail(ctx, updated)}
