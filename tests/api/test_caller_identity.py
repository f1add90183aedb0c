"""GetCallerIdentity and GetAccessKeyInfo, as boto3 and the AWS CLI see them."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from .conftest import ROOT, Credentials, IamdServer


def test_root_of_the_default_account_with_operator_chosen_keys(iamd_server: IamdServer) -> None:
    got = iamd_server.client("sts").get_caller_identity()
    assert got["Account"] == ROOT.account_id
    assert got["UserId"] == ROOT.account_id
    assert got["Arn"] == f"arn:aws:iam::{ROOT.account_id}:root"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["ResponseMetadata"]["RequestId"]


def test_root_of_a_created_account(sts: Any, account: Credentials) -> None:
    got = sts.get_caller_identity()
    assert got["Account"] == account.account_id
    assert got["UserId"] == account.account_id
    assert got["Arn"] == f"arn:aws:iam::{account.account_id}:root"


def test_aws_cli_get_caller_identity(iamd_server: IamdServer, account: Credentials) -> None:
    done = iamd_server.aws("sts", "get-caller-identity", credentials=account)
    assert done.returncode == 0, done.stderr
    assert done.json() == {
        "UserId": account.account_id,
        "Account": account.account_id,
        "Arn": f"arn:aws:iam::{account.account_id}:root",
    }


def test_sts_on_a_regional_scope(iamd_server: IamdServer, account: Credentials) -> None:
    client = iamd_server.client("sts", account)
    client.meta.config.region_name = "eu-west-1"  # only the signature's scope changes
    assert client.get_caller_identity()["Account"] == account.account_id


def test_get_access_key_info_for_a_generated_key(sts: Any, account: Credentials) -> None:
    assert sts.get_access_key_info(AccessKeyId=account.access_key_id)["Account"] == (
        account.account_id
    )


def test_get_access_key_info_decodes_keys_it_never_stored(sts: Any) -> None:
    from iamd.model.ids import IdPrefix, access_key_id

    key = access_key_id(IdPrefix.LONG_TERM_KEY, "210987654321", lambda n: b"\x01" * n)
    assert sts.get_access_key_info(AccessKeyId=key)["Account"] == "210987654321"


def test_get_access_key_info_validates_the_key_id(
    iamd_server: IamdServer, account: Credentials
) -> None:
    sts = iamd_server.client("sts", account, validate=False)
    with pytest.raises(ClientError) as err:
        sts.get_access_key_info(AccessKeyId="short")
    assert err.value.response["Error"]["Code"] == "ValidationError"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def _user_with_key(iam: Any, name: str, path: str = "/") -> tuple[dict[str, Any], Credentials]:
    user = iam.create_user(UserName=name, Path=path)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return user, Credentials(key["AccessKeyId"], key["SecretAccessKey"])


def test_an_iam_user_without_any_permission(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    user, creds = _user_with_key(iam, "alice", "/staff/")
    got = iamd_server.client("sts", creds).get_caller_identity()
    assert got["UserId"] == user["UserId"] and got["UserId"].startswith("AIDA")
    assert got["Arn"] == f"arn:aws:iam::{account.account_id}:user/staff/alice"
    assert got["Account"] == account.account_id


def test_get_caller_identity_ignores_an_explicit_deny(iamd_server: IamdServer, iam: Any) -> None:
    _, creds = _user_with_key(iam, "denied")
    deny_all = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}'
    )
    iam.put_user_policy(UserName="denied", PolicyName="DenyAll", PolicyDocument=deny_all)
    sts = iamd_server.client("sts", creds)
    assert sts.get_caller_identity()["Arn"].endswith(":user/denied")
    with pytest.raises(ClientError) as err:
        sts.get_access_key_info(AccessKeyId=creds.access_key_id)
    assert err.value.response["Error"]["Code"] == "AccessDenied"
    assert err.value.response["Error"]["Message"].endswith(
        "with an explicit deny in an identity-based policy"
    )


def test_get_access_key_info_needs_permission(iamd_server: IamdServer, iam: Any) -> None:
    user, creds = _user_with_key(iam, "bob")
    sts = iamd_server.client("sts", creds)
    with pytest.raises(ClientError) as err:
        sts.get_access_key_info(AccessKeyId=creds.access_key_id)
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert err.value.response["Error"]["Message"] == (
        f"User: {user['Arn']} is not authorized to perform: sts:GetAccessKeyInfo on resource: * "
        "because no identity-based policy allows the sts:GetAccessKeyInfo action"
    )
    allow = (
        '{"Version":"2012-10-17","Statement":'
        '[{"Effect":"Allow","Action":"sts:GetAccessKeyInfo","Resource":"*"}]}'
    )
    iam.put_user_policy(UserName="bob", PolicyName="Info", PolicyDocument=allow)
    assert (
        sts.get_access_key_info(AccessKeyId=creds.access_key_id)["Account"]
        == user["Arn"].split(":")[4]
    )


def test_a_keys_last_use_is_recorded(iamd_server: IamdServer, iam: Any) -> None:
    _, creds = _user_with_key(iam, "carol")
    before = iam.get_access_key_last_used(AccessKeyId=creds.access_key_id)["AccessKeyLastUsed"]
    assert "LastUsedDate" not in before
    iamd_server.client("sts", creds).get_caller_identity()
    after = iam.get_access_key_last_used(AccessKeyId=creds.access_key_id)["AccessKeyLastUsed"]
    assert after["ServiceName"] == "sts"
    assert after["Region"] == "us-east-1"
    assert "LastUsedDate" in after
