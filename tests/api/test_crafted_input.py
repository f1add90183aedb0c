"""Crafted input that once reached a 500: each now gets AWS's 4xx and changes nothing.

(Forged pagination markers are in ``test_markers.py``; the model-driven fuzzing of every
operation is in ``test_fuzz.py``.)
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from iamd.iam.services import SOURCE_CONTEXT_PROVIDER

from .authorize_support import post_raw, user_with_policy
from .conftest import Credentials, IamdServer
from .service_support import register
from .sts_support import code_of, trust

DEEP = "[" * 5000 + "]" * 5000


def _error(call: Any) -> tuple[str, int]:
    with pytest.raises(ClientError) as error:
        call()
    response = error.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def test_an_integer_of_thousands_of_digits_is_a_validation_error(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    raw = iamd_server.client("iam", account, validate=False)
    root = f"arn:aws:iam::{account.account_id}:root"
    for digits in ("9" * 5000, "-" + "9" * 5000, "0" * 5000 + "3600"):
        got = _error(
            lambda d=digits: raw.create_role(
                RoleName="r", AssumeRolePolicyDocument=trust(root), MaxSessionDuration=d
            )
        )
        assert got == ("ValidationError", 400)
    assert iam.list_roles()["Roles"] == []
    assert _error(lambda: raw.list_roles(MaxItems="1" * 5000)) == ("ValidationError", 400)


def test_a_list_index_of_thousands_of_digits_is_ignored(
    iamd_server: IamdServer, account: Credentials
) -> None:
    body = {
        "Action": "CreateUser",
        "Version": "2010-05-08",
        "UserName": "tagged",
        f"Tags.member.{'1' * 5000}.Key": "k",
        f"Tags.member.{'1' * 5000}.Value": "v",
    }
    status, text = _signed_query(iamd_server, account, body)
    assert status < 500, text


def _signed_query(
    server: IamdServer,
    creds: Credentials,
    params: dict[str, str],
    headers: dict[str, str] | None = None,
) -> tuple[int, str]:
    data = urllib.parse.urlencode(params).encode()
    request = AWSRequest(
        method="POST",
        url=server.endpoint + "/",
        data=data,
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )
    SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), "iam", "us-east-1"
    ).add_auth(request)
    return _send(server, "POST", data, dict(request.headers))


def _send(
    server: IamdServer, method: str, data: bytes | None, headers: dict[str, str]
) -> tuple[int, str]:
    prepared = urllib.request.Request(
        server.endpoint + "/", data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _jwt(header: str, payload: str) -> str:
    def part(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}.{part('signature')}"


def test_a_web_identity_token_nested_thousands_deep_is_refused(
    iamd_server: IamdServer, account: Credentials
) -> None:
    sts = iamd_server.client("sts", None)
    arn = f"arn:aws:iam::{account.account_id}:role/any"
    for token in (
        _jwt('{"alg":"RS256","typ":"JWT"}', '{"a":' + DEEP + "}"),
        _jwt('{"alg":' + DEEP + "}", '{"sub":"x"}'),
    ):
        with pytest.raises(ClientError) as error:
            sts.assume_role_with_web_identity(
                RoleArn=arn, RoleSessionName="s1", WebIdentityToken=token
            )
        assert code_of(error) == "InvalidIdentityToken"
        assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_context_assertion_nested_thousands_deep_is_refused(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    service = "deep.example.internal"
    arn = iam.create_role(
        RoleName="jobs",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    sts = iamd_server.client("sts", register(iamd_server, service, account))
    got = _error(
        lambda: sts.assume_role(
            RoleArn=arn,
            RoleSessionName="s1",
            # As deep as the member's 2,048 characters allow, past json's recursion limit.
            ProvidedContexts=[
                {"ProviderArn": SOURCE_CONTEXT_PROVIDER, "ContextAssertion": "[" * 2048}
            ],
        )
    )
    assert got == ("InvalidParameterValue", 400)


def test_a_policy_nested_thousands_deep_is_malformed(iam: Any) -> None:
    document = '{"Version":"2012-10-17","Statement":' + DEEP + "}"
    got = _error(lambda: iam.create_policy(PolicyName="deep", PolicyDocument=document))
    assert got == ("MalformedPolicyDocument", 400)
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_an_authorize_body_nested_thousands_deep_is_a_400(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    asker = user_with_policy(
        iam,
        "asker",
        str(account.account_id),
        {"Effect": "Allow", "Action": "iamd:Authorize", "Resource": "*"},
    )
    status, body = post_raw(iamd_server, ('{"action":' + DEEP + "}").encode(), asker)
    assert status == 400, body


def test_a_date_header_past_the_calendar_is_refused(
    iamd_server: IamdServer, account: Credentials
) -> None:
    request = AWSRequest(
        method="POST",
        url=iamd_server.endpoint + "/",
        data=b"Action=GetCallerIdentity&Version=2011-06-15",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(
        BotoCredentials(account.access_key_id, account.secret_access_key), "sts", "us-east-1"
    ).add_auth(request)
    headers = {k: v for k, v in request.headers.items() if k.lower() != "x-amz-date"}
    date = "Fri, 31 Dec 9999 23:59:59 -2359"  # past datetime's range once made UTC
    status, text = _send(iamd_server, "POST", request.body, {**headers, "Date": date})
    assert status == 400, text
    assert "<Code>IncompleteSignature</Code>" in text


def test_a_presigned_expiry_of_thousands_of_digits_is_refused(iamd_server: IamdServer) -> None:
    query = urllib.parse.urlencode(
        {
            "Action": "GetCallerIdentity",
            "Version": "2011-06-15",
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": "test/20261204/us-east-1/sts/aws4_request",
            "X-Amz-Date": "20261204T000000Z",
            "X-Amz-Expires": "9" * 5000,
            "X-Amz-SignedHeaders": "host",
            "X-Amz-Signature": "0" * 64,
        }
    )
    try:
        with urllib.request.urlopen(f"{iamd_server.endpoint}/?{query}", timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    assert status == 400


def test_a_saml_response_nested_thousands_deep_is_refused(
    iamd_server: IamdServer, account: Credentials
) -> None:
    sts = iamd_server.client("sts", None)
    xml = "<a>" * 5000 + "</a>" * 5000
    with pytest.raises(ClientError) as error:
        sts.assume_role_with_saml(
            RoleArn=f"arn:aws:iam::{account.account_id}:role/any",
            PrincipalArn=f"arn:aws:iam::{account.account_id}:saml-provider/any",
            SAMLAssertion=base64.b64encode(xml.encode()).decode(),
        )
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
