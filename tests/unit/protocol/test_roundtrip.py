"""Every operation of IAM and STS, both directions, with botocore as the oracle.

Requests: params filling every input member -> botocore's QuerySerializer -> form body ->
``parse_request`` -> the same params. Responses: a result filling every output member ->
``serialize_result`` -> botocore's QueryParser (+ the IAM policy-document handler boto3
runs) -> the same result.
"""

from __future__ import annotations

import copy
import json
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

import botocore.handlers
import botocore.parsers
import botocore.serialize
import pytest

from iamd.protocol import load_service, parse_request, serialize_result

from .shape_values import POLICY_DOCUMENT, value_for

OPERATIONS = [
    (service, name)
    for service in ("iam", "sts")
    for name in sorted(load_service(service).operation_names)
]


def _botocore_operation(service: str, name: str) -> Any:
    operation = load_service(service).operation(name)
    assert operation is not None
    return operation.botocore_model


def _form_body(operation_model: Any, params: dict[str, Any]) -> str:
    serializer = botocore.serialize.create_serializer("query", include_validation=True)
    request = serializer.serialize_to_request(params, operation_model)
    return urlencode(request["body"])


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=[f"{s}:{n}" for s, n in OPERATIONS])
def test_request_round_trip(service: str, name: str) -> None:
    operation_model = _botocore_operation(service, name)
    shape = operation_model.input_shape
    params = value_for(shape) if shape is not None else {}
    body = _form_body(operation_model, params)
    parsed = parse_request(service, parse_qsl(body, keep_blank_values=True))
    assert parsed.action == name
    assert parsed.params == params


@pytest.mark.parametrize(("service", "name"), OPERATIONS, ids=[f"{s}:{n}" for s, n in OPERATIONS])
def test_response_round_trip(service: str, name: str) -> None:
    operation_model = _botocore_operation(service, name)
    shape = operation_model.output_shape
    result = value_for(shape) if shape is not None else None
    body = serialize_result(service, name, result, "5d9b8a1e-request-id")

    parser = botocore.parsers.create_parser("query")
    http = {"body": body, "headers": {}, "status_code": 200}
    parsed = parser.parse(http, shape)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "5d9b8a1e-request-id"

    expected = copy.deepcopy(result) if result is not None else {}
    if service == "iam":
        botocore.handlers.json_decode_policies(parsed, model=operation_model)
        botocore.handlers.json_decode_policies(expected, model=operation_model)
    assert parsed == expected


def test_policy_documents_come_back_as_dicts_after_the_iam_handler() -> None:
    operation_model = _botocore_operation("iam", "GetRolePolicy")
    result = {"RoleName": "r", "PolicyName": "p", "PolicyDocument": POLICY_DOCUMENT}
    body = serialize_result("iam", "GetRolePolicy", result, "id")
    assert b"%7B%22Version%22%3A%20%222012-10-17%22%2C%20" in body

    parsed = botocore.parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, operation_model.output_shape
    )
    assert unquote(parsed["PolicyDocument"]) == POLICY_DOCUMENT
    botocore.handlers.json_decode_policies(parsed, model=operation_model)
    assert parsed["PolicyDocument"] == json.loads(POLICY_DOCUMENT)


def test_every_string_candidate_kind_reaches_the_wire() -> None:
    """The generator really exercises XML escaping and CR/LF somewhere in the models."""
    operation_model = _botocore_operation("iam", "GetRole")
    role = value_for(operation_model.output_shape)["Role"]
    assert "\r\n" in role["Description"]
    assert "&" in role["Description"]
    body = serialize_result("iam", "GetRole", {"Role": role}, "id")
    assert b"&amp;" in body
    assert b"&#13;" in body
