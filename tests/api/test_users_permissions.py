"""What an IAM user may do is what its policies allow: identity policies, groups, boundary."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(action: str | list[str], resource: str = "*") -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource}


def login(iamd_server: IamdServer, iam: Any, account: Credentials, name: str) -> Any:
    key = iam.create_access_key(UserName=name)["AccessKey"]
    creds = Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id)
    return iamd_server.client("iam", creds)


def denied(exc: pytest.ExceptionInfo[ClientError]) -> str:
    response = exc.value.response
    assert response["Error"]["Code"] == "AccessDenied"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    message: str = response["Error"]["Message"]
    return message


def test_a_user_does_exactly_what_its_policy_allows(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    a = account.account_id
    iam.create_user(UserName="reader")
    iam.put_user_policy(
        UserName="reader",
        PolicyName="read-users",
        PolicyDocument=policy(allow(["iam:GetUser", "iam:ListUsers"])),
    )
    reader = login(iamd_server, iam, account, "reader")
    assert [u["UserName"] for u in reader.list_users()["Users"]] == ["reader"]
    assert reader.get_user(UserName="reader")["User"]["UserName"] == "reader"
    with pytest.raises(ClientError) as err:
        reader.create_user(UserName="intruder")
    assert denied(err) == (
        f"User: arn:aws:iam::{a}:user/reader is not authorized to perform: iam:CreateUser "
        f"on resource: arn:aws:iam::{a}:user/intruder because no identity-based policy "
        "allows the iam:CreateUser action"
    )
    with pytest.raises(ClientError) as err:
        reader.list_groups()
    denied(err)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["reader"]


def test_resource_scoped_by_path(iamd_server: IamdServer, iam: Any, account: Credentials) -> None:
    iam.create_user(UserName="admin")
    iam.put_user_policy(
        UserName="admin",
        PolicyName="team-only",
        PolicyDocument=policy(
            allow("iam:*User*", f"arn:aws:iam::{account.account_id}:user/team/*")
        ),
    )
    admin = login(iamd_server, iam, account, "admin")
    admin.create_user(UserName="member", Path="/team/")
    admin.tag_user(UserName="member", Tags=[{"Key": "k", "Value": "v"}])
    with pytest.raises(ClientError) as err:
        admin.create_user(UserName="outsider", Path="/other/")
    denied(err)
    # the existing user's real path decides, not the name alone
    iam.create_user(UserName="elsewhere", Path="/other/")
    with pytest.raises(ClientError) as err:
        admin.delete_user(UserName="elsewhere")
    assert "user/other/elsewhere" in denied(err)


def test_an_explicit_deny_in_a_group_policy_wins(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn="arn:aws:iam::aws:policy/IAMFullAccess")
    iam.create_group(GroupName="no-deletes")
    iam.put_group_policy(
        GroupName="no-deletes",
        PolicyName="deny",
        PolicyDocument=policy(deny("iam:DeleteUser")),
    )
    iam.add_user_to_group(GroupName="no-deletes", UserName="u")
    user = login(iamd_server, iam, account, "u")
    user.create_user(UserName="victim")
    with pytest.raises(ClientError) as err:
        user.delete_user(UserName="victim")
    assert denied(err).endswith("with an explicit deny in an identity-based policy")
    iam.remove_user_from_group(GroupName="no-deletes", UserName="u")
    user.delete_user(UserName="victim")


def test_a_permissions_boundary_caps_a_user(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    boundary = iam.create_policy(
        PolicyName="only-reads", PolicyDocument=policy(allow(["iam:Get*", "iam:List*"]))
    )["Policy"]["Arn"]
    iam.create_user(UserName="capped", PermissionsBoundary=boundary)
    iam.attach_user_policy(
        UserName="capped", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
    )
    capped = login(iamd_server, iam, account, "capped")
    assert capped.list_users()["Users"]
    with pytest.raises(ClientError) as err:
        capped.create_group(GroupName="g")
    assert "because no permissions boundary allows the iam:CreateGroup action" in denied(err)
    iam.delete_user_permissions_boundary(UserName="capped")
    capped.create_group(GroupName="g")


def test_permissions_follow_policy_versions(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    arn = iam.create_policy(PolicyName="p", PolicyDocument=policy(allow("iam:ListUsers")))[
        "Policy"
    ]["Arn"]
    iam.create_user(UserName="u")
    iam.attach_user_policy(UserName="u", PolicyArn=arn)
    user = login(iamd_server, iam, account, "u")
    user.list_users()
    iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=policy(allow("iam:ListGroups")), SetAsDefault=True
    )
    user.list_groups()
    with pytest.raises(ClientError) as err:
        user.list_users()
    denied(err)
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    user.list_users()
