"""authz/remote.py: the /authorize question, checked, and the answers' shapes."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest

from iamd import policy
from iamd.authz import remote
from iamd.errors import SignatureDoesNotMatch, ValidationError
from iamd.model.caller import Caller, CallerKind
from iamd.policy import Decision, Evaluation, PolicyType

OWNER = "123456789012"


def body(**overrides: Any) -> dict[str, Any]:
    question: dict[str, Any] = {
        "method": "PUT",
        "path": "/photos/cat.jpg",
        "headers": [["host", "storage.example"], ["x-amz-date", "20240101T000000Z"]],
        "action": "storage:PutObject",
        "resource": "arn:aws:storage:::photos/cat.jpg",
        "resourceOwner": OWNER,
    }
    question.update(overrides)
    return {k: v for k, v in question.items() if v is not None}


def test_a_minimal_question() -> None:
    q = remote.parse_question(body(query="?a=1"))
    assert q.request.method == "PUT" and q.request.query == "a=1"
    assert q.request.headers == (("host", "storage.example"), ("x-amz-date", "20240101T000000Z"))
    assert q.request.payload_hash == hashlib.sha256(b"").hexdigest()
    assert q.request.source_ip is None and q.request.secure_transport is False
    assert q.target.arn == q.resource and q.target.account == OWNER
    assert q.context is None and q.resource_policy is None


def test_payload_hash_body_and_unsigned_payload() -> None:
    digest = hashlib.sha256(b"meow").hexdigest()
    assert remote.parse_question(body(payloadHash=digest.upper())).request.payload_hash == digest
    inline = remote.parse_question(body(body=base64.b64encode(b"meow").decode()))
    assert inline.request.payload_hash == digest
    unsigned = remote.parse_question(body(payloadHash="UNSIGNED-PAYLOAD"))
    assert unsigned.request.payload_hash == "UNSIGNED-PAYLOAD"
    too_big = base64.b64encode(b"x" * (remote.MAX_INLINE_BODY + 1)).decode()
    with pytest.raises(ValidationError, match="larger than"):
        remote.parse_question(body(body=too_big))


def test_context_entries_are_typed_like_the_simulators() -> None:
    q = remote.parse_question(
        body(
            context=[
                {"key": "storage:Tier", "values": ["cold"]},
                {"key": "aws:ResourceTag/Team", "type": "string", "values": ["blue"]},
                {"key": "storage:Keys", "type": "stringList", "values": ["a", "b"]},
                {"key": "storage:Size", "type": "numeric", "values": [42]},
                {"key": "storage:Versioned", "type": "boolean", "values": [True]},
            ]
        )
    )
    assert q.context == {
        "storage:tier": "cold",
        "aws:resourcetag/team": "blue",
        "storage:keys": ("a", "b"),
        "storage:size": "42",
        "storage:versioned": "true",
    }


@pytest.mark.parametrize(
    "key",
    ["aws:PrincipalArn", "AWS:principaltag/team", "aws:SourceIp", "aws:CurrentTime", "iamd:Action"],
)
def test_keys_iamd_derives_cannot_be_supplied(key: str) -> None:
    with pytest.raises(ValidationError, match="is set by iamd"):
        remote.parse_question(body(context=[{"key": key, "values": ["x"]}]))


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as raised:
        remote.parse_question({"method": 1, "path": "x", "headers": "h", "action": "a"})
    message = raised.value.message
    assert message.startswith("6 validation errors detected: ")
    for fragment in (
        "'method'",
        "'path'",
        "'headers'",
        "'action'",
        "'resource'",
        "'resourceOwner'",
    ):
        assert fragment in message


def _caller() -> Caller:
    return Caller(
        kind=CallerKind.USER,
        account_id=OWNER,
        arn=f"arn:aws:iam::{OWNER}:user/alice",
        user_id="AIDAALICE",
        access_key_id="AKIAALICE",
    )


def test_a_denial_answers_with_aws_wording() -> None:
    q = remote.parse_question(body())
    denied = Evaluation(Decision.IMPLICIT_DENY, (), PolicyType.IDENTITY, ("storage:tier",))
    answer = remote.answer(q, _caller(), None, denied, "rid")
    assert answer["decision"] == "ImplicitDeny"
    assert answer["reasons"] == {
        "matchedStatements": [],
        "deniedBy": "identity-based policy",
        "missingContextKeys": ["storage:tier"],
    }
    assert answer["message"] == policy.access_denied_message(
        _caller().arn, q.action, q.resource, denied
    )
    assert answer["caller"]["type"] == "User" and answer["caller"]["principalTags"] == {}


def test_a_bad_client_signature_is_a_200_answer_with_an_error() -> None:
    q = remote.parse_question(body())
    answer = remote.client_error(q, SignatureDoesNotMatch(), "rid")
    assert answer["decision"] == "ImplicitDeny" and answer["caller"] is None
    assert answer["error"] == {
        "code": "SignatureDoesNotMatch",
        "message": SignatureDoesNotMatch.default_message,
        "httpStatus": 403,
    }
