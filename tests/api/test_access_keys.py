"""Access keys against a real ``iamd serve``: secrets once, status, limits, self-service."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

SELF_SERVICE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["iam:*AccessKey*", "iam:GetUser"],
                "Resource": "arn:aws:iam::*:user/${aws:username}",
            }
        ],
    }
)


def error(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def user_with_key(iam: Any, account: Credentials, name: str, policy: str | None) -> Credentials:
    iam.create_user(UserName=name)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=policy)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return Credentials(key["AccessKeyId"], key["SecretAccessKey"], account_id=account.account_id)


def test_secret_is_returned_once(iam: Any) -> None:
    iam.create_user(UserName="u")
    key = iam.create_access_key(UserName="u")["AccessKey"]
    assert key["AccessKeyId"].startswith("AKIA") and len(key["SecretAccessKey"]) == 40
    assert key["Status"] == "Active" and key["UserName"] == "u"
    listed = iam.list_access_keys(UserName="u")["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in listed] == [key["AccessKeyId"]]
    assert "SecretAccessKey" not in listed[0]


def test_at_most_two_keys(iam: Any) -> None:
    iam.create_user(UserName="u")
    iam.create_access_key(UserName="u")
    iam.create_access_key(UserName="u")
    with pytest.raises(ClientError) as err:
        iam.create_access_key(UserName="u")
    assert error(err) == ("LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
    assert len(iam.list_access_keys(UserName="u")["AccessKeyMetadata"]) == 2


def test_inactive_keys_stop_working_and_come_back(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    creds = user_with_key(iam, account, "u", None)
    sts = iamd_server.client("sts", creds)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{account.account_id}:user/u"
    iam.update_access_key(UserName="u", AccessKeyId=creds.access_key_id, Status="Inactive")
    with pytest.raises(ClientError) as err:
        sts.get_caller_identity()
    assert error(err)[:2] == ("InvalidClientTokenId", 403)
    iam.update_access_key(UserName="u", AccessKeyId=creds.access_key_id, Status="Active")
    assert sts.get_caller_identity()["Account"] == account.account_id
    iam.delete_access_key(UserName="u", AccessKeyId=creds.access_key_id)
    with pytest.raises(ClientError) as err:
        sts.get_caller_identity()
    assert error(err)[:2] == ("InvalidClientTokenId", 403)


def test_a_user_manages_its_own_keys(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    creds = user_with_key(iam, account, "self", SELF_SERVICE)
    me = iamd_server.client("iam", creds)
    assert me.get_user()["User"]["UserName"] == "self"
    second = me.create_access_key()["AccessKey"]
    assert second["UserName"] == "self"
    ids = {k["AccessKeyId"] for k in me.list_access_keys()["AccessKeyMetadata"]}
    assert ids == {creds.access_key_id, second["AccessKeyId"]}
    last = me.get_access_key_last_used(AccessKeyId=creds.access_key_id)
    assert last["UserName"] == "self"
    assert last["AccessKeyLastUsed"]["ServiceName"]
    me.delete_access_key(AccessKeyId=second["AccessKeyId"])
    iam.create_user(UserName="other")
    with pytest.raises(ClientError) as err:
        me.create_access_key(UserName="other")
    code, status, message = error(err)
    assert (code, status) == ("AccessDenied", 403)
    assert message.startswith(
        f"User: arn:aws:iam::{account.account_id}:user/self is not authorized to perform: "
        f"iam:CreateAccessKey on resource: arn:aws:iam::{account.account_id}:user/other"
    )
    assert iam.list_access_keys(UserName="other")["AccessKeyMetadata"] == []


def test_root_keys_when_root_omits_the_user(iam: Any, account: Credentials) -> None:
    mine = iam.list_access_keys()["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in mine] == [account.access_key_id]
    created = iam.create_access_key()["AccessKey"]
    assert {k["AccessKeyId"] for k in iam.list_access_keys()["AccessKeyMetadata"]} == {
        account.access_key_id,
        created["AccessKeyId"],
    }
    iam.delete_access_key(AccessKeyId=created["AccessKeyId"])


def test_unknown_key(iam: Any) -> None:
    iam.create_user(UserName="u")
    with pytest.raises(ClientError) as err:
        iam.update_access_key(UserName="u", AccessKeyId="AKIAIOSFODNN7EXAMPLE", Status="Inactive")
    assert error(err) == (
        "NoSuchEntity",
        404,
        "The Access Key with id AKIAIOSFODNN7EXAMPLE cannot be found.",
    )
