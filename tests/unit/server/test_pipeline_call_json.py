"""``Pipeline.call_json``: a JSON-protocol operation called in process (the console's
audit trail) is read, validated, authorized and run as the same SDK request would be."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import Connection

from iamd.errors import ServiceError
from iamd.protocol.json_protocol import UnknownOperation
from iamd.server.pipeline import Exchange, Peer, Pipeline
from iamd.server.runtime import Runtime

from .asgi import KEY_ID

PEER = Peer("192.0.2.7", False, "console-test")


def _root(runtime: Runtime) -> Any:
    def authenticate(conn: Connection, now: dt.datetime) -> tuple[Any, str, Any]:
        return runtime.credentials.resolve(conn, KEY_ID, None).principal, "us-east-1", None

    return authenticate


def _call(runtime: Runtime, action: str, params: dict[str, Any]) -> Any:
    exchange = Exchange("req-1")
    return Pipeline(runtime).call_json("cloudtrail", action, params, PEER, exchange, _root(runtime))


def test_lookup_events_runs_with_the_callers_identity(runtime: Runtime) -> None:
    answer = _call(runtime, "LookupEvents", {"MaxResults": 5})
    assert isinstance(answer["Events"], list)


def test_parameters_are_checked_by_the_model_as_a_body_would_be(runtime: Runtime) -> None:
    with pytest.raises(ServiceError) as bad:
        _call(runtime, "LookupEvents", {"MaxResults": 5, "LookupAttributes": [{}]})
    assert bad.value.code == "ValidationError"
    assert bad.value.message.startswith(
        "2 validation errors detected: Value null at "
        "'lookupAttributes.1.member.attributeKey' failed to satisfy constraint"
    )
    with pytest.raises(ServiceError) as wrong_type:
        _call(runtime, "LookupEvents", {"StartTime": "yesterday"})
    assert wrong_type.value.http_status == 400


def test_an_operation_iamd_does_not_serve_is_unknown(runtime: Runtime) -> None:
    with pytest.raises(UnknownOperation):
        _call(runtime, "DeleteTrail", {"Name": "t"})
    with pytest.raises(UnknownOperation):
        _call(runtime, "NoSuchThing", {})
