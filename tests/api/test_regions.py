"""An SDK signs IAM with whatever region it is configured for: iamd takes any well-formed
region for IAM as for STS, ``--regions`` may restrict both, and aws:RequestedRegion
carries the region a request was signed for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer, _master_key
from .sts_support import user


def _client(server: IamdServer, service: str, creds: Credentials, region: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=server.endpoint,
        region_name=region,
        aws_access_key_id=creds.access_key_id,
        aws_secret_access_key=creds.secret_access_key,
        aws_session_token=creds.session_token,
        config=Config(retries={"total_max_attempts": 1}),
    )


def test_iam_takes_any_region_and_policies_see_it(
    iamd_server: IamdServer, iam: Any, account: Credentials
) -> None:
    for region in ("eu-central-1", "ap-southeast-2", "us-gov-west-1"):
        found = _client(iamd_server, "iam", account, region).list_users()
        assert found["Users"] == []
    only_eu = user(
        iam,
        "eu-only",
        {
            "Effect": "Allow",
            "Action": "iam:ListUsers",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-central-1"}},
        },
        account=str(account.account_id),
    )
    _client(iamd_server, "iam", only_eu, "eu-central-1").list_users()
    with pytest.raises(ClientError) as error:
        _client(iamd_server, "iam", only_eu, "us-east-1").list_users()
    assert error.value.response["Error"]["Code"] == "AccessDenied"


@pytest.fixture
def restricted(tmp_path: Path) -> Iterator[IamdServer]:
    server = IamdServer("sqlite", tmp_path / "data", None, _master_key())
    server.start("--regions", "us-east-1,eu-west-1")
    yield server
    server.stop()
    server.close_database()


def test_regions_restricts_iam_and_sts(restricted: IamdServer) -> None:
    root = restricted.root
    _client(restricted, "iam", root, "eu-west-1").list_users()
    _client(restricted, "sts", root, "us-east-1").get_caller_identity()
    for service in ("iam", "sts"):
        client = _client(restricted, service, root, "eu-central-1")
        with pytest.raises(ClientError) as error:
            client.list_users() if service == "iam" else client.get_caller_identity()
        response = error.value.response
        assert response["Error"]["Code"] == "SignatureDoesNotMatch"
        assert "Credential should be scoped to a valid region" in response["Error"]["Message"]
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
