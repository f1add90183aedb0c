"""Registered services: linked role definitions and the source context of AssumeRole."""

from __future__ import annotations

import json
from typing import Any

import pytest

from iamd.errors import InvalidParameterValue
from iamd.iam.services import (
    SOURCE_CONTEXT_PROVIDER,
    ServiceError,
    linked_role_spec,
    source_context,
)
from iamd.model.caller import Caller, CallerKind

ACCOUNT = "123456789012"
SERVICE = Caller(CallerKind.SERVICE, ACCOUNT, "jobs.example.internal", "jobs.example.internal")
USER = Caller(CallerKind.USER, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/u", "AIDAEXAMPLE")
BUCKET = "arn:aws:s3:::bucket"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:q"


def provided(assertion: Any, provider: str = SOURCE_CONTEXT_PROVIDER) -> list[dict[str, str]]:
    text = assertion if isinstance(assertion, str) else json.dumps(assertion)
    return [{"ProviderArn": provider, "ContextAssertion": text}]


def test_source_context_passes_the_keys() -> None:
    got = source_context(SERVICE, provided({"aws:SourceArn": QUEUE}))
    assert got == {"aws:SourceArn": QUEUE, "aws:SourceAccount": ACCOUNT}
    got = source_context(
        SERVICE, provided({"aws:SourceArn": BUCKET, "aws:sourceaccount": "210987654321"})
    )
    assert got == {"aws:SourceArn": BUCKET, "aws:SourceAccount": "210987654321"}
    assert source_context(SERVICE, None) == {}
    other = provided({"x": 1}, provider="arn:aws:iam::aws:contextProvider/IdentityCenter")
    assert source_context(USER, other) == {}


@pytest.mark.parametrize(
    "assertion",
    [
        "not json",
        [],
        {},
        {"aws:SourceArn": 3},
        {"aws:SourceIp": "1.2.3.4"},
        {"aws:SourceArn": "bucket"},
        {"aws:SourceAccount": "12"},
        {"aws:SourceArn": QUEUE, "aws:SourceAccount": "210987654321"},
    ],
)
def test_bad_source_contexts(assertion: Any) -> None:
    with pytest.raises(InvalidParameterValue):
        source_context(SERVICE, provided(assertion))


def test_only_services_pass_a_source_context() -> None:
    with pytest.raises(InvalidParameterValue, match="Only a service principal"):
        source_context(USER, provided({"aws:SourceAccount": ACCOUNT}))
    twice = provided({"aws:SourceAccount": ACCOUNT}) * 2
    with pytest.raises(InvalidParameterValue, match="only once"):
        source_context(SERVICE, twice)


def test_linked_role_spec() -> None:
    assert linked_role_spec("jobs.example.internal", None) is None
    doc = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
    )
    spec = linked_role_spec(
        "jobs.example.internal",
        "AWSServiceRoleForJobs",
        custom_suffix=True,
        description="Jobs",
        policy_document=doc,
    )
    assert spec is not None and spec.custom_suffix and spec.inline_policy == doc
    with pytest.raises(ServiceError, match="need --linked-role-name"):
        linked_role_spec("jobs.example.internal", None, custom_suffix=True)
    with pytest.raises(ServiceError, match="1-64 characters"):
        linked_role_spec("jobs.example.internal", "bad name")
    with pytest.raises(ServiceError, match="policy is not valid"):
        linked_role_spec("jobs.example.internal", "R", policy_document='{"Statement": []}')
