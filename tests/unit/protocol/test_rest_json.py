"""REST-JSON (IAM Roles Anywhere), both directions, with botocore as the oracle.

Requests: params filling every input member -> botocore's RestJSONSerializer -> method,
path, query string and body -> ``RestService.match`` + ``parse_rest_request`` -> the same
params. Responses: a result filling every output member -> ``serialize_rest_result`` ->
botocore's RestJSONParser -> the same result. Errors: ``render_rest_error`` -> botocore's
parser finds the modelled code and message.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import botocore.parsers
import botocore.serialize
import pytest

from iamd.errors import AccessDenied, NoSuchEntity, SerializationException, ValidationError
from iamd.protocol import (
    load_rest_service,
    parse_rest_request,
    render_rest_error,
    serialize_rest_result,
)
from iamd.protocol.rest_models import compile_template

from .shape_values import value_for

SERVICE = load_rest_service("rolesanywhere")
OPERATIONS = sorted(SERVICE.operations)


def _model(name: str) -> Any:
    return SERVICE.botocore_model.operation_model(name)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", OPERATIONS)
def test_request_round_trip(name: str) -> None:
    model = _model(name)
    shape = model.input_shape
    params = value_for(shape) if shape is not None else {}
    serializer = botocore.serialize.create_serializer("rest-json", include_validation=False)
    request = serializer.serialize_to_request(params, model)
    path, _, query = request["url_path"].partition("?")
    found = SERVICE.match(request["method"], path)
    assert found is not None
    op, labels = found
    assert op.name == name
    pairs = parse_qsl(query, keep_blank_values=True)
    for key, value in request["query_string"].items():
        pairs += [(key, str(v)) for v in (value if isinstance(value, list) else [value])]
    headers = {k.lower(): (v,) for k, v in request["headers"].items()}
    body = request["body"] if isinstance(request["body"], bytes) else request["body"].encode()
    try:
        parsed = parse_rest_request(op, labels, pairs, headers, body)
    except ValidationError as exc:  # generated values may break a pattern; the shape is met
        pytest.skip(f"generated values violate a constraint: {exc.message[:80]}")
    assert parsed == params


@pytest.mark.parametrize("name", OPERATIONS)
def test_response_round_trip(name: str) -> None:
    model = _model(name)
    shape = model.output_shape
    result = value_for(shape) if shape is not None else {}
    status, body = serialize_rest_result(SERVICE.operations[name], result)
    assert status == model.http.get("responseCode", 200)
    parser = botocore.parsers.create_parser("rest-json")
    parsed = parser.parse({"body": body, "headers": {}, "status_code": status}, shape)
    parsed.pop("ResponseMetadata", None)
    assert parsed == result


@pytest.mark.parametrize(
    ("error", "code", "status"),
    [
        (AccessDenied("no"), "AccessDeniedException", 403),
        (ValidationError("bad"), "ValidationException", 400),
        (NoSuchEntity("gone"), "ResourceNotFoundException", 404),
        (SerializationException("x"), "SerializationException", 400),
    ],
)
def test_errors_carry_the_modelled_code(error: Any, code: str, status: int) -> None:
    got_status, headers, body = render_rest_error(SERVICE, error, "req-1")
    assert got_status == status
    assert dict(headers)["x-amzn-ErrorType"] == code
    assert json.loads(body) == {"message": error.message}
    parser = botocore.parsers.create_parser("rest-json")
    parsed = parser.parse(
        {"body": body, "headers": {k.lower(): v for k, v in headers}, "status_code": status},
        _model("GetProfile").output_shape,
    )
    assert parsed["Error"]["Code"] == code
    assert parsed["Error"]["Message"] == error.message


def test_templates_match_whole_segments_only() -> None:
    pattern, labels = compile_template("/profile/{profileId}/enable")
    assert labels == ("profileId",)
    assert pattern.fullmatch("/profile/abc/enable")
    assert not pattern.fullmatch("/profile/a/b/enable")
    assert not pattern.fullmatch("/profile//enable")
    greedy, _ = compile_template("/objects/{key+}")
    assert greedy.fullmatch("/objects/a/b/c")


def test_an_arn_label_arrives_decoded() -> None:
    arn = (
        "arn:aws:rolesanywhere:us-east-1:123456789012:profile/0e6b3c0e-0000-4000-8000-0123456789ab"
    )
    found = SERVICE.match("GET", "/profile/" + arn.replace(":", "%3A").replace("/", "%2F"))
    assert found is not None
    assert found[1] == {"profileId": arn}


@pytest.mark.parametrize(
    "body", [b"{", b"[1]", b"[" * 100_000 + b"]" * 100_000, b'"text"'], ids=str
)
def test_a_body_that_is_no_json_object_is_a_serialization_error(body: bytes) -> None:
    op = SERVICE.operations["CreateProfile"]
    with pytest.raises(SerializationException):
        parse_rest_request(op, {}, [], {}, body)


def test_wrong_json_types_are_reported_by_the_validator() -> None:
    op = SERVICE.operations["CreateProfile"]
    body = json.dumps({"name": 5, "roleArns": "x", "durationSeconds": "long"}).encode()
    with pytest.raises(ValidationError) as err:
        parse_rest_request(op, {}, [], {}, body)
    message = err.value.message
    assert message.startswith("3 validation errors detected:")
    assert "at 'name' failed to satisfy constraint: Member must be a string" in message
    assert "at 'roleArns' failed to satisfy constraint: Member must be a list" in message
    assert "at 'durationSeconds' failed to satisfy constraint: Member must be an integer" in message


def test_query_integers_are_converted_or_reported() -> None:
    op = SERVICE.operations["ListProfiles"]
    assert parse_rest_request(op, {}, [("pageSize", "10")], {}, b"") == {"pageSize": 10}
    for bad in ("9" * 5000, "²", "--5", " 5", "5.0", ""):
        with pytest.raises(ValidationError, match=r"at 'pageSize'.*Member must be an integer"):
            parse_rest_request(op, {}, [("pageSize", bad)], {}, b"")
