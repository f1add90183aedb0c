"""Account-level APIs against a real ``iamd serve``: summary, details, aliases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

ALLOW = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def test_summary_counts_this_account_only(iamd_server: IamdServer, iam: Any) -> None:
    iam.create_user(UserName="a")
    iam.create_user(UserName="b")
    iam.create_group(GroupName="g")
    iam.create_policy(PolicyName="p", PolicyDocument=ALLOW)
    summary = iam.get_account_summary()["SummaryMap"]
    assert summary["Users"] == 2 and summary["Groups"] == 1 and summary["Policies"] == 1
    assert summary["UsersQuota"] == 5000 and summary["VersionsPerPolicyQuota"] == 5
    assert summary["AccountAccessKeysPresent"] == 1
    other = iamd_server.client("iam", iamd_server.create_account())
    assert other.get_account_summary()["SummaryMap"]["Users"] == 0


def test_authorization_details(iam: Any, account: Credentials) -> None:
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="inline", PolicyDocument=ALLOW)
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u")
    arn = iam.create_policy(PolicyName="mine", PolicyDocument=ALLOW)["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="g", PolicyArn=arn)
    details = iam.get_account_authorization_details()
    (user,) = details["UserDetailList"]
    assert user["GroupList"] == ["g"]
    assert user["UserPolicyList"][0]["PolicyDocument"] == json.loads(ALLOW)
    (group,) = details["GroupDetailList"]
    assert group["AttachedManagedPolicies"] == [{"PolicyName": "mine", "PolicyArn": arn}]
    (policy,) = details["Policies"]
    assert policy["AttachmentCount"] == 1
    assert policy["PolicyVersionList"][0]["Document"] == json.loads(ALLOW)
    pages = list(
        iam.get_paginator("get_account_authorization_details").paginate(
            PaginationConfig={"PageSize": 1}
        )
    )
    assert len(pages) == 3
    users = iam.get_account_authorization_details(Filter=["User"])
    assert users["GroupDetailList"] == [] and len(users["UserDetailList"]) == 1


def test_account_alias(iamd_server: IamdServer, iam: Any) -> None:
    iam.create_account_alias(AccountAlias="acme-prod")
    assert iam.list_account_aliases()["AccountAliases"] == ["acme-prod"]
    other = iamd_server.client("iam", iamd_server.create_account())
    with pytest.raises(ClientError) as err:
        other.create_account_alias(AccountAlias="acme-prod")
    assert err.value.response["Error"]["Code"] == "EntityAlreadyExists"
    with pytest.raises(ClientError) as err:
        iam.create_account_alias(AccountAlias="Bad--Alias")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    iam.delete_account_alias(AccountAlias="acme-prod")
    assert iam.list_account_aliases()["AccountAliases"] == []
    other.create_account_alias(AccountAlias="acme-prod")
