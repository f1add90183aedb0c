"""A real boto3 client against a tiny local HTTP server that speaks through iamd.protocol.

This is what an SDK user sees: the request boto3 signs and sends is parsed by
``parse_request``, the canned result goes out through ``serialize_result`` and errors through
``render_error``; boto3 runs its own parser and handlers (the IAM policy-document decoding
included) on the way back.
"""

from __future__ import annotations

import datetime
import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import boto3
import botocore.config
import pytest
from botocore.exceptions import ClientError

from iamd.errors import NoSuchEntity, ServiceError
from iamd.protocol import CONTENT_TYPE, parse_request, render_error, serialize_result

TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringLike": {"aws:RequestTag/team": "a&b <c> ü*"}},
        }
    ],
}
CREATED = datetime.datetime(2012, 5, 8, 23, 34, 1, 495000, tzinfo=datetime.UTC)
EXPIRES = datetime.datetime(2030, 1, 1, 0, 0, 0, 0, tzinfo=datetime.UTC)

ROLE = {
    "Path": "/application_abc/",
    "RoleName": "S3Access",
    "RoleId": "AROADBQP57FF2AEXAMPLE",
    "Arn": "arn:aws:iam::123456789012:role/application_abc/S3Access",
    "CreateDate": CREATED,
    "AssumeRolePolicyDocument": json.dumps(TRUST_POLICY, indent=2),
    "MaxSessionDuration": 3600,
    "Tags": [{"Key": "team", "Value": "Ünïcødé"}],
}


def _result(action: str, params: dict[str, Any]) -> dict[str, Any] | None:
    if action == "GetRole":
        if params["RoleName"] != "S3Access":
            raise NoSuchEntity(f"The role with name {params['RoleName']} cannot be found.")
        return {"Role": ROLE}
    if action == "AssumeRole":
        session = params["RoleSessionName"]
        return {
            "Credentials": {
                "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
                "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
                "SessionToken": "FwoGZXIvYXdzEBYaD" + str(len(params.get("Tags", []))),
                "Expiration": EXPIRES,
            },
            "AssumedRoleUser": {
                "AssumedRoleId": f"AROADBQP57FF2AEXAMPLE:{session}",
                "Arn": f"arn:aws:sts::123456789012:assumed-role/S3Access/{session}",
            },
            "PackedPolicySize": 6,
        }
    return None  # e.g. DeleteRole


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        body = self.rfile.read(length).decode("utf-8")
        scope = re.search(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/", self.headers["Authorization"])
        assert scope is not None
        service = scope.group(1)
        request_id = "7a62c49f-347e-4fc4-9331-6e8eEXAMPLE"
        try:
            parsed = parse_request(service, parse_qsl(body, keep_blank_values=True))
            self.server.seen.append((parsed.action, parsed.params))  # type: ignore[attr-defined]
            payload = serialize_result(
                service, parsed.action, _result(parsed.action, parsed.params), request_id
            )
            status, headers = 200, [("Content-Type", CONTENT_TYPE)]
        except ServiceError as error:
            status, headers, payload = render_error(service, error, request_id)
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def client(server: ThreadingHTTPServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    session = boto3.session.Session(
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
        region_name="us-east-1",
    )
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    made = session.client(request.param, endpoint_url=endpoint, config=config)
    yield made
    made.close()


@pytest.mark.parametrize("client", ["iam"], indirect=True)
def test_get_role_with_boto3(client: Any) -> None:
    role = client.get_role(RoleName="S3Access")["Role"]
    assert role["AssumeRolePolicyDocument"] == TRUST_POLICY  # decoded by boto3's IAM handler
    assert role["CreateDate"] == CREATED
    assert role["Tags"] == [{"Key": "team", "Value": "Ünïcødé"}]
    assert role["Arn"] == ROLE["Arn"]


@pytest.mark.parametrize("client", ["iam"], indirect=True)
def test_modelled_error_with_boto3(client: Any) -> None:
    with pytest.raises(client.exceptions.NoSuchEntityException) as caught:
        client.get_role(RoleName="Missing")
    error = caught.value.response["Error"]
    assert error == {
        "Type": "Sender",
        "Code": "NoSuchEntity",
        "Message": "The role with name Missing cannot be found.",
    }
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert caught.value.response["ResponseMetadata"]["RequestId"].startswith("7a62c49f")


@pytest.mark.parametrize("client", ["iam"], indirect=True)
def test_operation_without_output_with_boto3(client: Any) -> None:
    response = client.delete_role(RoleName="S3Access")
    assert set(response) == {"ResponseMetadata"}


@pytest.mark.parametrize("client", ["sts"], indirect=True)
def test_assume_role_with_boto3(client: Any, server: Any) -> None:
    response = client.assume_role(
        RoleArn="arn:aws:iam::123456789012:role/application_abc/S3Access",
        RoleSessionName="app1",
        DurationSeconds=900,
        Tags=[{"Key": "team", "Value": "a b"}, {"Key": "Ünï", "Value": "ü"}],
        TransitiveTagKeys=["team"],
        PolicyArns=[{"arn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],
    )
    assert response["Credentials"]["Expiration"] == EXPIRES
    assert response["AssumedRoleUser"]["AssumedRoleId"] == "AROADBQP57FF2AEXAMPLE:app1"
    assert response["PackedPolicySize"] == 6
    action, params = server.seen[-1]
    assert action == "AssumeRole"
    assert params["Tags"] == [{"Key": "team", "Value": "a b"}, {"Key": "Ünï", "Value": "ü"}]
    assert params["TransitiveTagKeys"] == ["team"]
    assert params["DurationSeconds"] == 900


@pytest.mark.parametrize("client", ["sts"], indirect=True)
def test_validation_error_with_boto3(client: Any) -> None:
    with pytest.raises(ClientError) as caught:
        client.assume_role(RoleArn="arn:aws:iam::123456789012:role/S3Access", RoleSessionName="a:b")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"] == (
        "1 validation error detected: Value 'a:b' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
