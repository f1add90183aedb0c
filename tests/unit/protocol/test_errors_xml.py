"""ErrorResponse documents, read back by botocore's Query parser."""

from __future__ import annotations

from typing import Any

import botocore.parsers
import pytest

from iamd.errors import (
    AccessDenied,
    InternalFailure,
    NoSuchEntity,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)
from iamd.protocol import CONTENT_TYPE, render_error


def _botocore_error(status: int, body: bytes) -> dict[str, Any]:
    parser = botocore.parsers.create_parser("query")
    parsed: dict[str, Any] = parser.parse(
        {"body": body, "headers": {}, "status_code": status}, None
    )
    return parsed


@pytest.mark.parametrize(
    ("error", "status", "fault"),
    [
        (NoSuchEntity("The role with name Foo cannot be found."), 404, "Sender"),
        (AccessDenied("User: arn:aws:iam::123456789012:user/x is not authorized"), 403, "Sender"),
        (ValidationError("1 validation error detected: Value 'a<b>&c' at 'x'"), 400, "Sender"),
        (InternalFailure(), 500, "Receiver"),
        (ServiceUnavailable(), 503, "Receiver"),
    ],
)
@pytest.mark.parametrize("service", ["iam", "sts"])
def test_botocore_reads_code_message_and_type(
    service: str, error: ServiceError, status: int, fault: str
) -> None:
    got_status, headers, body = render_error(service, error, "1d5f5000-1316-11e2")
    assert got_status == status
    assert ("Content-Type", CONTENT_TYPE) in headers
    assert ("x-amzn-RequestId", "1d5f5000-1316-11e2") in headers
    parsed = _botocore_error(status, body)
    assert parsed["Error"] == {"Type": fault, "Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "1d5f5000-1316-11e2"


def test_document_shape_and_namespace() -> None:
    _, _, body = render_error("sts", AccessDenied("no"), "rid")
    assert body == (
        b'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error>'
        b"<Type>Sender</Type><Code>AccessDenied</Code><Message>no</Message></Error>"
        b"<RequestId>rid</RequestId></ErrorResponse>"
    )
