"""Instance profiles as boto3 sees them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials
from .test_roles import create, error


def test_lifecycle(iam: Any, account: Credentials) -> None:
    profile = iam.create_instance_profile(InstanceProfileName="web", Path="/p/")["InstanceProfile"]
    assert profile["Arn"] == f"arn:aws:iam::{account.account_id}:instance-profile/p/web"
    assert profile["InstanceProfileId"].startswith("AIPA")
    assert profile["Roles"] == []
    role = create(iam, "app")
    iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="app")
    got = iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]
    assert [r["RoleId"] for r in got["Roles"]] == [role["RoleId"]]
    assert got["Roles"][0]["AssumeRolePolicyDocument"]["Statement"][0]["Action"] == (
        "sts:AssumeRole"
    )
    listed = iam.list_instance_profiles_for_role(RoleName="app")["InstanceProfiles"]
    assert [p["InstanceProfileName"] for p in listed] == ["web"]

    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="app")
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must remove roles from instance profile first.",
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName="web")
    assert error(exc)[:2] == ("DeleteConflict", 409)

    create(iam, "second")
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName="web", RoleName="second")
    assert error(exc) == (
        "LimitExceeded",
        409,
        "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1",
    )
    iam.remove_role_from_instance_profile(InstanceProfileName="web", RoleName="app")
    iam.delete_instance_profile(InstanceProfileName="web")
    iam.delete_role(RoleName="app")
    with pytest.raises(ClientError) as exc:
        iam.get_instance_profile(InstanceProfileName="web")
    assert error(exc) == ("NoSuchEntity", 404, "Instance Profile web cannot be found.")


def test_names_and_pages(iam: Any) -> None:
    for name in ("b", "a", "c"):
        iam.create_instance_profile(InstanceProfileName=name)
    with pytest.raises(ClientError) as exc:
        iam.create_instance_profile(InstanceProfileName="A")
    assert error(exc)[:2] == ("EntityAlreadyExists", 409)
    names = [
        p["InstanceProfileName"]
        for page in iam.get_paginator("list_instance_profiles").paginate(
            PaginationConfig={"PageSize": 2}
        )
        for p in page["InstanceProfiles"]
    ]
    assert names == ["a", "b", "c"]


def test_tags(iam: Any) -> None:
    iam.create_instance_profile(InstanceProfileName="web", Tags=[{"Key": "k", "Value": "v"}])
    assert iam.get_instance_profile(InstanceProfileName="web")["InstanceProfile"]["Tags"] == [
        {"Key": "k", "Value": "v"}
    ]
    iam.untag_instance_profile(InstanceProfileName="web", TagKeys=["k"])
    assert iam.list_instance_profile_tags(InstanceProfileName="web")["Tags"] == []
