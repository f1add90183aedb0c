"""Handcrafted GetAccountAuthorizationDetails for the assumers tests, shaped as IAM's
handlers return them (documents as JSON text)."""

from __future__ import annotations

import json
from typing import Any

ACCOUNT = "123456789012"
OTHER = "210987654321"
ASSUME = "sts:AssumeRole"


def arn(kind: str, name: str, account: str = ACCOUNT) -> str:
    return f"arn:aws:iam::{account}:{kind}/{name}"


ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str] = ASSUME, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str] = ASSUME, resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def trusts(principal: Any, action: str = ASSUME, **extra: Any) -> dict[str, Any]:
    """A trust statement; ``principal`` a string or list is ``{"AWS": ...}``."""
    if not isinstance(principal, dict):
        principal = {"AWS": principal}
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def _tags(tags: dict[str, str] | None) -> dict[str, Any]:
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}


def _boundary(boundary: str | None) -> dict[str, Any]:
    if boundary is None:
        return {}
    return {
        "PermissionsBoundary": {
            "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
            "PermissionsBoundaryArn": boundary,
        }
    }


def user(
    name: str,
    *statements: dict[str, Any],
    groups: tuple[str, ...] = (),
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
    user_id: str | None = None,
) -> dict[str, Any]:
    return {
        "Path": "/",
        "UserName": name,
        "UserId": user_id or f"AIDA{name.upper()}",
        "Arn": arn("user", name),
        "UserPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(*statements)}]
        if statements
        else [],
        "GroupList": list(groups),
        "AttachedManagedPolicies": [
            {"PolicyName": m.rsplit("/", 1)[-1], "PolicyArn": m} for m in managed
        ],
        **_boundary(boundary),
        **_tags(tags),
    }


def group(name: str, *statements: dict[str, Any], managed: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "Path": "/",
        "GroupName": name,
        "GroupId": f"AGPA{name.upper()}",
        "Arn": arn("group", name),
        "GroupPolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(*statements)}]
        if statements
        else [],
        "AttachedManagedPolicies": [
            {"PolicyName": m.rsplit("/", 1)[-1], "PolicyArn": m} for m in managed
        ],
    }


def role(
    name: str,
    trust: list[dict[str, Any]] | dict[str, Any],
    *statements: dict[str, Any],
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
    tags: dict[str, str] | None = None,
) -> dict[str, Any]:
    trust_statements = trust if isinstance(trust, list) else [trust]
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": f"AROA{name.upper()}",
        "Arn": arn("role", name),
        "AssumeRolePolicyDocument": doc(*trust_statements),
        "InstanceProfileList": [],
        "RolePolicyList": [{"PolicyName": "inline", "PolicyDocument": doc(*statements)}]
        if statements
        else [],
        "AttachedManagedPolicies": [
            {"PolicyName": m.rsplit("/", 1)[-1], "PolicyArn": m} for m in managed
        ],
        **_boundary(boundary),
        **_tags(tags),
    }


def managed(name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyId": f"ANPA{name.upper()}",
        "Arn": arn("policy", name),
        "DefaultVersionId": "v2",
        "PolicyVersionList": [
            {"Document": doc(deny("*")), "VersionId": "v1", "IsDefaultVersion": False},
            {"Document": doc(*statements), "VersionId": "v2", "IsDefaultVersion": True},
        ],
    }


def details(
    *,
    users: tuple[dict[str, Any], ...] = (),
    roles: tuple[dict[str, Any], ...] = (),
    groups: tuple[dict[str, Any], ...] = (),
    policies: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    return {
        "UserDetailList": list(users),
        "GroupDetailList": list(groups),
        "RoleDetailList": list(roles),
        "Policies": list(policies),
        "IsTruncated": False,
    }
