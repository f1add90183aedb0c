"""AWS's JSON protocol (``application/x-amz-json-1.1``), driven by botocore's models.

A request is ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and the input
shape as a JSON object; the response is the output shape as JSON (timestamps as epoch
seconds, blobs in base64); an error is ``{"__type": code, "message": ...}`` with the
error's HTTP status. iamd serves CloudTrail's ``LookupEvents`` this way (the audit trail).

Input is decoded by shape: a value of the wrong JSON type is a ``SerializationException``,
as AWS answers; members the model does not have are ignored; then the model's constraints
are checked by the same validator as the Query protocol's.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import json
from collections.abc import Mapping
from typing import Any

import botocore.session

from iamd.errors import ServiceError, ValidationError
from iamd.model import json_text
from iamd.protocol.validate import compile_input_validator, validation_message

CONTENT_TYPE = "application/x-amz-json-1.1"

# The JSON services iamd serves, by botocore name.
JSON_SERVICES = ("cloudtrail",)

# Query-protocol codes that JSON services spell differently.
_JSON_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "IncompleteSignature": "IncompleteSignatureException",
    "ValidationError": "ValidationException",
}


class UnknownOperation(ServiceError):
    code = "UnknownOperationException"
    http_status = 400
    sender_fault = True
    default_message = ""


class SerializationError(ServiceError):
    code = "SerializationException"
    http_status = 400
    sender_fault = True


class JsonService:
    """One JSON-protocol service model, with its operations' decoders and validators."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._model = botocore.session.get_session().get_service_model(name)
        if self._model.protocol != "json":
            raise ValueError(f"service `{name}` does not use the JSON protocol")
        self.target_prefix: str = self._model.metadata["targetPrefix"]
        self.operation_names = frozenset(self._model.operation_names)
        self._validators: dict[str, Any] = {}
        self._memo: dict[tuple[str, str], Any] = {}

    def action_of(self, target: str) -> str | None:
        prefix, _, action = target.rpartition(".")
        return action if prefix == self.target_prefix and action in self.operation_names else None

    def parse(self, action: str, body: bytes) -> dict[str, Any]:
        """The operation's parameters from its JSON body (SerializationException,
        ValidationError)."""
        shape = self._model.operation_model(action).input_shape
        if not body.strip():
            document: Any = {}
        else:
            try:
                document = json_text.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise SerializationError("The request body is not valid JSON.") from None
        params = _decode(shape, document, "") if shape is not None else {}
        validator = self._validators.get(action)
        if validator is None:
            validator = compile_input_validator(shape, self._memo)
            self._validators[action] = validator
        violations: list[str] = []
        validator(params, "", violations)
        if violations:
            raise ValidationError(validation_message(violations))
        return params

    def serialize(self, action: str, result: Mapping[str, Any]) -> bytes:
        shape = self._model.operation_model(action).output_shape
        encoded = _encode(shape, result) if shape is not None else {}
        return json.dumps(encoded, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@functools.cache
def _services() -> dict[str, JsonService]:
    loaded = {name: JsonService(name) for name in JSON_SERVICES}
    return {service.target_prefix: service for service in loaded.values()}


def service_for_target(target: str) -> JsonService | None:
    """The service an ``X-Amz-Target`` header names, or None."""
    return _services().get(target.rpartition(".")[0])


def render_error(error: ServiceError, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(HTTP status, headers, body) of a JSON-protocol error."""
    code = _JSON_CODES.get(error.code, error.code)
    body = json.dumps({"__type": code, "message": error.message}).encode("utf-8")
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", code),
    ]
    return error.http_status, headers, body


def _decode(shape: Any, value: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise _wrong(path, "a structure")
        return {
            name: _decode(member, value[name], f"{path}.{name}" if path else name)
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if kind == "list":
        if not isinstance(value, list):
            raise _wrong(path, "a list")
        return [_decode(shape.member, item, path) for item in value]
    if kind == "map":
        if not isinstance(value, dict):
            raise _wrong(path, "a map")
        return {
            _decode(shape.key, key, path): _decode(shape.value, item, path)
            for key, item in value.items()
        }
    if kind == "string":
        if not isinstance(value, str):
            raise _wrong(path, "a string")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(path, "an integer")
        return value
    if kind in ("float", "double"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _wrong(path, "a number")
        return float(value)
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _wrong(path, "a boolean")
        return value
    if kind == "timestamp":
        return _timestamp(value, path)
    if kind == "blob":
        if not isinstance(value, str):
            raise _wrong(path, "base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise _wrong(path, "base64 text") from None
    return value


def _timestamp(value: Any, path: str) -> dt.datetime:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return dt.datetime.fromtimestamp(value, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise _wrong(path, "a timestamp") from None
    if isinstance(value, str) and len(value) <= 64:
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _wrong(path, "a timestamp") from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise _wrong(path, "a timestamp")


def _wrong(path: str, expected: str) -> SerializationError:
    where = f" at '{path}'" if path else ""
    return SerializationError(f"Expected {expected}{where}.")


def _encode(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {
            name: _encode(member, value[name])
            for name, member in shape.members.items()
            if value.get(name) is not None
        }
    if kind == "list":
        return [_encode(shape.member, item) for item in value]
    if kind == "map":
        return {key: _encode(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return round(moment.timestamp(), 3)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value
