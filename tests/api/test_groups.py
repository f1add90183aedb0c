"""Groups against a real ``iamd serve``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

ALLOW = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_group_lifecycle(iam: Any, account: Credentials) -> None:
    group = iam.create_group(GroupName="devs", Path="/eng/")["Group"]
    assert group["Arn"] == f"arn:aws:iam::{account.account_id}:group/eng/devs"
    assert group["GroupId"].startswith("AGPA")
    for n in range(5):
        iam.create_user(UserName=f"u{n}")
        iam.add_user_to_group(GroupName="devs", UserName=f"u{n}")
    first = iam.get_group(GroupName="devs", MaxItems=2)
    assert first["Group"]["GroupName"] == "devs" and first["IsTruncated"]
    members = [
        u["UserName"]
        for page in iam.get_paginator("get_group").paginate(
            GroupName="devs", PaginationConfig={"PageSize": 2}
        )
        for u in page["Users"]
    ]
    assert members == [f"u{n}" for n in range(5)]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName="u3")["Groups"]] == ["devs"]
    iam.update_group(GroupName="devs", NewGroupName="developers")
    assert [g["GroupName"] for g in iam.list_groups()["Groups"]] == ["developers"]
    with pytest.raises(ClientError) as err:
        iam.delete_group(GroupName="developers")
    assert error(err) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must remove users from group first.",
    )
    for n in range(5):
        iam.remove_user_from_group(GroupName="developers", UserName=f"u{n}")
    iam.put_group_policy(GroupName="developers", PolicyName="p", PolicyDocument=ALLOW)
    assert iam.list_group_policies(GroupName="developers")["PolicyNames"] == ["p"]
    with pytest.raises(ClientError) as err:
        iam.delete_group(GroupName="developers")
    assert error(err)[2] == "Cannot delete entity, must delete policies first."
    iam.delete_group_policy(GroupName="developers", PolicyName="p")
    arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.attach_group_policy(GroupName="developers", PolicyArn=arn)
    assert iam.list_attached_group_policies(GroupName="developers")["AttachedPolicies"] == [
        {"PolicyName": "ReadOnlyAccess", "PolicyArn": arn}
    ]
    with pytest.raises(ClientError) as err:
        iam.delete_group(GroupName="developers")
    assert error(err)[2] == "Cannot delete entity, must detach all policies first."
    iam.detach_group_policy(GroupName="developers", PolicyArn=arn)
    iam.delete_group(GroupName="developers")
    with pytest.raises(ClientError) as err:
        iam.get_group(GroupName="developers")
    assert error(err) == ("NoSuchEntity", 404, "The group with name developers cannot be found.")


def test_group_errors(iam: Any) -> None:
    iam.create_group(GroupName="g")
    with pytest.raises(ClientError) as err:
        iam.create_group(GroupName="G")
    assert error(err)[:2] == ("EntityAlreadyExists", 409)
    with pytest.raises(ClientError) as err:
        iam.add_user_to_group(GroupName="g", UserName="nobody")
    assert error(err) == ("NoSuchEntity", 404, "The user with name nobody cannot be found.")
    with pytest.raises(ClientError) as err:
        iam.get_group_policy(GroupName="g", PolicyName="none")
    assert error(err) == ("NoSuchEntity", 404, "The group policy with name none cannot be found.")


def test_aws_cli_groups(iamd_server: IamdServer, account: Credentials) -> None:
    done = iamd_server.aws("iam", "create-group", "--group-name", "cli", credentials=account)
    assert done.returncode == 0, done.stderr
    listed = iamd_server.aws("iam", "list-groups", credentials=account).json()
    assert [g["GroupName"] for g in listed["Groups"]] == ["cli"]
