"""Which endpoint, which service."""

from __future__ import annotations

import pytest

from iamd.auth import HttpRequest
from iamd.server.routing import Endpoint, endpoint_for, service_by_action, signed_service


@pytest.mark.parametrize(
    ("path", "endpoint"),
    [("/", Endpoint.QUERY), ("/healthz", Endpoint.HEALTH), ("/x", Endpoint.NOT_FOUND)],
)
def test_endpoints(path: str, endpoint: Endpoint) -> None:
    assert endpoint_for(path) is endpoint


@pytest.mark.parametrize(
    ("pairs", "service"),
    [
        ([("Action", "AssumeRoleWithWebIdentity")], "sts"),
        ([("Action", "AssumeRoleWithSAML"), ("Version", "2011-06-15")], "sts"),
        ([("Action", "AssumeRoleWithSAML"), ("Version", "2010-05-08")], "iam"),
        ([("Action", "CreateRole")], "iam"),
        ([], "iam"),
    ],
)
def test_service_by_action(pairs: list[tuple[str, str]], service: str) -> None:
    assert service_by_action(pairs) == service


def _auth(scope_service: str) -> HttpRequest:
    value = (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/{scope_service}/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )
    headers = (("Host", "h"), ("X-Amz-Date", "20240101T000000Z"), ("Authorization", value))
    return HttpRequest("POST", "/", "", headers, b"")


def test_signed_service_reads_the_scope() -> None:
    assert signed_service(_auth("sts")) == "sts"
    assert signed_service(_auth("iam")) == "iam"
    assert signed_service(_auth("s3")) is None
    broken = HttpRequest("POST", "/", "", (("Authorization", "AWS4-HMAC-SHA256 junk"),), b"")
    assert signed_service(broken) is None


def test_signed_service_reads_a_presigned_scope() -> None:
    query = (
        "Action=GetCallerIdentity&X-Amz-Credential=AKID%2F20240101%2Fus-east-1%2Fsts%2Faws4_request"
    )
    assert signed_service(HttpRequest("GET", "/", query, (), b"")) == "sts"
