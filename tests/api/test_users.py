"""Users as boto3 and the AWS CLI see them, against a real ``iamd serve``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import CliResult, Credentials, IamdServer

ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_get_update_delete(iam: Any, account: Credentials) -> None:
    created = iam.create_user(
        UserName="alice", Path="/eng/", Tags=[{"Key": "team", "Value": "core"}]
    )["User"]
    assert created["Arn"] == f"arn:aws:iam::{account.account_id}:user/eng/alice"
    assert created["UserId"].startswith("AIDA")
    assert created["Tags"] == [{"Key": "team", "Value": "core"}]
    got = iam.get_user(UserName="alice")["User"]
    assert got["UserId"] == created["UserId"] and got["Path"] == "/eng/"
    assert got["CreateDate"] == created["CreateDate"]
    iam.update_user(UserName="alice", NewUserName="alicia", NewPath="/ops/")
    moved = iam.get_user(UserName="alicia")["User"]
    assert moved["Arn"] == f"arn:aws:iam::{account.account_id}:user/ops/alicia"
    assert moved["UserId"] == created["UserId"]
    iam.delete_user(UserName="alicia")
    with pytest.raises(ClientError) as err:
        iam.get_user(UserName="alicia")
    assert error(err) == ("NoSuchEntity", 404, "The user with name alicia cannot be found.")


def test_duplicate_names_ignore_case(iam: Any) -> None:
    iam.create_user(UserName="Bob")
    with pytest.raises(ClientError) as err:
        iam.create_user(UserName="bob")
    assert error(err) == ("EntityAlreadyExists", 409, "User with name bob already exists.")


def test_list_users_across_pages(iam: Any) -> None:
    for n in range(7):
        iam.create_user(UserName=f"user{n}", Path="/a/" if n < 4 else "/b/")
    first = iam.list_users(MaxItems=3)
    assert first["IsTruncated"] is True and len(first["Users"]) == 3
    names = [
        u["UserName"]
        for page in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2})
        for u in page["Users"]
    ]
    assert names == [f"user{n}" for n in range(7)]
    prefixed = iam.list_users(PathPrefix="/b/")["Users"]
    assert [u["UserName"] for u in prefixed] == ["user4", "user5", "user6"]
    assert "Tags" not in prefixed[0]


def test_delete_conflicts(iam: Any, account: Credentials) -> None:
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(UserName="u", PolicyName="p", PolicyDocument=ALLOW_ALL)
    iam.attach_user_policy(UserName="u", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_group(GroupName="g")
    iam.add_user_to_group(GroupName="g", UserName="u")
    steps = [
        ("Cannot delete entity, must delete access keys first.",
         lambda: iam.delete_access_key(UserName="u", AccessKeyId=key)),
        ("Cannot delete entity, must delete policies first.",
         lambda: iam.delete_user_policy(UserName="u", PolicyName="p")),
        ("Cannot delete entity, must detach all policies first.",
         lambda: iam.detach_user_policy(
             UserName="u", PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")),
        ("Cannot delete entity, must remove users from group first.",
         lambda: iam.remove_user_from_group(GroupName="g", UserName="u")),
    ]  # fmt: skip
    for message, fix in steps:
        with pytest.raises(ClientError) as err:
            iam.delete_user(UserName="u")
        assert error(err) == ("DeleteConflict", 409, message)
        fix()
    iam.delete_user(UserName="u")
    assert iam.list_users()["Users"] == []


def test_a_failed_call_changes_nothing(iam: Any) -> None:
    with pytest.raises(ClientError) as err:
        iam.create_user(UserName="t", Tags=[{"Key": "aws:reserved", "Value": "x"}])
    assert error(err)[:2] == ("InvalidInput", 400)
    with pytest.raises(ClientError) as err:
        iam.create_user(UserName="t", PermissionsBoundary="arn:aws:iam::aws:policy/DoesNotExist")
    assert error(err)[:2] == ("NoSuchEntity", 404)
    assert iam.list_users()["Users"] == []


def test_tags_and_boundary(iam: Any) -> None:
    boundary = "arn:aws:iam::aws:policy/PowerUserAccess"
    iam.create_user(UserName="t", PermissionsBoundary=boundary)
    iam.tag_user(UserName="t", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}])
    iam.untag_user(UserName="t", TagKeys=["A"])
    assert iam.list_user_tags(UserName="t")["Tags"] == [{"Key": "b", "Value": ""}]
    got = iam.get_user(UserName="t")["User"]
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary,
    }
    iam.delete_user_permissions_boundary(UserName="t")
    assert "PermissionsBoundary" not in iam.get_user(UserName="t")["User"]


def test_inline_and_attached_policies(iam: Any) -> None:
    iam.create_user(UserName="u")
    iam.put_user_policy(UserName="u", PolicyName="all", PolicyDocument=ALLOW_ALL)
    got = iam.get_user_policy(UserName="u", PolicyName="all")
    assert got["PolicyDocument"] == json.loads(ALLOW_ALL)  # boto3 decodes the URL-encoded JSON
    assert iam.list_user_policies(UserName="u")["PolicyNames"] == ["all"]
    arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    attached = iam.list_attached_user_policies(UserName="u")["AttachedPolicies"]
    assert attached == [{"PolicyName": "AdministratorAccess", "PolicyArn": arn}]
    with pytest.raises(ClientError) as err:
        iam.put_user_policy(UserName="u", PolicyName="bad", PolicyDocument='{"Statement": []}')
    assert error(err)[:2] == ("MalformedPolicyDocument", 400)
    missing = "arn:aws:iam::aws:policy/NoSuchPolicy"
    with pytest.raises(ClientError) as err:
        iam.attach_user_policy(UserName="u", PolicyArn=missing)
    assert error(err) == (
        "NoSuchEntity",
        404,
        f"Policy {missing} does not exist or is not attachable.",
    )


def test_user_inline_size_quota(iam: Any) -> None:
    iam.create_user(UserName="u")
    big = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::" + "x" * 2100,
                }
            ],
        }
    )
    with pytest.raises(ClientError) as err:
        iam.put_user_policy(UserName="u", PolicyName="big", PolicyDocument=big)
    assert error(err) == (
        "LimitExceeded",
        409,
        "Maximum policy size of 2048 bytes exceeded for user u",
    )


def test_aws_cli_users(iamd_server: IamdServer, account: Credentials) -> None:
    def aws(*args: str) -> CliResult:
        return iamd_server.aws("iam", *args, credentials=account)

    done = aws("create-user", "--user-name", "cli-user", "--path", "/cli/")
    assert done.returncode == 0, done.stderr
    assert done.json()["User"]["Arn"] == f"arn:aws:iam::{account.account_id}:user/cli/cli-user"
    listed = aws("list-users")
    assert [u["UserName"] for u in listed.json()["Users"]] == ["cli-user"]
    missing = aws("get-user", "--user-name", "nobody")
    assert missing.returncode != 0 and missing.error_code == "NoSuchEntity"
    assert aws("delete-user", "--user-name", "cli-user").returncode == 0


def test_accounts_are_isolated(iamd_server: IamdServer, iam: Any) -> None:
    iam.create_user(UserName="mine")
    iam.create_group(GroupName="mine")
    other = iamd_server.client("iam", iamd_server.create_account())
    assert other.list_users()["Users"] == []
    assert other.list_groups()["Groups"] == []
    with pytest.raises(ClientError) as err:
        other.get_user(UserName="mine")
    assert error(err)[0] == "NoSuchEntity"
    other.create_user(UserName="mine")  # the same name is free in another account
