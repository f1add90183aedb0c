"""A client's side of the Query protocol, for callers inside iamd (the web console).

``query_pairs`` turns parameters in botocore's Python form (lists, maps, structures,
datetimes) into the ``(name, value)`` pairs an SDK would send, with botocore's own Query
serializer, so an in-process call is parsed and validated exactly as a request from an SDK.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

import botocore.serialize

from iamd.protocol.models import Service

_SERIALIZER = botocore.serialize.create_serializer("query", include_validation=False)


def query_pairs(service: Service, action: str, params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The form pairs of ``action`` with ``params``; ValueError if ``service`` lacks it."""
    operation = service.operation(action)
    if operation is None:
        raise ValueError(f"{service.name} has no operation {action}")
    request = _SERIALIZER.serialize_to_request(dict(params), operation.botocore_model)
    body = request["body"]
    if isinstance(body, Mapping):
        return [(str(k), str(v)) for k, v in body.items()]
    text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
    return urllib.parse.parse_qsl(text, keep_blank_values=True)
