"""The REST-JSON wire protocol, driven by botocore's models (``rest_models``).

The exact inverse of botocore's ``RestJSONSerializer`` and ``RestJSONParser``::

    method + raw path ──RestService.match──> operation, URI labels
    labels, query pairs, JSON body ──parse_rest_request──> params (ValidationException with
        every violation, as the Query protocol reports them)
    result dict ──serialize_rest_result──> (status from http.responseCode, JSON body)
    ServiceError ──render_rest_error──> {"message": ...} with x-amzn-ErrorType

Where each member travels is the model's ``location``: ``uri`` (a label),
``querystring``, ``header``, or (none) a key of the JSON body. Timestamps are written as
each shape's ``timestampFormat`` says (REST-JSON's default is epoch seconds); blobs are
base64. Operations never see the wire.

Error codes: iamd's operations and its authentication raise the shared hierarchy
(``AccessDenied``, ``ValidationError``, ``InvalidClientTokenId``...). A JSON service names
the same errors differently (``AccessDeniedException``...), and its clients map the code
in ``x-amzn-ErrorType`` to their exception classes, so the code is translated here, once,
when the service's model does not define it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from iamd.errors import SerializationException, ServiceError, ValidationError
from iamd.model import json_text
from iamd.protocol.rest_models import RestOperation, RestService
from iamd.protocol.validate import Invalid, validation_message

__all__ = [
    "JSON_CONTENT_TYPE",
    "JSON_ERROR_CODES",
    "error_code",
    "from_json",
    "json_body",
    "parse_rest_request",
    "render_rest_error",
    "serialize_rest_result",
    "to_json",
]

JSON_CONTENT_TYPE = "application/json"
_INTEGER = re.compile(r"-?[0-9]{1,19}", re.ASCII)  # a 64-bit integer at most, ASCII digits

# iamd's code -> the name AWS's JSON services give the same error (REST-JSON and JSON).
JSON_ERROR_CODES: Mapping[str, str] = {
    "AccessDenied": "AccessDeniedException",
    "ValidationError": "ValidationException",
    "NoSuchEntity": "ResourceNotFoundException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "IncompleteSignature": "IncompleteSignatureException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "ExpiredToken": "ExpiredTokenException",
    "InternalFailure": "InternalServerException",
}


def parse_rest_request(
    op: RestOperation,
    labels: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, Sequence[str]],
    body: bytes,
) -> dict[str, Any]:
    """The operation's parameters from the request; ValidationException if any is bad.

    ``headers`` are keyed by lowercase name. An unreadable JSON body is a
    SerializationException.
    """
    shape = op.input_shape
    if shape is None:
        return {}
    document = json_body(body)
    params: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire = member.serialization.get("name", name)
        if location == "uri":
            if wire in labels:
                params[name] = _from_text(member, labels[wire])
        elif location == "querystring":
            values = [value for key, value in query if key == wire]
            if values:
                if member.type_name == "list":
                    params[name] = [_from_text(member.member, value) for value in values]
                else:
                    params[name] = _from_text(member, values[0])
        elif location == "header":
            found = headers.get(wire.lower())
            if found:
                params[name] = _from_text(member, found[0])
        elif wire in document and document[wire] is not None:
            params[name] = from_json(member, document[wire])
    violations: list[str] = []
    op.validator(params, "", violations)
    if violations:
        raise ValidationError(validation_message(violations))
    return params


def json_body(body: bytes) -> dict[str, Any]:
    """A request's JSON object (an empty body is ``{}``); SerializationException if it is
    not one, or is nested deeper than ``json_text`` allows."""
    if not body.strip():
        return {}
    try:
        document = json_text.loads(body)
    except (ValueError, RecursionError):
        raise SerializationException("Unable to parse the request body as JSON.") from None
    if not isinstance(document, dict):
        raise SerializationException("The request body must be a JSON object.")
    return document


def _from_text(shape: Any, raw: str) -> Any:
    """A URI label, query value or header as the member's type."""
    kind = shape.type_name
    if kind in ("integer", "long"):
        if _INTEGER.fullmatch(raw):
            return int(raw)
        return Invalid(raw[:64], "an integer")
    if kind == "boolean":
        if raw in ("true", "false"):
            return raw == "true"
        return Invalid(raw, "true or false")
    if kind == "timestamp":
        try:
            return dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return Invalid(raw, "a timestamp in ISO 8601 format")
    return raw


def from_json(shape: Any, value: Any) -> Any:
    """A JSON value as the member's type; a wrong type is left for the validator to name."""
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = shape.members
        out: dict[str, Any] = {}
        for name, member in members.items():
            wire = member.serialization.get("name", name)
            if wire in value and value[wire] is not None:
                out[name] = from_json(member, value[wire])
        return out
    if kind == "list" and isinstance(value, list):
        return [None if item is None else from_json(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {k: None if v is None else from_json(shape.value, v) for k, v in value.items()}
    if kind == "blob" and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return Invalid(value[:64], "base64-encoded")
    if kind == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            return Invalid(str(value), "a timestamp")
    if kind in ("float", "double") and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def serialize_rest_result(op: RestOperation, result: Mapping[str, Any]) -> tuple[int, bytes]:
    """(HTTP status, JSON body) of a successful response."""
    shape = op.output_shape
    document = to_json(shape, result) if shape is not None else {}
    return op.status, json.dumps(document, separators=(",", ":")).encode("utf-8")


def to_json(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        out: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(name)
            if item is not None and member.serialization.get("location") is None:
                out[member.serialization.get("name", name)] = to_json(member, item)
        return out
    if kind == "list":
        return [to_json(shape.member, item) for item in value]
    if kind == "map":
        return {str(k): to_json(shape.value, v) for k, v in value.items()}
    if kind == "timestamp":
        return _timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    return value


def _timestamp(value: dt.datetime, form: str) -> str | int | float:
    moment = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if form == "iso8601":
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if form == "rfc822":
        return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = moment.timestamp()
    return int(seconds) if seconds.is_integer() else round(seconds, 3)


def error_code(service: RestService, error: ServiceError) -> str:
    """The code ``error`` has in ``service``'s model (translated when not modelled)."""
    if service.has_error(error.code):
        return error.code
    return JSON_ERROR_CODES.get(error.code, error.code)


def render_rest_error(
    service: RestService, error: ServiceError, request_id: str
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(HTTP status, headers, body) of a REST-JSON error response."""
    code = error_code(service, error)
    status = service.error_status(code) or error.http_status
    body = json.dumps({"message": error.message}).encode("utf-8")
    headers = [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", request_id),
    ]
    return status, headers, body
