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
