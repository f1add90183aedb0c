"""AWS's JSON protocol (``application/x-amz-json-1.1``), driven by botocore's models.

A request is ``POST /`` with ``X-Amz-Target: <targetPrefix>.<Operation>`` and the input
shape as a JSON object; the response is the output shape as JSON (timestamps as epoch
seconds, blobs in base64); an error is ``{"__type": code, "message": ...}`` with the
error's HTTP status. iamd serves CloudTrail's ``LookupEvents`` this way (the audit trail).

The body is the same JSON as a REST-JSON request's, so its values are read and written by
``rest_json``'s codec (``json_body``, ``from_json``, ``to_json``) and its codes translated
by the same table; the model's constraints are checked by the Query protocol's validator.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import botocore.session

from iamd.errors import ServiceError, ValidationError
from iamd.protocol.rest_json import JSON_ERROR_CODES, from_json, json_body, to_json
from iamd.protocol.validate import compile_input_validator, validation_message

CONTENT_TYPE = "application/x-amz-json-1.1"

# The JSON services iamd serves, by botocore name.
JSON_SERVICES = ("cloudtrail",)


class UnknownOperation(ServiceError):
    code = "UnknownOperationException"
    http_status = 400
    sender_fault = True
    default_message = ""


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
        """The operation's parameters from its JSON body (SerializationException when it
        is no JSON object, ValidationError listing every violation of the model)."""
        shape = self._model.operation_model(action).input_shape
        params: dict[str, Any] = from_json(shape, json_body(body)) if shape is not None else {}
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
        encoded = to_json(shape, result) if shape is not None else {}
        return json.dumps(encoded, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@functools.cache
def _services() -> dict[str, JsonService]:
    loaded = {name: JsonService(name) for name in JSON_SERVICES}
    return {service.target_prefix: service for service in loaded.values()}


def service_for_target(target: str) -> JsonService | None:
    """The service an ``X-Amz-Target`` header names, or None."""
    return _services().get(target.rpartition(".")[0])


def service_named(name: str) -> JsonService | None:
    """The JSON service iamd serves under botocore's ``name`` (``cloudtrail``), or None."""
    return next((s for s in _services().values() if s.name == name), None)


def render_error(error: ServiceError, request_id: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """(HTTP status, headers, body) of a JSON-protocol error."""
    code = JSON_ERROR_CODES.get(error.code, error.code)
    body = json.dumps({"__type": code, "message": error.message}).encode("utf-8")
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("x-amzn-RequestId", request_id),
        ("x-amzn-ErrorType", code),
    ]
    return error.http_status, headers, body
