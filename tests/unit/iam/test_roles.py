"""Roles through their handlers: create, get, update, delete, list, tags, targets."""

from __future__ import annotations

import json

import pytest

from iamd.config import Quotas
from iamd.errors import (
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)

from .conftest import ACCOUNT_TRUST, EC2_TRUST, create_role, trust_doc
from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, make_harness, root


def test_create_role_returns_the_role(rh: Harness) -> None:
    role = create_role(rh, "app", Path="/svc/", Description="d", MaxSessionDuration=7200)
    assert role["RoleName"] == "app"
    assert role["Path"] == "/svc/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/svc/app"
    assert str(role["RoleId"]).startswith("AROA") and len(str(role["RoleId"])) == 21
    assert role["AssumeRolePolicyDocument"] == EC2_TRUST
    assert role["Description"] == "d"
    assert role["MaxSessionDuration"] == 7200
    assert role["CreateDate"] == rh.clock.now()
    assert "Tags" not in role and "PermissionsBoundary" not in role
    assert "RoleLastUsed" not in role


def test_create_role_is_authorized_on_the_new_arn_with_request_tags(rh: Harness) -> None:
    create_role(rh, "app", Path="/a/b/", Tags=[{"Key": "team", "Value": "x"}])
    action, target, context = rh.authorized[-1]
    assert action == "iam:CreateRole"
    assert target.arn == f"arn:aws:iam::{ACCOUNT}:role/a/b/app"
    assert context == {"aws:RequestTag/team": "x", "aws:TagKeys": ["team"]}


def test_defaults(rh: Harness) -> None:
    role = create_role(rh, "app")
    assert role["Path"] == "/"
    assert "MaxSessionDuration" not in role  # AWS's CreateRole leaves the default out
    assert rh.call("GetRole", {"RoleName": "app"})["Role"]["MaxSessionDuration"] == 3600
    assert "Description" not in role or role["Description"] is None


def test_document_is_kept_as_submitted(rh: Harness) -> None:
    text = '{ "Version": "2012-10-17",\n  "Statement": { "Effect": "Allow",'
    text += ' "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole" } }'
    create_role(rh, "app", trust=text)
    got = rh.call("GetRole", {"RoleName": "app"})["Role"]
    assert got["AssumeRolePolicyDocument"] == text


def test_names_are_unique_ignoring_case(rh: Harness) -> None:
    create_role(rh, "Admins")
    with pytest.raises(EntityAlreadyExists, match=r"^Role with name admins already exists\.$"):
        create_role(rh, "admins")


def test_same_name_in_another_account(rh: Harness) -> None:
    create_role(rh, "app")
    other = rh.call(
        "CreateRole",
        {"RoleName": "app", "AssumeRolePolicyDocument": EC2_TRUST},
        caller=root(OTHER_ACCOUNT),
    )["Role"]
    assert other["Arn"] == f"arn:aws:iam::{OTHER_ACCOUNT}:role/app"
    rh.call("DeleteRole", {"RoleName": "app"}, caller=root(OTHER_ACCOUNT))
    with pytest.raises(NoSuchEntity):
        rh.call("GetRole", {"RoleName": "app"}, caller=root(OTHER_ACCOUNT))
    assert rh.call("GetRole", {"RoleName": "app"})["Role"]["Arn"].endswith(f"{ACCOUNT}:role/app")


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"RoleName": "a b"}, "at 'roleName' failed to satisfy constraint: Member must satisfy"),
        ({"RoleName": "x" * 65}, "Member must have length less than or equal to 64"),
        ({"Path": "nopath"}, "at 'path' failed to satisfy constraint"),
        ({"Path": "/a"}, "at 'path' failed to satisfy constraint"),
        ({"Path": "/" + "a" * 511 + "/"}, "less than or equal to 512"),
        ({"MaxSessionDuration": 3599}, "greater than or equal to 3600"),
        ({"MaxSessionDuration": 43201}, "less than or equal to 43200"),
        ({"Description": "d" * 1001}, "at 'description'"),
    ],
)
def test_field_rules(rh: Harness, params: dict[str, object], fragment: str) -> None:
    base = {"RoleName": "app", "AssumeRolePolicyDocument": EC2_TRUST}
    with pytest.raises(ValidationError, match=r"^1 validation error detected: ") as err:
        rh.call("CreateRole", {**base, **params})
    assert fragment in err.value.message
    with pytest.raises(NoSuchEntity):
        rh.call("GetRole", {"RoleName": "app"})


def test_longest_name_and_path(rh: Harness) -> None:
    path = "/" + "p" * 510 + "/"
    role = create_role(rh, "n" * 64, Path=path)
    assert role["Path"] == path


def test_malformed_trust_policy(rh: Harness) -> None:
    identity = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    )
    with pytest.raises(MalformedPolicyDocument):
        create_role(rh, "app", trust=identity)
    with pytest.raises(MalformedPolicyDocument):
        create_role(rh, "app", trust="{not json")
    with pytest.raises(NoSuchEntity):
        rh.call("GetRole", {"RoleName": "app"})


def test_trust_policy_size_quota(rh: Harness) -> None:
    services = [f"s{i:04d}.amazonaws.com" for i in range(200)]
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    with pytest.raises(LimitExceeded, match=r"^Cannot exceed quota for ACLSizePerRole: 2048$"):
        create_role(rh, "app", trust=big)


def test_whitespace_does_not_count_toward_the_trust_quota(rh: Harness) -> None:
    padded = EC2_TRUST.replace(",", "," + "   \n\t" * 200)
    assert len(padded) > 2048
    create_role(rh, "app", trust=padded)


def test_roles_per_account_quota(tmp_path: object) -> None:
    from pathlib import Path

    h = make_harness(Path(str(tmp_path)), Quotas(roles_per_account=2))
    create_role(h, "a")
    create_role(h, "b")
    with pytest.raises(LimitExceeded, match=r"^Cannot exceed quota for RolesPerAccount: 2$"):
        create_role(h, "c")


def test_deleting_a_role_frees_its_place_in_the_quota(tmp_path: object) -> None:
    from pathlib import Path

    h = make_harness(Path(str(tmp_path)), Quotas(roles_per_account=2))
    create_role(h, "a")
    create_role(h, "b")
    h.call("DeleteRole", {"RoleName": "a"})
    create_role(h, "c")
    with pytest.raises(LimitExceeded):
        create_role(h, "d")


def test_a_count_that_drifted_high_is_recounted_not_believed(tmp_path: object) -> None:
    from pathlib import Path

    from iamd.store import counts

    h = make_harness(Path(str(tmp_path)), Quotas(roles_per_account=2))
    create_role(h, "a")
    with h.db.transaction() as conn:
        counts.add(conn, ACCOUNT, "role", 5)
    create_role(h, "b")  # the kept count says 7, the rows say 1
    with pytest.raises(LimitExceeded):
        create_role(h, "c")


def test_get_role_has_last_used_and_tags(rh: Harness) -> None:
    create_role(rh, "app", Tags=[{"Key": "k", "Value": "v"}])
    role = rh.call("GetRole", {"RoleName": "APP"})["Role"]
    assert role["RoleName"] == "app"
    assert role["RoleLastUsed"] == {}
    assert role["Tags"] == [{"Key": "k", "Value": "v"}]
    target = rh.last_target()
    assert target.arn == f"arn:aws:iam::{ACCOUNT}:role/app"
    assert dict(target.tags) == {"k": "v"}


def test_get_missing_role(rh: Harness) -> None:
    with pytest.raises(NoSuchEntity, match=r"^The role with name ghost cannot be found\.$"):
        rh.call("GetRole", {"RoleName": "ghost"})
    assert rh.last_target().arn == f"arn:aws:iam::{ACCOUNT}:role/ghost"


def test_target_carries_the_real_path(rh: Harness) -> None:
    create_role(rh, "app", Path="/deep/er/")
    rh.call("GetRole", {"RoleName": "app"})
    assert rh.last_target().arn == f"arn:aws:iam::{ACCOUNT}:role/deep/er/app"


def test_update_role(rh: Harness) -> None:
    create_role(rh, "app", Description="old")
    assert rh.call("UpdateRole", {"RoleName": "app", "MaxSessionDuration": 43200}) == {}
    role = rh.call("GetRole", {"RoleName": "app"})["Role"]
    assert role["MaxSessionDuration"] == 43200
    assert role["Description"] == "old"
    rh.call("UpdateRole", {"RoleName": "app", "Description": ""})
    assert rh.call("GetRole", {"RoleName": "app"})["Role"]["Description"] == ""
    with pytest.raises(ValidationError):
        rh.call("UpdateRole", {"RoleName": "app", "MaxSessionDuration": 100})
    with pytest.raises(NoSuchEntity):
        rh.call("UpdateRole", {"RoleName": "ghost", "Description": "x"})


def test_update_role_description_returns_the_role(rh: Harness) -> None:
    create_role(rh, "app")
    role = rh.call("UpdateRoleDescription", {"RoleName": "app", "Description": "new"})["Role"]
    assert role["Description"] == "new"
    assert role["RoleName"] == "app"


def test_update_assume_role_policy(rh: Harness) -> None:
    create_role(rh, "app")
    rh.call("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": ACCOUNT_TRUST})
    role = rh.call("GetRole", {"RoleName": "app"})["Role"]
    assert role["AssumeRolePolicyDocument"] == ACCOUNT_TRUST
    with pytest.raises(MalformedPolicyDocument):
        rh.call("UpdateAssumeRolePolicy", {"RoleName": "app", "PolicyDocument": "{}"})
    assert rh.call("GetRole", {"RoleName": "app"})["Role"]["AssumeRolePolicyDocument"] == (
        ACCOUNT_TRUST
    )


def test_delete_role(rh: Harness) -> None:
    create_role(rh, "app", Tags=[{"Key": "k", "Value": "v"}])
    assert rh.call("DeleteRole", {"RoleName": "app"}) == {}
    with pytest.raises(NoSuchEntity):
        rh.call("GetRole", {"RoleName": "app"})
    with pytest.raises(NoSuchEntity, match=r"^The role with name app cannot be found\.$"):
        rh.call("DeleteRole", {"RoleName": "app"})
    recreated = create_role(rh, "app")
    assert "Tags" not in recreated


def test_list_roles_omits_tags_boundary_and_last_use(rh: Harness) -> None:
    create_role(rh, "b", Tags=[{"Key": "k", "Value": "v"}], Path="/x/")
    create_role(rh, "A")
    result = rh.call("ListRoles", {})
    assert result["IsTruncated"] is False and "Marker" not in result
    assert [r["RoleName"] for r in result["Roles"]] == ["A", "b"]
    for role in result["Roles"]:
        assert "Tags" not in role and "RoleLastUsed" not in role
        assert role["AssumeRolePolicyDocument"] == EC2_TRUST
    assert rh.last_target().arn == f"arn:aws:iam::{ACCOUNT}:role/"


def test_list_roles_path_prefix(rh: Harness) -> None:
    create_role(rh, "a", Path="/eng/")
    create_role(rh, "b", Path="/eng/db/")
    create_role(rh, "c", Path="/ops/")
    result = rh.call("ListRoles", {"PathPrefix": "/eng/"})
    assert [r["RoleName"] for r in result["Roles"]] == ["a", "b"]
    assert rh.last_target().arn == f"arn:aws:iam::{ACCOUNT}:role/eng/"


def test_list_roles_pages(rh: Harness) -> None:
    names = [f"role{i:02d}" for i in range(7)]
    for name in reversed(names):
        create_role(rh, name)
    seen: list[str] = []
    params: dict[str, object] = {"MaxItems": 3}
    pages = 0
    while True:
        result = rh.call("ListRoles", params)
        pages += 1
        seen += [r["RoleName"] for r in result["Roles"]]
        if not result["IsTruncated"]:
            break
        params = {"MaxItems": 3, "Marker": result["Marker"]}
    assert seen == names
    assert pages == 3


def test_list_roles_bad_marker(rh: Harness) -> None:
    with pytest.raises(ValidationError, match="Invalid Marker"):
        rh.call("ListRoles", {"Marker": "!!!"})


def test_list_is_per_account(rh: Harness) -> None:
    create_role(rh, "mine")
    assert rh.call("ListRoles", {}, caller=root(OTHER_ACCOUNT))["Roles"] == []


# --- tags ---------------------------------------------------------------------------------


def test_tag_untag_list(rh: Harness) -> None:
    create_role(rh, "app", Tags=[{"Key": "Team", "Value": "a"}])
    rh.call("TagRole", {"RoleName": "app", "Tags": [{"Key": "env", "Value": "prod"}]})
    action, target, context = rh.authorized[-1]
    assert action == "iam:TagRole" and dict(target.tags) == {"Team": "a"}
    assert context == {"aws:RequestTag/env": "prod", "aws:TagKeys": ["env"]}
    rh.call("TagRole", {"RoleName": "app", "Tags": [{"Key": "team", "Value": "b"}]})
    tags = rh.call("ListRoleTags", {"RoleName": "app"})
    assert tags == {
        "Tags": [{"Key": "team", "Value": "b"}, {"Key": "env", "Value": "prod"}],
        "IsTruncated": False,
    }
    rh.call("UntagRole", {"RoleName": "app", "TagKeys": ["TEAM", "absent"]})
    assert rh.authorized[-1][2] == {"aws:TagKeys": ["TEAM", "absent"]}
    assert rh.call("ListRoleTags", {"RoleName": "app"})["Tags"] == [{"Key": "env", "Value": "prod"}]


def test_tag_pages(rh: Harness) -> None:
    create_role(rh, "app", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(5)])
    first = rh.call("ListRoleTags", {"RoleName": "app", "MaxItems": 2})
    assert first["IsTruncated"] is True
    second = rh.call("ListRoleTags", {"RoleName": "app", "MaxItems": 10, "Marker": first["Marker"]})
    assert [t["Key"] for t in first["Tags"] + second["Tags"]] == [f"k{i}" for i in range(5)]


@pytest.mark.parametrize(
    ("tags", "error", "message"),
    [
        (
            [{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}],
            InvalidInput,
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
        ),
        ([{"Key": "AWS:x", "Value": "1"}], InvalidInput, "reserved"),
        ([{"Key": "a!", "Value": "1"}], ValidationError, "tags.1.member.key"),
        ([{"Key": "a", "Value": "v" * 257}], ValidationError, "tags.1.member.value"),
        ([{"Key": "k" * 129, "Value": ""}], ValidationError, "length less than or equal to 128"),
        ([{"Key": f"k{i}", "Value": ""} for i in range(51)], ValidationError, "equal to 50"),
    ],
)
def test_bad_tags_change_nothing(
    rh: Harness, tags: list[dict[str, str]], error: type[Exception], message: str
) -> None:
    create_role(rh, "app", Tags=[{"Key": "keep", "Value": "1"}])
    with pytest.raises(error, match=message.replace(".", r"\.")):
        rh.call("TagRole", {"RoleName": "app", "Tags": tags})
    with pytest.raises(error):
        create_role(rh, "other", Tags=tags)
    assert rh.call("ListRoleTags", {"RoleName": "app"})["Tags"] == [{"Key": "keep", "Value": "1"}]
    with pytest.raises(NoSuchEntity):
        rh.call("GetRole", {"RoleName": "other"})


def test_unicode_tags_and_empty_values(rh: Harness) -> None:
    tags = [{"Key": "équipe 1", "Value": ""}, {"Key": "a/b:c=d+e-f@g_h.i", "Value": "ü"}]
    create_role(rh, "app", Tags=tags)
    assert rh.call("ListRoleTags", {"RoleName": "app"})["Tags"] == tags


def test_fifty_tags_per_role(rh: Harness) -> None:
    create_role(rh, "app", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(49)])
    rh.call("TagRole", {"RoleName": "app", "Tags": [{"Key": "K0", "Value": "x"}]})
    rh.call("TagRole", {"RoleName": "app", "Tags": [{"Key": "last", "Value": ""}]})
    with pytest.raises(LimitExceeded, match=r"The number of tags has reached the maximum limit\."):
        rh.call("TagRole", {"RoleName": "app", "Tags": [{"Key": "more", "Value": ""}]})
    assert len(rh.call("ListRoleTags", {"RoleName": "app"})["Tags"]) == 50


def test_tagging_a_missing_role(rh: Harness) -> None:
    with pytest.raises(NoSuchEntity):
        rh.call("TagRole", {"RoleName": "ghost", "Tags": [{"Key": "a", "Value": "b"}]})
    with pytest.raises(NoSuchEntity):
        rh.call("ListRoleTags", {"RoleName": "ghost"})


def test_trust_doc_helper_is_valid(rh: Harness) -> None:
    create_role(rh, "app", trust=trust_doc(ACCOUNT, service="ec2.amazonaws.com"))
