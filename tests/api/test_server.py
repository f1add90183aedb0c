"""The server as an HTTP endpoint: health, routing, bad input and authentication failures.

Requests here are built by hand (and signed with botocore's own SigV4 signer) so that they
can be wrong in ways no SDK would send. Every failure must be an AWS ErrorResponse with
the right code and status, never a 500, and must change nothing.
"""

from __future__ import annotations

import http.client
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials
from botocore.exceptions import ClientError

from .conftest import Credentials, IamdServer

FORM = "application/x-www-form-urlencoded; charset=utf-8"
IAM_VERSION = "2010-05-08"
STS_VERSION = "2011-06-15"
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str

    def field(self, name: str) -> str | None:
        found = re.search(f"<{name}>(.*?)</{name}>", self.body, re.S)
        return found.group(1) if found else None

    @property
    def code(self) -> str | None:
        return self.field("Code")


def send(
    server: IamdServer,
    body: bytes = b"",
    *,
    method: str = "POST",
    path: str = "/",
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        target = f"{path}?{query}" if query else path
        all_headers = {"Content-Type": FORM, **(headers or {})}
        conn.request(method, target, body=body, headers=all_headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text)
    finally:
        conn.close()


def send_signed(
    server: IamdServer,
    creds: Credentials,
    body: bytes,
    *,
    service: str = "iam",
    method: str = "POST",
    query: str = "",
    region: str = "us-east-1",
) -> Reply:
    url = f"{server.endpoint}/" + (f"?{query}" if query else "")
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": FORM})
    signer = SigV4Auth(
        BotoCredentials(creds.access_key_id, creds.secret_access_key), service, region
    )
    signer.add_auth(request)
    headers = {k: str(v) for k, v in request.headers.items()}
    return send(server, body, method=method, query=query, headers=headers)


def assert_aws_error(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert reply.code == code, reply.body
    assert reply.headers["content-type"].startswith("text/xml")
    assert reply.field("RequestId") == reply.headers["x-amzn-requestid"]
    assert "Traceback" not in reply.body


def role_count(server: IamdServer, creds: Credentials) -> int:
    return len(server.client("iam", creds).list_roles()["Roles"])


# -- health and routing ------------------------------------------------------------------


def test_healthz(iamd_server: IamdServer) -> None:
    reply = send(iamd_server, method="GET", path="/healthz")
    assert reply.status == 200


def test_unknown_path_is_an_aws_error(iamd_server: IamdServer) -> None:
    assert_aws_error(send(iamd_server, method="GET", path="/nope"), 404, "NotFound")


def test_method_other_than_get_or_post(iamd_server: IamdServer, account: Credentials) -> None:
    assert_aws_error(send(iamd_server, b"", method="PUT"), 405, "MethodNotAllowed")


def test_request_ids_are_unique_uuids(iamd_server: IamdServer, account: Credentials) -> None:
    ids = {
        iamd_server.client("sts", account).get_caller_identity()["ResponseMetadata"]["RequestId"]
        for _ in range(3)
    }
    assert len(ids) == 3
    for rid in ids:
        assert re.fullmatch(
            r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", rid
        )


# -- the wire: actions, versions, encodings, sizes ---------------------------------------


def test_unknown_action(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=NoSuchThing&Version={IAM_VERSION}".encode()
    reply = send_signed(iamd_server, account, body)
    assert_aws_error(reply, 400, "InvalidAction")
    assert reply.headers["x-amzn-requestid"]


def test_missing_action(iamd_server: IamdServer, account: Credentials) -> None:
    assert_aws_error(send_signed(iamd_server, account, b""), 400, "MissingAction")
    body = f"Version={IAM_VERSION}&RoleName=x".encode()
    assert_aws_error(send_signed(iamd_server, account, body), 400, "MissingAction")


def test_wrong_version(iamd_server: IamdServer, account: Credentials) -> None:
    body = b"Action=ListRoles&Version=2011-06-15"
    assert_aws_error(send_signed(iamd_server, account, body), 400, "InvalidAction")


def test_sts_action_on_an_iam_scope(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=GetCallerIdentity&Version={STS_VERSION}".encode()
    assert_aws_error(send_signed(iamd_server, account, body), 400, "InvalidAction")


def test_sts_errors_use_the_sts_namespace(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=NoSuchThing&Version={STS_VERSION}".encode()
    reply = send_signed(iamd_server, account, body, service="sts")
    assert_aws_error(reply, 400, "InvalidAction")
    assert 'xmlns="https://sts.amazonaws.com/doc/2011-06-15/"' in reply.body


def test_get_with_a_query_string(iamd_server: IamdServer, account: Credentials) -> None:
    query = f"Action=GetCallerIdentity&Version={STS_VERSION}"
    reply = send_signed(iamd_server, account, b"", service="sts", method="GET", query=query)
    assert reply.status == 200, reply.body
    assert reply.field("Account") == account.account_id


def test_validation_errors_are_all_reported(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=CreateRole&Version={IAM_VERSION}&RoleName=bad%20name!".encode()
    reply = send_signed(iamd_server, account, body)
    assert_aws_error(reply, 400, "ValidationError")
    assert "2 validation errors detected" in (reply.field("Message") or "")
    assert role_count(iamd_server, account) == 0


MALFORMED = {
    "bad-percent-escape": b"Action=CreateRole&Version=2010-05-08&RoleName=r%ZZ"
    b"&AssumeRolePolicyDocument=%7B%7D",
    "truncated-escape": b"Action=CreateRole&Version=2010-05-08&RoleName=r&"
    b"AssumeRolePolicyDocument=%7",
    "not-utf8": b"Action=CreateRole&Version=2010-05-08&RoleName=r%FF%FE&AssumeRolePolicyDocument=x",
    "raw-not-utf8": b"Action=CreateRole&Version=2010-05-08&RoleName=r\xff"
    b"&AssumeRolePolicyDocument=x",
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bodies_change_nothing(
    iamd_server: IamdServer, account: Credentials, body: bytes
) -> None:
    reply = send_signed(iamd_server, account, body)
    assert_aws_error(reply, 404, "MalformedQueryString")
    assert role_count(iamd_server, account) == 0


def test_malformed_query_string(iamd_server: IamdServer, account: Credentials) -> None:
    reply = send_signed(
        iamd_server, account, b"", service="sts", method="GET", query="Action=Get%G0"
    )
    assert reply.status == 404 and reply.code == "MalformedQueryString", reply.body


def test_oversized_body(iamd_server: IamdServer, account: Credentials) -> None:
    padding = b"A" * (1 << 20)
    body = b"Action=CreateRole&Version=2010-05-08&RoleName=big&Description=" + padding
    reply = send_signed(iamd_server, account, body)
    assert_aws_error(reply, 413, "RequestEntityTooLarge")
    assert role_count(iamd_server, account) == 0


def test_oversized_parameter(iamd_server: IamdServer, account: Credentials) -> None:
    doc = "%7B%22a%22%3A%22" + "x" * 200_000 + "%22%7D"
    body = f"Action=CreateRole&Version={IAM_VERSION}&RoleName=r&AssumeRolePolicyDocument={doc}"
    reply = send_signed(iamd_server, account, body.encode())
    assert_aws_error(reply, 400, "ValidationError")
    assert role_count(iamd_server, account) == 0


def test_garbage_content_type_is_still_read_as_a_form(
    iamd_server: IamdServer, account: Credentials
) -> None:
    reply = send_signed(iamd_server, account, b'{"Action": "ListRoles"}')
    assert_aws_error(reply, 400, "MissingAction")


# -- authentication ----------------------------------------------------------------------


def test_unsigned_request(iamd_server: IamdServer) -> None:
    reply = send(iamd_server, f"Action=ListRoles&Version={IAM_VERSION}".encode())
    assert_aws_error(reply, 403, "MissingAuthenticationToken")
    reply = send(iamd_server, f"Action=GetCallerIdentity&Version={STS_VERSION}".encode())
    assert_aws_error(reply, 403, "MissingAuthenticationToken")
    assert "sts.amazonaws.com" in reply.body


def test_unsigned_unknown_action(iamd_server: IamdServer) -> None:
    reply = send(iamd_server, b"Action=Nope")
    assert_aws_error(reply, 403, "MissingAuthenticationToken")


def test_bad_signature(iamd_server: IamdServer, account: Credentials) -> None:
    wrong = Credentials(account.access_key_id, account.secret_access_key + "x")
    with pytest.raises(ClientError) as err:
        iamd_server.client("sts", wrong).get_caller_identity()
    assert err.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_unknown_access_key(iamd_server: IamdServer) -> None:
    unknown = Credentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    for service, call in (("sts", "get_caller_identity"), ("iam", "list_roles")):
        with pytest.raises(ClientError) as err:
            getattr(iamd_server.client(service, unknown), call)()
        assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_temporary_keys_are_refused_for_now(iamd_server: IamdServer) -> None:
    temp = Credentials("ASIAIOSFODNN7EXAMPLE", "secret", session_token="token")
    with pytest.raises(ClientError) as err:
        iamd_server.client("sts", temp).get_caller_identity()
    assert err.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_iam_in_any_well_formed_region(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=ListRoles&Version={IAM_VERSION}".encode()
    assert send_signed(iamd_server, account, body, region="eu-west-1").status == 200
    reply = send_signed(iamd_server, account, body, region="Not_A_Region")
    assert_aws_error(reply, 403, "SignatureDoesNotMatch")
    assert "region" in (reply.field("Message") or "")


def test_a_scope_for_another_service(iamd_server: IamdServer, account: Credentials) -> None:
    body = f"Action=ListRoles&Version={IAM_VERSION}".encode()
    reply = send_signed(iamd_server, account, body, service="s3")
    assert_aws_error(reply, 403, "SignatureDoesNotMatch")


def test_accounts_are_separate(iamd_server: IamdServer, account: Credentials) -> None:
    other = iamd_server.create_account()
    ident: Any = iamd_server.client("sts", other).get_caller_identity()
    assert ident["Account"] == other.account_id != account.account_id


def test_two_nodes_on_one_postgresql_are_one_service(iamd_cluster: list[IamdServer]) -> None:
    node_a, node_b = iamd_cluster
    creds = node_a.create_account()
    iam_a, iam_b = node_a.client("iam", creds), node_b.client("iam", creds)
    iam_a.create_user(UserName="shared")
    assert iam_b.get_user(UserName="shared")["User"]["UserName"] == "shared"
    key = iam_b.create_access_key(UserName="shared")["AccessKey"]
    user = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
    # A permission granted through one node is in force on the other at once.
    with pytest.raises(ClientError):
        node_a.client("iam", user).list_users()
    statement = {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}
    allow = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam_b.put_user_policy(UserName="shared", PolicyName="List", PolicyDocument=allow)
    assert node_a.client("iam", user).list_users()["Users"][0]["UserName"] == "shared"
