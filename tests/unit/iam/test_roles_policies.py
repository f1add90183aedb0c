"""A role's policies, boundary, instance profiles and DeleteRole's preconditions."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamd.config import Quotas
from iamd.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
)

from .conftest import create_role
from .harness import ACCOUNT, Harness, make_harness

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


def make_policy(h: Harness, name: str, path: str = "/") -> str:
    policy = h.call("CreatePolicy", {"PolicyName": name, "PolicyDocument": POLICY, "Path": path})
    return str(policy["Policy"]["Arn"])


@pytest.fixture
def ph(tmp_path: Path) -> Harness:
    import importlib

    importlib.import_module("iamd.iam.managed_policies")
    return make_harness(tmp_path)


def test_inline_policies(ph: Harness) -> None:
    create_role(ph, "app")
    ph.call("PutRolePolicy", {"RoleName": "app", "PolicyName": "p1", "PolicyDocument": POLICY})
    ph.call("PutRolePolicy", {"RoleName": "app", "PolicyName": "p0", "PolicyDocument": POLICY})
    got = ph.call("GetRolePolicy", {"RoleName": "APP", "PolicyName": "p1"})
    assert got == {"RoleName": "app", "PolicyName": "p1", "PolicyDocument": POLICY}
    listed = ph.call("ListRolePolicies", {"RoleName": "app"})
    assert sorted(listed["PolicyNames"]) == ["p0", "p1"] and listed["IsTruncated"] is False
    assert ph.last_target().arn == f"arn:aws:iam::{ACCOUNT}:role/app"
    with pytest.raises(NoSuchEntity, match=r"^The role policy with name nope cannot be found\.$"):
        ph.call("GetRolePolicy", {"RoleName": "app", "PolicyName": "nope"})
    with pytest.raises(MalformedPolicyDocument):
        ph.call("PutRolePolicy", {"RoleName": "app", "PolicyName": "bad", "PolicyDocument": "{}"})
    ph.call("DeleteRolePolicy", {"RoleName": "app", "PolicyName": "p1"})
    assert ph.call("ListRolePolicies", {"RoleName": "app"})["PolicyNames"] == ["p0"]
    with pytest.raises(NoSuchEntity):
        ph.call("PutRolePolicy", {"RoleName": "x", "PolicyName": "p", "PolicyDocument": POLICY})


def test_attached_policies(ph: Harness) -> None:
    create_role(ph, "app")
    mine = make_policy(ph, "mine", "/team/")
    admin = ph.seed_aws_policy("AdministratorAccess", POLICY)
    ph.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": mine})
    assert ph.authorized[-1][2] == {"iam:PolicyARN": mine}
    ph.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": admin})
    ph.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": admin})  # idempotent
    listed = ph.call("ListAttachedRolePolicies", {"RoleName": "app"})["AttachedPolicies"]
    assert {p["PolicyArn"] for p in listed} == {mine, admin}
    only_team = ph.call("ListAttachedRolePolicies", {"RoleName": "app", "PathPrefix": "/team/"})
    assert only_team["AttachedPolicies"] == [{"PolicyName": "mine", "PolicyArn": mine}]
    ph.call("DetachRolePolicy", {"RoleName": "app", "PolicyArn": mine})
    with pytest.raises(NoSuchEntity):
        ph.call("DetachRolePolicy", {"RoleName": "app", "PolicyArn": mine})
    ghost = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    with pytest.raises(NoSuchEntity, match="does not exist or is not attachable"):
        ph.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": ghost})


def test_attached_policies_quota(tmp_path: Path) -> None:
    import importlib

    importlib.import_module("iamd.iam.managed_policies")
    h = make_harness(tmp_path, Quotas(managed_policies_per_entity=2))
    create_role(h, "app")
    arns = [make_policy(h, f"p{i}") for i in range(3)]
    for arn in arns[:2]:
        h.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": arn})
    with pytest.raises(LimitExceeded, match=r"^Cannot exceed quota for PoliciesPerRole: 2$"):
        h.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": arns[2]})


def test_permissions_boundary(ph: Harness) -> None:
    boundary = make_policy(ph, "boundary")
    role = create_role(ph, "app", PermissionsBoundary=boundary)
    assert ph.authorized[-1][2] == {"iam:PermissionsBoundary": boundary}
    assert role["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary,
    }
    ph.call("DeleteRolePermissionsBoundary", {"RoleName": "app"})
    assert ph.authorized[-1][2] == {"iam:PermissionsBoundary": boundary}
    assert "PermissionsBoundary" not in ph.call("GetRole", {"RoleName": "app"})["Role"]
    ph.call("PutRolePermissionsBoundary", {"RoleName": "app", "PermissionsBoundary": boundary})
    got = ph.call("GetRole", {"RoleName": "app"})["Role"]
    assert got["PermissionsBoundary"]["PermissionsBoundaryArn"] == boundary
    assert "PermissionsBoundary" not in ph.call("ListRoles", {})["Roles"][0]


def test_boundary_must_be_an_existing_policy(ph: Harness) -> None:
    ghost = f"arn:aws:iam::{ACCOUNT}:policy/ghost"
    with pytest.raises(NoSuchEntity, match=rf"^Scope ARN: {ghost} does not exist"):
        create_role(ph, "app", PermissionsBoundary=ghost)
    create_role(ph, "app")
    with pytest.raises(NoSuchEntity):
        ph.call("PutRolePermissionsBoundary", {"RoleName": "app", "PermissionsBoundary": ghost})


def test_delete_conflicts(ph: Harness) -> None:
    create_role(ph, "app")
    arn = make_policy(ph, "p")
    ph.call("PutRolePolicy", {"RoleName": "app", "PolicyName": "i", "PolicyDocument": POLICY})
    with pytest.raises(
        DeleteConflict, match=r"^Cannot delete entity, must delete policies first\.$"
    ):
        ph.call("DeleteRole", {"RoleName": "app"})
    ph.call("DeleteRolePolicy", {"RoleName": "app", "PolicyName": "i"})
    ph.call("AttachRolePolicy", {"RoleName": "app", "PolicyArn": arn})
    with pytest.raises(DeleteConflict, match="must detach all policies first"):
        ph.call("DeleteRole", {"RoleName": "app"})
    ph.call("DetachRolePolicy", {"RoleName": "app", "PolicyArn": arn})
    ph.call("CreateInstanceProfile", {"InstanceProfileName": "ip"})
    ph.call("AddRoleToInstanceProfile", {"InstanceProfileName": "ip", "RoleName": "app"})
    with pytest.raises(DeleteConflict, match="must remove roles from instance profile first"):
        ph.call("DeleteRole", {"RoleName": "app"})
    ph.call("GetRole", {"RoleName": "app"})  # the failed calls changed nothing
    ph.call("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "ip", "RoleName": "app"})
    ph.call("DeleteRole", {"RoleName": "app"})


def test_boundary_does_not_block_deletion(ph: Harness) -> None:
    create_role(ph, "app", PermissionsBoundary=make_policy(ph, "b"))
    ph.call("DeleteRole", {"RoleName": "app"})


# --- instance profiles --------------------------------------------------------------------


def test_instance_profile_lifecycle(ph: Harness) -> None:
    created = ph.call(
        "CreateInstanceProfile",
        {"InstanceProfileName": "web", "Path": "/p/", "Tags": [{"Key": "a", "Value": "b"}]},
    )["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/p/web"
    assert str(created["InstanceProfileId"]).startswith("AIPA")
    assert created["Roles"] == [] and created["Tags"] == [{"Key": "a", "Value": "b"}]
    role = create_role(ph, "app")
    ph.call("AddRoleToInstanceProfile", {"InstanceProfileName": "WEB", "RoleName": "app"})
    assert ph.last_target().arn == created["Arn"]
    got = ph.call("GetInstanceProfile", {"InstanceProfileName": "web"})["InstanceProfile"]
    assert [r["RoleId"] for r in got["Roles"]] == [role["RoleId"]]
    for_role = ph.call("ListInstanceProfilesForRole", {"RoleName": "app"})
    assert [p["InstanceProfileName"] for p in for_role["InstanceProfiles"]] == ["web"]
    assert ph.last_target().arn == role["Arn"]
    with pytest.raises(DeleteConflict):
        ph.call("DeleteInstanceProfile", {"InstanceProfileName": "web"})
    ph.call("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})
    with pytest.raises(NoSuchEntity):
        ph.call("RemoveRoleFromInstanceProfile", {"InstanceProfileName": "web", "RoleName": "app"})
    ph.call("DeleteInstanceProfile", {"InstanceProfileName": "web"})
    with pytest.raises(NoSuchEntity, match=r"^Instance Profile web cannot be found\.$"):
        ph.call("GetInstanceProfile", {"InstanceProfileName": "web"})


def test_one_role_per_instance_profile(ph: Harness) -> None:
    ph.call("CreateInstanceProfile", {"InstanceProfileName": "web"})
    create_role(ph, "a")
    create_role(ph, "b")
    ph.call("AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "a"})
    with pytest.raises(
        LimitExceeded, match=r"^Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1$"
    ):
        ph.call("AddRoleToInstanceProfile", {"InstanceProfileName": "web", "RoleName": "b"})


def test_instance_profile_names_and_lists(ph: Harness) -> None:
    for name in ("c", "a", "b"):
        ph.call("CreateInstanceProfile", {"InstanceProfileName": name})
    with pytest.raises(EntityAlreadyExists, match=r"^Instance Profile A already exists\.$"):
        ph.call("CreateInstanceProfile", {"InstanceProfileName": "A"})
    first = ph.call("ListInstanceProfiles", {"MaxItems": 2})
    assert [p["InstanceProfileName"] for p in first["InstanceProfiles"]] == ["a", "b"]
    rest = ph.call("ListInstanceProfiles", {"Marker": first["Marker"]})
    assert [p["InstanceProfileName"] for p in rest["InstanceProfiles"]] == ["c"]
    assert rest["IsTruncated"] is False
    assert ph.last_target().arn == f"arn:aws:iam::{ACCOUNT}:instance-profile/"


def test_instance_profile_tags(ph: Harness) -> None:
    ph.call("CreateInstanceProfile", {"InstanceProfileName": "web"})
    ph.call(
        "TagInstanceProfile", {"InstanceProfileName": "web", "Tags": [{"Key": "k", "Value": "v"}]}
    )
    assert ph.call("ListInstanceProfileTags", {"InstanceProfileName": "web"})["Tags"] == [
        {"Key": "k", "Value": "v"}
    ]
    ph.call("UntagInstanceProfile", {"InstanceProfileName": "web", "TagKeys": ["K"]})
    assert ph.call("ListInstanceProfileTags", {"InstanceProfileName": "web"})["Tags"] == []
