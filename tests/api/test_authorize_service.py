"""POST /authorize from the asking service's side: its own signature, its permission
``iamd:Authorize``, and the body it sends. Every failure is a JSON error with a 4xx
status; none is a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.authz.client import AuthorizeError

from .authorize_support import ask, post_raw, sign, user_with_policy
from .conftest import Credentials, IamdServer

PHOTO = "arn:aws:storage:::photos/cat.jpg"
GET = "storage:GetObject"
READ = {"Effect": "Allow", "Action": GET, "Resource": "*"}


def _question(owner: str, **overrides: Any) -> dict[str, Any]:
    body = sign(None).question(GET, PHOTO, owner)
    body.update(overrides)
    return body


def test_a_service_without_iamd_authorize_is_denied(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    service = user_with_policy(iam, "svc", owner, READ)
    client = user_with_policy(iam, "alice", owner, READ)
    with pytest.raises(AuthorizeError) as raised:
        ask(iamd_server, service, sign(client), action=GET, resource=PHOTO, owner=owner)
    assert raised.value.status == 403
    assert raised.value.code == "AccessDenied"
    assert raised.value.message == (
        f"User: arn:aws:iam::{owner}:user/svc is not authorized to perform: iamd:Authorize "
        f"on resource: {PHOTO} because no identity-based policy allows the iamd:Authorize action"
    )


def test_iamd_authorize_is_scoped_by_resource_action_and_owner(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    owner = account.account_id
    scoped = {
        "Effect": "Allow",
        "Action": "iamd:Authorize",
        "Resource": "arn:aws:storage:::photos/*",
        "Condition": {
            "StringLike": {"iamd:Action": "storage:Get*"},
            "StringEquals": {"iamd:ResourceOwner": owner},
        },
    }
    service = user_with_policy(iam, "svc", owner, scoped)
    client = user_with_policy(iam, "alice", owner, READ)
    request = sign(client)
    assert ask(iamd_server, service, request, action=GET, resource=PHOTO, owner=owner).allowed
    for action, resource, who in [
        (GET, "arn:aws:storage:::videos/cat.mp4", owner),
        ("storage:DeleteObject", PHOTO, owner),
        (GET, PHOTO, "210987654321"),
    ]:
        with pytest.raises(AuthorizeError) as raised:
            ask(iamd_server, service, request, action=action, resource=resource, owner=who)
        assert raised.value.code == "AccessDenied"


def test_a_role_session_may_be_the_service(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    from .sts_support import creds, role, trust

    owner = account.account_id
    runner = user_with_policy(
        iam, "runner", owner, {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}
    )
    arn = role(
        iam,
        "storage-service",
        trust(f"arn:aws:iam::{owner}:user/runner"),
        {"Effect": "Allow", "Action": "iamd:Authorize", "Resource": "*"},
    )
    service = creds(
        iamd_server.client("sts", runner).assume_role(RoleArn=arn, RoleSessionName="svc")
    )
    client = user_with_policy(iam, "alice", owner, READ)
    assert ask(iamd_server, service, sign(client), action=GET, resource=PHOTO, owner=owner).allowed


def test_a_registered_service_asks_with_its_own_credentials(
    iamd_server: IamdServer, account: Credentials, iam: Any
) -> None:
    from .service_support import register

    owner = account.account_id
    service = register(iamd_server, "storage.example.internal", account)
    alice = user_with_policy(iam, "alice", owner, READ)
    bob = user_with_policy(
        iam, "bob", owner, {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
    )
    assert ask(iamd_server, service, sign(alice), action=GET, resource=PHOTO, owner=owner).allowed
    denied = ask(iamd_server, service, sign(bob), action=GET, resource=PHOTO, owner=owner)
    assert not denied.allowed


def test_the_service_must_sign_its_own_request(
    iamd_server: IamdServer, account: Credentials
) -> None:
    body = json.dumps(_question(account.account_id)).encode()
    status, data = post_raw(iamd_server, body, None)
    assert status == 403 and data["error"]["code"] == "MissingAuthenticationToken"
    status, data = post_raw(iamd_server, body, Credentials(account.access_key_id, "wrong"))
    assert status == 403 and data["error"]["code"] == "SignatureDoesNotMatch"
    status, data = post_raw(iamd_server, body, Credentials("AKIANOSUCHKEY0000000", "x"))
    assert status == 403 and data["error"]["code"] == "InvalidClientTokenId"
    assert data["requestId"]


@pytest.mark.parametrize(
    ("body", "code", "fragment"),
    [
        (b"{not json", "MalformedJSON", "not valid JSON"),
        (b"\xff\xfe", "MalformedJSON", "not valid JSON"),
        (b"[1, 2]", "ValidationError", "must be a JSON object"),
        (b"{}", "ValidationError", "6 validation errors detected"),
    ],
)
def test_malformed_bodies_are_400_json_errors(
    iamd_server: IamdServer, account: Credentials, body: bytes, code: str, fragment: str
) -> None:
    status, data = post_raw(iamd_server, body, account)
    assert status == 400
    assert data["error"]["code"] == code
    assert fragment in data["error"]["message"]


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"method": "get"}, "'method'"),
        ({"path": "photos"}, "'path' must start with '/'"),
        ({"headers": [["host"]]}, "'headers'"),
        ({"headers": {"host": "x"}}, "'headers'"),
        ({"payloadHash": "abc"}, "'payloadHash'"),
        ({"body": "bWVvdw=="}, "either 'payloadHash' or 'body'"),
        ({"action": "storage:*"}, "without wildcards"),
        ({"action": "GetObject"}, "'action'"),
        ({"resource": "photos/cat.jpg"}, "'resource' must be an ARN"),
        ({"resourceOwner": "me"}, "12-digit account id"),
        ({"resourcePolicy": 5}, "'resourcePolicy'"),
        ({"context": {"a": "b"}}, "'context'"),
        ({"context": [{"key": "aws:PrincipalArn", "values": ["x"]}]}, "is set by iamd"),
        ({"context": [{"key": "s:k", "type": "float", "values": ["1"]}]}, ".type must be"),
        ({"context": [{"key": "s:k", "type": "string", "values": ["a", "b"]}]}, "one value"),
        ({"sourceIp": "nowhere"}, "'sourceIp'"),
        ({"secureTransport": "yes"}, "'secureTransport'"),
        ({"surprise": 1}, "Unknown fields: surprise"),
    ],
)
def test_invalid_fields_are_validation_errors(
    iamd_server: IamdServer, account: Credentials, overrides: dict[str, Any], fragment: str
) -> None:
    body = json.dumps(_question(account.account_id, **overrides)).encode()
    status, data = post_raw(iamd_server, body, account)
    assert status == 400, data
    assert data["error"]["code"] == "ValidationError"
    assert fragment in data["error"]["message"]


def test_a_malformed_resource_policy_is_malformed_policy_document(
    iamd_server: IamdServer, account: Credentials
) -> None:
    no_principal = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": GET, "Resource": "*"}],
        }
    )
    for text in ("{", no_principal):
        body = json.dumps(_question(account.account_id, resourcePolicy=text)).encode()
        status, data = post_raw(iamd_server, body, account)
        assert status == 400 and data["error"]["code"] == "MalformedPolicyDocument"


def test_only_post(iamd_server: IamdServer, account: Credentials) -> None:
    status, data = post_raw(iamd_server, b"", account, method="GET")
    assert status == 405 and data["error"]["code"] == "MethodNotAllowed"
