"""Per-account quotas of named entities, the same rule for every kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.config import Quotas
from iamd.errors import EntityAlreadyExists, LimitExceeded, NoSuchEntity

from .conftest import EC2_TRUST
from .harness import ACCOUNT, make_harness

DOCUMENT = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)

# (quota field, create action, its parameters for a name, a read that finds the name)
KINDS = [
    ("roles_per_account", "CreateRole", "RoleName", {"AssumeRolePolicyDocument": EC2_TRUST}),
    ("users_per_account", "CreateUser", "UserName", {}),
    ("groups_per_account", "CreateGroup", "GroupName", {}),
    ("instance_profiles_per_account", "CreateInstanceProfile", "InstanceProfileName", {}),
    ("managed_policies_per_account", "CreatePolicy", "PolicyName", {"PolicyDocument": DOCUMENT}),
]
GET = {
    "CreateRole": ("GetRole", "RoleName"),
    "CreateUser": ("GetUser", "UserName"),
    "CreateGroup": ("GetGroup", "GroupName"),
    "CreateInstanceProfile": ("GetInstanceProfile", "InstanceProfileName"),
    "CreatePolicy": ("GetPolicy", "PolicyArn"),
}


def _get_params(create: str, name: str) -> dict[str, str]:
    _action, member = GET[create]
    if member == "PolicyArn":
        return {member: f"arn:aws:iam::{ACCOUNT}:policy/{name}"}
    return {member: name}


@pytest.mark.parametrize(("quota", "create", "member", "extra"), KINDS)
def test_at_the_quota_a_taken_name_is_named_first_and_nothing_is_created(
    tmp_path: Path, quota: str, create: str, member: str, extra: dict[str, str]
) -> None:
    h = make_harness(tmp_path, Quotas(**{quota: 1}))
    h.call(create, {member: "first", **extra})
    with pytest.raises(EntityAlreadyExists):
        h.call(create, {member: "FIRST", **extra})
    for _ in range(3):  # each refused create is rolled back, and refused again
        with pytest.raises(LimitExceeded):
            h.call(create, {member: "second", **extra})
    get, _ = GET[create]
    with pytest.raises(NoSuchEntity):
        h.call(get, _get_params(create, "second"))
