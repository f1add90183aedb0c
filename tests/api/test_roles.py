"""Roles as boto3 and the AWS CLI see them, against a real ``iamd serve``."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

EC2 = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def trust(*aws: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": list(aws) if len(aws) > 1 else aws[0]},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def create(iam: Any, name: str, document: dict[str, Any] = EC2, **extra: Any) -> dict[str, Any]:
    role: dict[str, Any] = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=json.dumps(document), **extra
    )["Role"]
    return role


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_create_and_get(iam: Any, account: Credentials) -> None:
    created = create(
        iam,
        "app",
        Path="/svc/",
        Description="my role",
        MaxSessionDuration=7200,
        Tags=[{"Key": "team", "Value": "core"}],
    )
    assert created["Arn"] == f"arn:aws:iam::{account.account_id}:role/svc/app"
    assert created["RoleId"].startswith("AROA")
    assert created["AssumeRolePolicyDocument"] == EC2  # boto3 decodes the document
    assert isinstance(created["CreateDate"], dt.datetime)
    assert created["Tags"] == [{"Key": "team", "Value": "core"}]
    got = iam.get_role(RoleName="APP")["Role"]
    assert got["RoleName"] == "app"
    assert got["Path"] == "/svc/"
    assert got["Description"] == "my role"
    assert got["MaxSessionDuration"] == 7200
    assert got["RoleLastUsed"] == {}
    assert got["CreateDate"] == created["CreateDate"]


def test_document_survives_the_wire_exactly(iam: Any) -> None:
    text = '{"Version": "2012-10-17",\n "Statement": [{"Effect": "Allow",\n'
    text += ' "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole",'
    text += ' "Condition": {"StringEquals": {"aws:RequestTag/x": "a&b=c%20 +é"}}}]}'
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=text)
    got = iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"]
    assert got == json.loads(text)


def test_missing_role(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName="ghost")
    assert error(exc) == ("NoSuchEntity", 404, "The role with name ghost cannot be found.")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.delete_role(RoleName="ghost")


def test_case_insensitive_name_clash_changes_nothing(iam: Any) -> None:
    create(iam, "Admins")
    with pytest.raises(ClientError) as exc:
        create(iam, "admins", Description="second")
    assert error(exc) == ("EntityAlreadyExists", 409, "Role with name admins already exists.")
    roles = iam.list_roles()["Roles"]
    assert [r["RoleName"] for r in roles] == ["Admins"]
    assert "Description" not in roles[0]


def test_validation_errors(iamd_server: IamdServer, account: Credentials) -> None:
    iam = iamd_server.client("iam", account, validate=False)
    with pytest.raises(ClientError) as exc:
        iam.create_role(
            RoleName="app", AssumeRolePolicyDocument=json.dumps(EC2), MaxSessionDuration=60
        )
    code, status, message = error(exc)
    assert (code, status) == ("ValidationError", 400)
    assert "maxSessionDuration" in message
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName="a b", AssumeRolePolicyDocument=json.dumps(EC2))
    assert error(exc)[:2] == ("ValidationError", 400)
    assert iam.list_roles()["Roles"] == []


def test_malformed_trust_policy(iam: Any) -> None:
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName="app", AssumeRolePolicyDocument='{"Statement": []')
    assert error(exc)[:2] == ("MalformedPolicyDocument", 400)
    assert iam.list_roles()["Roles"] == []


def test_trust_policy_size_quota(iam: Any) -> None:
    services = [f"s{i:04d}.amazonaws.com" for i in range(200)]
    big = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": services}, "Action": "sts:AssumeRole"}
        ],
    }
    with pytest.raises(ClientError) as exc:
        create(iam, "app", big)
    assert error(exc) == ("LimitExceeded", 409, "Cannot exceed quota for ACLSizePerRole: 2048")


def test_updates(iam: Any, account: Credentials) -> None:
    create(iam, "app")
    iam.update_role(RoleName="app", Description="d", MaxSessionDuration=43200)
    role = iam.update_role_description(RoleName="app", Description="d2")["Role"]
    assert role["Description"] == "d2"
    assert role["MaxSessionDuration"] == 43200
    new_trust = trust(account.account_id)
    iam.update_assume_role_policy(RoleName="app", PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == new_trust


def test_recreated_principal_is_not_trusted(iam: Any, account: Credentials) -> None:
    old = create(iam, "worker")
    create(iam, "app", trust(old["Arn"], account.account_id))
    assert iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"] == trust(
        old["Arn"], account.account_id
    )
    iam.delete_role(RoleName="worker")
    create(iam, "worker")
    shown = iam.get_role(RoleName="app")["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"]["AWS"] == [old["RoleId"], account.account_id]


def test_each_new_role_trusts_the_principal_as_it_is_now(iam: Any, account: Credentials) -> None:
    """Principals found by earlier creates are remembered until the account changes: a
    deleted principal is invalid at once, a re-created one is the new entity."""
    old = create(iam, "worker")
    for name in ("app1", "app2"):  # the second resolves what the first found
        create(iam, name, trust(old["Arn"]))
    iam.delete_role(RoleName="worker")
    with pytest.raises(ClientError) as exc:
        create(iam, "app3", trust(old["Arn"]))
    assert error(exc) == (
        "MalformedPolicyDocument",
        400,
        f'Invalid principal in policy: "AWS":"{old["Arn"]}"',
    )
    create(iam, "worker")
    create(iam, "app4", trust(old["Arn"]))
    shown = {
        name: iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]
        for name in ("app1", "app4")
    }
    assert shown["app1"]["Statement"][0]["Principal"]["AWS"] == old["RoleId"]
    assert shown["app4"] == trust(old["Arn"])  # resolved to the new worker, which exists


def test_invalid_principal(iam: Any, account: Credentials) -> None:
    ghost = f"arn:aws:iam::{account.account_id}:role/ghost"
    with pytest.raises(ClientError) as exc:
        create(iam, "app", trust(ghost))
    assert error(exc) == (
        "MalformedPolicyDocument",
        400,
        f'Invalid principal in policy: "AWS":"{ghost}"',
    )


def test_list_roles_pages_and_prefix(iam: Any) -> None:
    names = [f"r{i:02d}" for i in range(7)]
    for name in names:
        create(iam, name, Path="/a/" if name < "r04" else "/b/", Tags=[{"Key": "k", "Value": "v"}])
    first = iam.list_roles(MaxItems=3)
    assert first["IsTruncated"] is True and first["Marker"]
    for role in first["Roles"]:
        assert "Tags" not in role and "RoleLastUsed" not in role
        assert "PermissionsBoundary" not in role
    pages = [
        r["RoleName"]
        for page in iam.get_paginator("list_roles").paginate(PaginationConfig={"PageSize": 2})
        for r in page["Roles"]
    ]
    assert pages == names
    prefixed = iam.list_roles(PathPrefix="/b/")["Roles"]
    assert [r["RoleName"] for r in prefixed] == names[4:]


def test_accounts_are_isolated(iam: Any, iamd_server: IamdServer) -> None:
    create(iam, "mine")
    other = iamd_server.client("iam", iamd_server.create_account())
    assert other.list_roles()["Roles"] == []
    with pytest.raises(other.exceptions.NoSuchEntityException):
        other.get_role(RoleName="mine")


def test_tags(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": "Team", "Value": "a"}])
    iam.tag_role(RoleName="app", Tags=[{"Key": "team", "Value": "b"}, {"Key": "x", "Value": ""}])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [
        {"Key": "team", "Value": "b"},
        {"Key": "x", "Value": ""},
    ]
    iam.untag_role(RoleName="app", TagKeys=["TEAM"])
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "x", "Value": ""}]
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName="app", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}])
    assert error(exc) == (
        "InvalidInput",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    )
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName="app", Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(exc)[:2] == ("InvalidInput", 400)
    assert iam.list_role_tags(RoleName="app")["Tags"] == [{"Key": "x", "Value": ""}]


def test_tag_quota(iam: Any) -> None:
    create(iam, "app", Tags=[{"Key": f"k{i}", "Value": ""} for i in range(50)])
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName="app", Tags=[{"Key": "one-more", "Value": ""}])
    assert error(exc)[:2] == ("LimitExceeded", 409)
    page = iam.list_role_tags(RoleName="app", MaxItems=20)
    assert page["IsTruncated"] is True and len(page["Tags"]) == 20
    rest = iam.list_role_tags(RoleName="app", Marker=page["Marker"], MaxItems=100)
    assert len(rest["Tags"]) == 30 and rest["IsTruncated"] is False


def test_aws_cli(aws: Any) -> None:
    done = aws(
        "iam",
        "create-role",
        "--role-name",
        "cli-role",
        "--assume-role-policy-document",
        json.dumps(EC2),
    )
    assert done.returncode == 0, done.stderr
    assert done.json()["Role"]["RoleName"] == "cli-role"
    listed = aws("iam", "list-roles")
    assert [r["RoleName"] for r in listed.json()["Roles"]] == ["cli-role"]
    missing = aws("iam", "get-role", "--role-name", "ghost")
    assert missing.returncode != 0
    assert missing.error_code == "NoSuchEntity"
    assert aws("iam", "delete-role", "--role-name", "cli-role").returncode == 0


def test_create_role_shows_max_session_duration_only_when_given(iam: Any) -> None:
    # As AWS answered CreateRole (recorded): the default duration is GetRole's to show.
    plain = create(iam, "plain")
    assert sorted(plain) == [
        "Arn",
        "AssumeRolePolicyDocument",
        "CreateDate",
        "Path",
        "RoleId",
        "RoleName",
    ]
    assert iam.get_role(RoleName="plain")["Role"]["MaxSessionDuration"] == 3600
    assert create(iam, "longer", MaxSessionDuration=7200)["MaxSessionDuration"] == 7200
