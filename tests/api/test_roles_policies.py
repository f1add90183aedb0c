"""A role's policies, boundary and authorization, as boto3 sees them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer
from .test_roles import create, error

S3_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
}


def make_policy(iam: Any, name: str, path: str = "/") -> str:
    arn: str = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(S3_ALL), Path=path)[
        "Policy"
    ]["Arn"]
    return arn


def test_inline_policies(iam: Any) -> None:
    create(iam, "app")
    iam.put_role_policy(RoleName="app", PolicyName="s3", PolicyDocument=json.dumps(S3_ALL))
    got = iam.get_role_policy(RoleName="app", PolicyName="s3")
    assert got["PolicyDocument"] == S3_ALL
    assert got["RoleName"] == "app" and got["PolicyName"] == "s3"
    assert iam.list_role_policies(RoleName="app")["PolicyNames"] == ["s3"]
    with pytest.raises(ClientError) as exc:
        iam.get_role_policy(RoleName="app", PolicyName="nope")
    assert error(exc) == ("NoSuchEntity", 404, "The role policy with name nope cannot be found.")


def test_attached_policies_and_delete_conflict(iam: Any) -> None:
    create(iam, "app")
    arn = make_policy(iam, "p", "/team/")
    iam.attach_role_policy(RoleName="app", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="app", PathPrefix="/team/")
    assert attached["AttachedPolicies"] == [{"PolicyName": "p", "PolicyArn": arn}]
    assert (
        iam.list_attached_role_policies(RoleName="app", PathPrefix="/x/")["AttachedPolicies"] == []
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="app")
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    )
    iam.detach_role_policy(RoleName="app", PolicyArn=arn)
    iam.put_role_policy(RoleName="app", PolicyName="i", PolicyDocument=json.dumps(S3_ALL))
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName="app")
    assert error(exc) == (
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    )
    assert iam.get_role(RoleName="app")["Role"]["RoleName"] == "app"
    iam.delete_role_policy(RoleName="app", PolicyName="i")
    iam.delete_role(RoleName="app")


def test_permissions_boundary(iam: Any, account: Credentials) -> None:
    boundary = make_policy(iam, "boundary")
    role = create(iam, "app", PermissionsBoundary=boundary)
    assert role["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": boundary,
    }
    iam.delete_role_permissions_boundary(RoleName="app")
    assert "PermissionsBoundary" not in iam.get_role(RoleName="app")["Role"]
    ghost = f"arn:aws:iam::{account.account_id}:policy/ghost"
    with pytest.raises(ClientError) as exc:
        iam.put_role_permissions_boundary(RoleName="app", PermissionsBoundary=ghost)
    assert error(exc)[:2] == ("NoSuchEntity", 404)
    iam.put_role_permissions_boundary(
        RoleName="app", PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess"
    )
    got = iam.get_role(RoleName="app")["Role"]["PermissionsBoundary"]
    assert got["PermissionsBoundaryArn"] == "arn:aws:iam::aws:policy/IAMReadOnlyAccess"


def _user_with_policy(
    iamd_server: IamdServer, iam: Any, account: Credentials, policy: dict[str, Any]
) -> Any:
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="bob")["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id)
    return iamd_server.client("iam", creds)


def test_authorization_on_the_role_arn(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    create(iam, "app", Path="/team/", Tags=[{"Key": "owner", "Value": "bob"}])
    create(iam, "other", Tags=[{"Key": "owner", "Value": "alice"}])
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:GetRole", "iam:TagRole"],
                "Resource": f"arn:aws:iam::{account.account_id}:role/*",
                "Condition": {"StringEquals": {"aws:ResourceTag/owner": "${aws:username}"}},
            },
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": f"arn:aws:iam::{account.account_id}:role/team/*",
            },
        ],
    }
    bob = _user_with_policy(iamd_server, iam, account, policy)
    assert bob.get_role(RoleName="app")["Role"]["Path"] == "/team/"
    with pytest.raises(ClientError) as exc:
        bob.get_role(RoleName="other")
    assert error(exc)[:2] == ("AccessDenied", 403)
    assert "role/other" in error(exc)[2]
    with pytest.raises(ClientError) as exc:  # AccessDenied comes before NoSuchEntity
        bob.get_role(RoleName="ghost")
    assert error(exc)[:2] == ("AccessDenied", 403)
    create(bob, "made", Path="/team/")
    with pytest.raises(ClientError) as exc:
        create(bob, "made2", Path="/elsewhere/")
    assert error(exc)[:2] == ("AccessDenied", 403)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == ["app", "made", "other"]


def test_request_tags_condition(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "iam:CreateRole",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:RequestTag/team": "core"},
                    "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                },
            }
        ],
    }
    bob = _user_with_policy(iamd_server, iam, account, policy)
    create(bob, "ok", Tags=[{"Key": "team", "Value": "core"}])
    with pytest.raises(ClientError) as exc:
        create(bob, "bad", Tags=[{"Key": "team", "Value": "other"}])
    assert error(exc)[:2] == ("AccessDenied", 403)
    with pytest.raises(ClientError):
        create(bob, "untagged")
