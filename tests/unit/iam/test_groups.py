"""Groups through their handlers: membership, pages, policies, deletion rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.config import Quotas
from iamd.errors import DeleteConflict, EntityAlreadyExists, LimitExceeded, NoSuchEntity

from .harness import ACCOUNT, Harness, make_harness

POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def test_create_get_and_members_pages(h: Harness) -> None:
    group = h.call("CreateGroup", {"GroupName": "devs", "Path": "/eng/"})["Group"]
    assert group["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/eng/devs"
    assert group["GroupId"].startswith("AGPA")
    for n in range(5):
        h.call("CreateUser", {"UserName": f"u{n}"})
        h.call("AddUserToGroup", {"GroupName": "devs", "UserName": f"u{n}"})
    h.call("AddUserToGroup", {"GroupName": "devs", "UserName": "u0"})  # idempotent
    assert h.authorized[-1][1].arn == group["Arn"]
    first = h.call("GetGroup", {"GroupName": "devs", "MaxItems": 3})
    assert first["Group"]["GroupName"] == "devs"
    assert [u["UserName"] for u in first["Users"]] == ["u0", "u1", "u2"] and first["IsTruncated"]
    rest = h.call("GetGroup", {"GroupName": "devs", "Marker": first["Marker"]})
    assert [u["UserName"] for u in rest["Users"]] == ["u3", "u4"] and not rest["IsTruncated"]
    groups = h.call("ListGroupsForUser", {"UserName": "u1"})["Groups"]
    assert [g["GroupName"] for g in groups] == ["devs"]


def test_names_unique_and_rename(h: Harness) -> None:
    h.call("CreateGroup", {"GroupName": "a"})
    with pytest.raises(EntityAlreadyExists) as err:
        h.call("CreateGroup", {"GroupName": "A"})
    assert err.value.message == "Group with name A already exists."
    h.call("UpdateGroup", {"GroupName": "a", "NewGroupName": "b", "NewPath": "/x/"})
    got = h.call("GetGroup", {"GroupName": "b"})["Group"]
    assert got["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/x/b"
    with pytest.raises(NoSuchEntity) as err2:
        h.call("GetGroup", {"GroupName": "a"})
    assert err2.value.message == "The group with name a cannot be found."


def test_list_groups_with_prefix(h: Harness) -> None:
    h.call("CreateGroup", {"GroupName": "a", "Path": "/x/"})
    h.call("CreateGroup", {"GroupName": "b"})
    assert [g["GroupName"] for g in h.call("ListGroups", {})["Groups"]] == ["a", "b"]
    assert [g["GroupName"] for g in h.call("ListGroups", {"PathPrefix": "/x"})["Groups"]] == ["a"]


def test_remove_user_not_in_group(h: Harness) -> None:
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("CreateUser", {"UserName": "u"})
    with pytest.raises(NoSuchEntity):
        h.call("RemoveUserFromGroup", {"GroupName": "g", "UserName": "u"})


def test_groups_per_user_quota(tmp_path: Path) -> None:
    h = make_harness(tmp_path, Quotas(groups_per_user=2))
    h.call("CreateUser", {"UserName": "u"})
    for name in ("a", "b", "c"):
        h.call("CreateGroup", {"GroupName": name})
    h.call("AddUserToGroup", {"GroupName": "a", "UserName": "u"})
    h.call("AddUserToGroup", {"GroupName": "b", "UserName": "u"})
    with pytest.raises(LimitExceeded) as err:
        h.call("AddUserToGroup", {"GroupName": "c", "UserName": "u"})
    assert err.value.message == "Cannot exceed quota for GroupsPerUser: 2"


def test_delete_group_conflicts(h: Harness) -> None:
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("CreateUser", {"UserName": "u"})
    h.call("AddUserToGroup", {"GroupName": "g", "UserName": "u"})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteGroup", {"GroupName": "g"})
    assert err.value.message == "Cannot delete entity, must remove users from group first."
    h.call("RemoveUserFromGroup", {"GroupName": "g", "UserName": "u"})
    h.call("PutGroupPolicy", {"GroupName": "g", "PolicyName": "p", "PolicyDocument": POLICY})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteGroup", {"GroupName": "g"})
    assert err.value.message == "Cannot delete entity, must delete policies first."
    h.call("DeleteGroupPolicy", {"GroupName": "g", "PolicyName": "p"})
    aws = h.seed_aws_policy("AdministratorAccess", POLICY)
    h.call("AttachGroupPolicy", {"GroupName": "g", "PolicyArn": aws})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteGroup", {"GroupName": "g"})
    assert err.value.message == "Cannot delete entity, must detach all policies first."
    h.call("DetachGroupPolicy", {"GroupName": "g", "PolicyArn": aws})
    h.call("DeleteGroup", {"GroupName": "g"})
    assert h.call("ListGroups", {})["Groups"] == []


def test_group_inline_policies(h: Harness) -> None:
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("PutGroupPolicy", {"GroupName": "g", "PolicyName": "p", "PolicyDocument": POLICY})
    got = h.call("GetGroupPolicy", {"GroupName": "g", "PolicyName": "p"})
    assert got == {"GroupName": "g", "PolicyName": "p", "PolicyDocument": POLICY}
    assert h.call("ListGroupPolicies", {"GroupName": "g"})["PolicyNames"] == ["p"]
    with pytest.raises(NoSuchEntity) as err:
        h.call("GetGroupPolicy", {"GroupName": "g", "PolicyName": "q"})
    assert err.value.message == "The group policy with name q cannot be found."
