"""Managed policies and versions through their handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidInput,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)

from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, make_harness, root


def doc(action: str = "s3:GetObject", version: str | None = "2012-10-17") -> str:
    body: dict[str, object] = {
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}]
    }
    if version:
        body["Version"] = version
    return json.dumps(body)


ARN = f"arn:aws:iam::{ACCOUNT}:policy/team/p"


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def create(h: Harness, name: str = "p", path: str = "/team/", **extra: object) -> dict:
    params = {"PolicyName": name, "Path": path, "PolicyDocument": doc(), **extra}
    return h.call("CreatePolicy", params)["Policy"]


def test_create_policy_shape(h: Harness) -> None:
    policy = create(h, Description="d", Tags=[{"Key": "k", "Value": "v"}])
    assert policy["Arn"] == ARN
    assert policy["PolicyId"].startswith("ANPA")
    assert policy["DefaultVersionId"] == "v1"
    assert policy["AttachmentCount"] == 0 and policy["PermissionsBoundaryUsageCount"] == 0
    assert policy["IsAttachable"] is True
    assert policy["Description"] == "d"
    assert policy["Tags"] == [{"Key": "k", "Value": "v"}]
    assert h.authorized[-1][1].arn == ARN
    assert h.authorized[-1][2]["aws:RequestTag/k"] == "v"
    got = h.call("GetPolicy", {"PolicyArn": ARN})["Policy"]
    assert got["Description"] == "d" and got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert h.authorized[-1][1].tags == {"k": "v"}


def test_create_policy_rules(h: Harness) -> None:
    with pytest.raises(MalformedPolicyDocument) as err:
        h.call("CreatePolicy", {"PolicyName": "p", "PolicyDocument": doc(version=None)})
    assert err.value.message == "Policy document must be version 2012-10-17 or greater."
    create(h)
    with pytest.raises(EntityAlreadyExists) as err2:
        create(h, name="P", path="/")
    assert (
        err2.value.message == "A policy called P already exists. Duplicate names are not allowed."
    )
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "s3:*", "Resource": ["arn:aws:s3:::" + "x" * 6200]}
            ],
        }
    )
    with pytest.raises(LimitExceeded) as err3:
        h.call("CreatePolicy", {"PolicyName": "big", "PolicyDocument": big})
    assert err3.value.message == "Cannot exceed quota for PolicySize: 6144"


def test_versions_lifecycle(h: Harness) -> None:
    create(h)
    v2 = h.call("CreatePolicyVersion", {"PolicyArn": ARN, "PolicyDocument": doc("s3:*")})
    assert v2["PolicyVersion"]["VersionId"] == "v2"
    assert v2["PolicyVersion"]["IsDefaultVersion"] is False
    v3 = h.call(
        "CreatePolicyVersion",
        {"PolicyArn": ARN, "PolicyDocument": doc("ec2:*"), "SetAsDefault": True},
    )["PolicyVersion"]
    assert v3["VersionId"] == "v3" and v3["IsDefaultVersion"] is True
    assert h.call("GetPolicy", {"PolicyArn": ARN})["Policy"]["DefaultVersionId"] == "v3"
    listed = h.call("ListPolicyVersions", {"PolicyArn": ARN})["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in listed] == [
        ("v3", True),
        ("v2", False),
        ("v1", False),
    ]
    got = h.call("GetPolicyVersion", {"PolicyArn": ARN, "VersionId": "v2"})["PolicyVersion"]
    assert got["Document"] == doc("s3:*")
    with pytest.raises(DeleteConflict) as err:
        h.call("DeletePolicyVersion", {"PolicyArn": ARN, "VersionId": "v3"})
    assert err.value.message == "Cannot delete the default version of a policy."
    h.call("SetDefaultPolicyVersion", {"PolicyArn": ARN, "VersionId": "v1"})
    h.call("DeletePolicyVersion", {"PolicyArn": ARN, "VersionId": "v3"})
    with pytest.raises(NoSuchEntity):
        h.call("GetPolicyVersion", {"PolicyArn": ARN, "VersionId": "v3"})
    # ids are never reused
    v4 = h.call("CreatePolicyVersion", {"PolicyArn": ARN, "PolicyDocument": doc()})
    assert v4["PolicyVersion"]["VersionId"] == "v4"


def test_at_most_five_versions(h: Harness) -> None:
    create(h)
    for _ in range(4):
        h.call("CreatePolicyVersion", {"PolicyArn": ARN, "PolicyDocument": doc()})
    with pytest.raises(LimitExceeded) as err:
        h.call("CreatePolicyVersion", {"PolicyArn": ARN, "PolicyDocument": doc()})
    assert err.value.message == (
        "A managed policy can have up to 5 versions. Before you create a new version, "
        "you must delete an existing version."
    )
    assert len(h.call("ListPolicyVersions", {"PolicyArn": ARN})["Versions"]) == 5
    page = h.call("ListPolicyVersions", {"PolicyArn": ARN, "MaxItems": 2})
    assert [v["VersionId"] for v in page["Versions"]] == ["v5", "v4"] and page["IsTruncated"]
    rest = h.call("ListPolicyVersions", {"PolicyArn": ARN, "Marker": page["Marker"]})
    assert [v["VersionId"] for v in rest["Versions"]] == ["v3", "v2", "v1"]


def test_delete_policy_rules(h: Harness) -> None:
    create(h)
    h.call("CreateUser", {"UserName": "u"})
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": ARN})
    assert h.call("GetPolicy", {"PolicyArn": ARN})["Policy"]["AttachmentCount"] == 1
    with pytest.raises(DeleteConflict) as err:
        h.call("DeletePolicy", {"PolicyArn": ARN})
    assert err.value.message == "Cannot delete a policy attached to entities."
    h.call("DetachUserPolicy", {"UserName": "u", "PolicyArn": ARN})
    h.call("PutUserPermissionsBoundary", {"UserName": "u", "PermissionsBoundary": ARN})
    policy = h.call("GetPolicy", {"PolicyArn": ARN})["Policy"]
    assert policy["PermissionsBoundaryUsageCount"] == 1
    with pytest.raises(DeleteConflict):
        h.call("DeletePolicy", {"PolicyArn": ARN})
    h.call("DeleteUserPermissionsBoundary", {"UserName": "u"})
    h.call("CreatePolicyVersion", {"PolicyArn": ARN, "PolicyDocument": doc()})
    with pytest.raises(DeleteConflict) as err:
        h.call("DeletePolicy", {"PolicyArn": ARN})
    assert "more than one version" in err.value.message
    h.call("DeletePolicyVersion", {"PolicyArn": ARN, "VersionId": "v2"})
    h.call("DeletePolicy", {"PolicyArn": ARN})
    with pytest.raises(NoSuchEntity) as err2:
        h.call("GetPolicy", {"PolicyArn": ARN})
    assert err2.value.message == f"Policy {ARN} does not exist or is not attachable."


def test_aws_managed_policies_are_shared_and_read_only(h: Harness) -> None:
    aws = h.seed_aws_policy("AdministratorAccess", doc("*"))
    for account in (ACCOUNT, OTHER_ACCOUNT):
        assert h.call("GetPolicy", {"PolicyArn": aws}, caller=root(account))["Policy"]["Arn"] == aws
    with pytest.raises(AccessDenied):
        h.call("DeletePolicy", {"PolicyArn": aws})
    with pytest.raises(AccessDenied):
        h.call("CreatePolicyVersion", {"PolicyArn": aws, "PolicyDocument": doc()})
    h.call("CreateUser", {"UserName": "u"})
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": aws})
    assert h.call("GetPolicy", {"PolicyArn": aws})["Policy"]["AttachmentCount"] == 1
    other = h.call("GetPolicy", {"PolicyArn": aws}, caller=root(OTHER_ACCOUNT))["Policy"]
    assert other["AttachmentCount"] == 0


def test_accounts_do_not_see_each_others_policies(h: Harness) -> None:
    create(h)
    with pytest.raises(NoSuchEntity):
        h.call("GetPolicy", {"PolicyArn": ARN}, caller=root(OTHER_ACCOUNT))
    h.call("CreateUser", {"UserName": "u"}, caller=root(OTHER_ACCOUNT))
    with pytest.raises(NoSuchEntity):
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": ARN}, caller=root(OTHER_ACCOUNT))
    assert h.call("ListPolicies", {"Scope": "Local"}, caller=root(OTHER_ACCOUNT))["Policies"] == []


def test_list_policies_filters(h: Harness) -> None:
    aws = h.seed_aws_policy("ReadOnlyAccess", doc())
    create(h, name="a", path="/x/")
    create(h, name="b", path="/y/")
    h.call("CreateUser", {"UserName": "u"})
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/x/a"})

    def names(**params: object) -> list[str]:
        return [p["PolicyName"] for p in h.call("ListPolicies", params)["Policies"]]

    assert names(Scope="Local") == ["a", "b"]
    assert names(Scope="AWS") == ["ReadOnlyAccess"]
    assert set(names()) == {"a", "b", "ReadOnlyAccess"}
    assert names(OnlyAttached=True) == ["a"]
    assert names(PathPrefix="/y/") == ["b"]
    assert names(Scope="Local", PolicyUsageFilter="PermissionsBoundary") == []
    h.call("PutUserPermissionsBoundary", {"UserName": "u", "PermissionsBoundary": aws})
    assert names(PolicyUsageFilter="PermissionsBoundary") == ["ReadOnlyAccess"]
    first = h.call("ListPolicies", {"MaxItems": 2})
    assert len(first["Policies"]) == 2 and first["IsTruncated"]
    rest = h.call("ListPolicies", {"Marker": first["Marker"]})
    assert len(rest["Policies"]) == 1 and not rest["IsTruncated"]


def test_list_entities_for_policy(h: Harness) -> None:
    create(h)
    h.call("CreateUser", {"UserName": "u", "Path": "/p/"})
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": ARN})
    h.call("AttachGroupPolicy", {"GroupName": "g", "PolicyArn": ARN})
    result = h.call("ListEntitiesForPolicy", {"PolicyArn": ARN})
    assert [u["UserName"] for u in result["PolicyUsers"]] == ["u"]
    assert [g["GroupName"] for g in result["PolicyGroups"]] == ["g"]
    assert result["PolicyRoles"] == [] and result["IsTruncated"] is False
    only = h.call("ListEntitiesForPolicy", {"PolicyArn": ARN, "EntityFilter": "Group"})
    assert only["PolicyUsers"] == [] and len(only["PolicyGroups"]) == 1
    prefixed = h.call("ListEntitiesForPolicy", {"PolicyArn": ARN, "PathPrefix": "/p/"})
    assert prefixed["PolicyGroups"] == [] and len(prefixed["PolicyUsers"]) == 1


def test_policy_tags(h: Harness) -> None:
    create(h)
    h.call("TagPolicy", {"PolicyArn": ARN, "Tags": [{"Key": "a", "Value": "1"}]})
    assert h.call("ListPolicyTags", {"PolicyArn": ARN})["Tags"] == [{"Key": "a", "Value": "1"}]
    h.call("UntagPolicy", {"PolicyArn": ARN, "TagKeys": ["A"]})
    assert h.call("ListPolicyTags", {"PolicyArn": ARN})["Tags"] == []


def test_bad_policy_arn_is_invalid_input(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    with pytest.raises(ValidationError) as unparsed:  # as recorded from AWS
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": "not-an-arn"})
    assert unparsed.value.message == "Invalid ARN:  Could not be parsed!"
    with pytest.raises(InvalidInput) as err:
        h.call("AttachUserPolicy", {"UserName": "u", "PolicyArn": "arn:aws:s3:::not-a-policy"})
    assert err.value.message == "ARN arn:aws:s3:::not-a-policy is not valid."
