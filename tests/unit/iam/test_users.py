"""Users through their handlers: names, paths, renames, tags, boundaries, deletion rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamd.config import Quotas
from iamd.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)

from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, as_user, make_harness, root

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def test_create_user_returns_the_user(h: Harness) -> None:
    user = h.call("CreateUser", {"UserName": "alice", "Path": "/eng/"})["User"]
    assert user["UserName"] == "alice"
    assert user["Path"] == "/eng/"
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"
    assert user["UserId"].startswith("AIDA") and len(user["UserId"]) == 21
    assert "Tags" not in user and "PermissionsBoundary" not in user
    assert h.authorized[-1][1].arn == f"arn:aws:iam::{ACCOUNT}:user/eng/alice"


def test_names_are_unique_ignoring_case(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "Alice"})
    with pytest.raises(EntityAlreadyExists) as err:
        h.call("CreateUser", {"UserName": "alice"})
    assert err.value.message == "User with name alice already exists."


def test_the_same_name_in_another_account_is_another_user(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "alice"})
    h.call("CreateUser", {"UserName": "alice"}, caller=root(OTHER_ACCOUNT))
    users = h.call("ListUsers", {}, caller=root(OTHER_ACCOUNT))["Users"]
    assert [u["Arn"] for u in users] == [f"arn:aws:iam::{OTHER_ACCOUNT}:user/alice"]


def test_get_user_not_found(h: Harness) -> None:
    with pytest.raises(NoSuchEntity) as err:
        h.call("GetUser", {"UserName": "nobody"})
    assert err.value.message == "The user with name nobody cannot be found."
    assert h.authorized[-1][1].arn == f"arn:aws:iam::{ACCOUNT}:user/nobody"


def test_get_user_without_a_name_is_the_caller(h: Harness) -> None:
    created = h.call("CreateUser", {"UserName": "bob", "Path": "/x/"})["User"]
    caller = as_user(ACCOUNT, "bob", created["UserId"], "/x/")
    assert h.call("GetUser", {}, caller=caller)["User"]["UserId"] == created["UserId"]
    me = h.call("GetUser", {})["User"]
    assert me["Arn"] == f"arn:aws:iam::{ACCOUNT}:root" and me["UserId"] == ACCOUNT


def test_bad_path_is_a_validation_error(h: Harness) -> None:
    with pytest.raises(ValidationError):
        h.call("CreateUser", {"UserName": "u", "Path": "no-slashes"})


def test_tags_and_boundary_come_back_from_get(h: Harness) -> None:
    aws = h.seed_aws_policy("PowerUserAccess", POLICY)
    tags = [{"Key": "team", "Value": "eng"}]
    created = h.call("CreateUser", {"UserName": "t", "Tags": tags, "PermissionsBoundary": aws})[
        "User"
    ]
    assert created["Tags"] == tags
    context = h.authorized[-1][2]
    assert context["aws:RequestTag/team"] == "eng"
    assert context["iam:PermissionsBoundary"] == aws
    got = h.call("GetUser", {"UserName": "t"})["User"]
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": aws,
    }
    assert got["Tags"] == tags
    listed = h.call("ListUsers", {})["Users"][0]
    assert "Tags" not in listed and "PermissionsBoundary" not in listed
    assert h.call("GetUser", {"UserName": "t"}) and h.authorized[-1][1].tags == {"team": "eng"}


def test_a_boundary_must_exist(h: Harness) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:policy/nope"
    with pytest.raises(NoSuchEntity) as err:
        h.call("CreateUser", {"UserName": "u", "PermissionsBoundary": arn})
    assert err.value.message == f"Policy {arn} does not exist or is not attachable."
    assert h.call("ListUsers", {})["Users"] == []


def test_put_and_delete_boundary(h: Harness) -> None:
    aws = h.seed_aws_policy("IAMReadOnlyAccess", POLICY)
    h.call("CreateUser", {"UserName": "u"})
    h.call("PutUserPermissionsBoundary", {"UserName": "u", "PermissionsBoundary": aws})
    assert h.authorized[-1][2] == {"iam:PermissionsBoundary": aws}
    assert "PermissionsBoundary" in h.call("GetUser", {"UserName": "u"})["User"]
    h.call("DeleteUserPermissionsBoundary", {"UserName": "u"})
    assert h.authorized[-1][2] == {"iam:PermissionsBoundary": aws}
    assert "PermissionsBoundary" not in h.call("GetUser", {"UserName": "u"})["User"]


def test_rename_and_move(h: Harness) -> None:
    old = h.call("CreateUser", {"UserName": "old"})["User"]
    h.call("TagUser", {"UserName": "old", "Tags": [{"Key": "k", "Value": "v"}]})
    h.call("UpdateUser", {"UserName": "old", "NewUserName": "new", "NewPath": "/p/"})
    new = h.call("GetUser", {"UserName": "new"})["User"]
    assert new["UserId"] == old["UserId"]
    assert new["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/p/new"
    assert new["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(NoSuchEntity):
        h.call("GetUser", {"UserName": "old"})


def test_rename_onto_a_taken_name(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "a"})
    h.call("CreateUser", {"UserName": "b"})
    with pytest.raises(EntityAlreadyExists):
        h.call("UpdateUser", {"UserName": "a", "NewUserName": "B"})
    h.call("UpdateUser", {"UserName": "a", "NewUserName": "A"})
    assert [u["UserName"] for u in h.call("ListUsers", {})["Users"]] == ["A", "b"]


def test_list_users_pages_and_path_prefix(h: Harness) -> None:
    for n in range(7):
        h.call("CreateUser", {"UserName": f"u{n}", "Path": "/a/" if n % 2 else "/b/"})
    seen: list[str] = []
    params: dict[str, object] = {"MaxItems": 3}
    while True:
        page = h.call("ListUsers", params)
        seen += [u["UserName"] for u in page["Users"]]
        if not page["IsTruncated"]:
            assert "Marker" not in page
            break
        params = {"MaxItems": 3, "Marker": page["Marker"]}
    assert seen == [f"u{n}" for n in range(7)]
    only_a = h.call("ListUsers", {"PathPrefix": "/a"})["Users"]
    assert [u["UserName"] for u in only_a] == ["u1", "u3", "u5"]
    with pytest.raises(ValidationError, match="Invalid Marker"):
        h.call("ListUsers", {"Marker": "garbage!"})


def test_quota_of_users(tmp_path: Path) -> None:
    h = make_harness(tmp_path, Quotas(users_per_account=2))
    h.call("CreateUser", {"UserName": "a"})
    h.call("CreateUser", {"UserName": "b"})
    with pytest.raises(LimitExceeded) as err:
        h.call("CreateUser", {"UserName": "c"})
    assert err.value.message == "Cannot exceed quota for UsersPerAccount: 2"


@pytest.mark.parametrize(
    ("quotas", "create", "delete", "member"),
    [
        (Quotas(users_per_account=1), "CreateUser", "DeleteUser", "UserName"),
        (Quotas(groups_per_account=1), "CreateGroup", "DeleteGroup", "GroupName"),
    ],
)
def test_a_deleted_entity_frees_its_place_in_the_quota(
    tmp_path: Path, quotas: Quotas, create: str, delete: str, member: str
) -> None:
    h = make_harness(tmp_path, quotas)
    h.call(create, {member: "a"})
    with pytest.raises(LimitExceeded):
        h.call(create, {member: "b"})
    h.call(delete, {member: "a"})
    h.call(create, {member: "b"})
    with pytest.raises(LimitExceeded):
        h.call(create, {member: "c"})


def test_tags_rules(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    h.call("TagUser", {"UserName": "u", "Tags": [{"Key": "Env", "Value": "a"}]})
    h.call("TagUser", {"UserName": "u", "Tags": [{"Key": "env", "Value": "b"}]})
    assert h.call("ListUserTags", {"UserName": "u"})["Tags"] == [{"Key": "env", "Value": "b"}]
    with pytest.raises(InvalidInput):
        h.call("TagUser", {"UserName": "u", "Tags": [{"Key": "aws:x", "Value": "v"}]})
    h.call("UntagUser", {"UserName": "u", "TagKeys": ["ENV"]})
    assert h.call("ListUserTags", {"UserName": "u"})["Tags"] == []


def test_delete_user_conflicts_in_aws_words(h: Harness) -> None:
    uid = h.call("CreateUser", {"UserName": "u"})["User"]["UserId"]
    key = h.call("CreateAccessKey", {"UserName": "u"})["AccessKey"]["AccessKeyId"]
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteUser", {"UserName": "u"})
    assert err.value.message == "Cannot delete entity, must delete access keys first."
    h.call("DeleteAccessKey", {"UserName": "u", "AccessKeyId": key})

    h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "p", "PolicyDocument": POLICY})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteUser", {"UserName": "u"})
    assert err.value.message == "Cannot delete entity, must delete policies first."
    h.call("DeleteUserPolicy", {"UserName": "u", "PolicyName": "p"})

    aws = h.seed_aws_policy("ReadOnlyAccess", POLICY)
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": aws})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteUser", {"UserName": "u"})
    assert err.value.message == "Cannot delete entity, must detach all policies first."
    h.call("DetachUserPolicy", {"UserName": "u", "PolicyArn": aws})

    h.call("CreateGroup", {"GroupName": "g"})
    h.call("AddUserToGroup", {"GroupName": "g", "UserName": "u"})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteUser", {"UserName": "u"})
    assert err.value.message == "Cannot delete entity, must remove users from group first."
    h.call("RemoveUserFromGroup", {"GroupName": "g", "UserName": "u"})

    h.call("DeleteUser", {"UserName": "u"})
    with pytest.raises(NoSuchEntity):
        h.call("GetUser", {"UserName": "u"})
    recreated = h.call("CreateUser", {"UserName": "u"})["User"]
    assert recreated["UserId"] != uid
    assert "Tags" not in h.call("GetUser", {"UserName": "u"})["User"]


def test_an_enabled_mfa_device_blocks_deletion(h: Harness) -> None:
    uid = h.call("CreateUser", {"UserName": "u"})["User"]["UserId"]
    with h.db.transaction() as conn:
        conn.exec_driver_sql(
            "INSERT INTO mfa_devices (serial_number, account_id, name, path, seed_ciphertext,"
            " user_id, created_at, drift) VALUES (?, ?, 'd', '/', x'00', ?, ?, 0)",
            (f"arn:aws:iam::{ACCOUNT}:mfa/d", ACCOUNT, uid, "2024-05-01 12:00:00"),
        )
    with pytest.raises(DeleteConflict) as err:
        h.call("DeleteUser", {"UserName": "u"})
    assert err.value.message == "Cannot delete entity, must delete MFA device first."
    summary = h.call("GetAccountSummary", {})["SummaryMap"]
    assert summary["MFADevices"] == 1 and summary["MFADevicesInUse"] == 1
