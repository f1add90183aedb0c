"""Account summary, authorization details and aliases through their handlers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamd.errors import EntityAlreadyExists, NoSuchEntity

from .harness import ACCOUNT, OTHER_ACCOUNT, Harness, make_harness, root

POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    return make_harness(tmp_path)


def test_aliases(h: Harness) -> None:
    assert h.call("ListAccountAliases", {})["AccountAliases"] == []
    h.call("CreateAccountAlias", {"AccountAlias": "my-corp"})
    assert h.call("ListAccountAliases", {})["AccountAliases"] == ["my-corp"]
    with pytest.raises(EntityAlreadyExists):
        h.call("CreateAccountAlias", {"AccountAlias": "my-corp"}, caller=root(OTHER_ACCOUNT))
    h.call("CreateAccountAlias", {"AccountAlias": "new-name"})
    assert h.call("ListAccountAliases", {})["AccountAliases"] == ["new-name"]
    with pytest.raises(NoSuchEntity):
        h.call("DeleteAccountAlias", {"AccountAlias": "my-corp"})
    h.call("DeleteAccountAlias", {"AccountAlias": "new-name"})
    h.call("CreateAccountAlias", {"AccountAlias": "my-corp"}, caller=root(OTHER_ACCOUNT))


def test_summary_counts(h: Harness) -> None:
    h.call("CreateUser", {"UserName": "u"})
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("CreatePolicy", {"PolicyName": "p", "PolicyDocument": POLICY})
    arn = f"arn:aws:iam::{ACCOUNT}:policy/p"
    h.call("CreatePolicyVersion", {"PolicyArn": arn, "PolicyDocument": POLICY})
    summary = h.call("GetAccountSummary", {})["SummaryMap"]
    assert summary["Users"] == 1 and summary["UsersQuota"] == 5000
    assert summary["Groups"] == 1 and summary["Policies"] == 1
    assert summary["PolicyVersionsInUse"] == 2
    assert summary["AttachedPoliciesPerUserQuota"] == 10
    assert summary["AccessKeysPerUserQuota"] == 2
    other = h.call("GetAccountSummary", {}, caller=root(OTHER_ACCOUNT))["SummaryMap"]
    assert other["Users"] == 0 and other["Policies"] == 0


def test_authorization_details(h: Harness) -> None:
    aws = h.seed_aws_policy("ReadOnlyAccess", POLICY)
    h.seed_aws_policy("Unused", POLICY)
    h.call("CreateUser", {"UserName": "u", "Tags": [{"Key": "k", "Value": "v"}]})
    h.call("CreateGroup", {"GroupName": "g"})
    h.call("AddUserToGroup", {"GroupName": "g", "UserName": "u"})
    h.call("PutUserPolicy", {"UserName": "u", "PolicyName": "inl", "PolicyDocument": POLICY})
    h.call("AttachGroupPolicy", {"GroupName": "g", "PolicyArn": aws})
    h.call("CreatePolicy", {"PolicyName": "mine", "PolicyDocument": POLICY})
    details = h.call("GetAccountAuthorizationDetails", {})
    user = details["UserDetailList"][0]
    assert user["UserName"] == "u" and user["GroupList"] == ["g"]
    assert user["UserPolicyList"] == [{"PolicyName": "inl", "PolicyDocument": POLICY}]
    assert user["Tags"] == [{"Key": "k", "Value": "v"}]
    group = details["GroupDetailList"][0]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "ReadOnlyAccess", "PolicyArn": aws}]
    names = sorted(p["PolicyName"] for p in details["Policies"])
    assert names == ["ReadOnlyAccess", "mine"]
    mine = next(p for p in details["Policies"] if p["PolicyName"] == "mine")
    assert mine["PolicyVersionList"][0]["Document"] == POLICY
    only_users = h.call("GetAccountAuthorizationDetails", {"Filter": ["User"]})
    assert only_users["GroupDetailList"] == [] and only_users["Policies"] == []
    first = h.call("GetAccountAuthorizationDetails", {"MaxItems": 1})
    assert first["IsTruncated"] and len(first["UserDetailList"]) == 1
    second = h.call("GetAccountAuthorizationDetails", {"MaxItems": 1, "Marker": first["Marker"]})
    assert len(second["GroupDetailList"]) == 1
