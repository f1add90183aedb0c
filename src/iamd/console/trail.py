"""The audit trail: the account's recent events through CloudTrail's LookupEvents (one
lookup attribute and a time range, as LookupEvents takes them), newest first, fifty to
a page, each with its full record."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.responses import Response

from iamd.console.web import Visit, page
from iamd.errors import ServiceError
from iamd.protocol.rest_json import JSON_ERROR_CODES

ATTRIBUTES = {
    "EventName": "Event name",
    "Username": "User name",
    "ResourceName": "Resource name",
    "ResourceType": "Resource type",
    "EventSource": "Event source",
    "AccessKeyId": "Access key ID",
    "EventId": "Event ID",
    "ReadOnly": "Read-only",
}
PAGE = 50


class BadTime(ValueError):
    pass


def instant(value: str, label: str) -> float | None:
    """A ``datetime-local`` field's value (UTC) as epoch seconds; None when empty."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise BadTime(f"The {label} time is not a date and time.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.timestamp()


def lookup_params(query: QueryParams) -> dict[str, Any]:
    """LookupEvents' parameters from the page's filter."""
    params: dict[str, Any] = {"MaxResults": PAGE}
    key, value = query.get("attribute", ""), query.get("value", "").strip()[:2000]
    if key in ATTRIBUTES and value:
        params["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
    for name, label in (("StartTime", "start"), ("EndTime", "end")):
        moment = instant(query.get(label, "")[:40], label)
        if moment is not None:
            params[name] = moment
    token = query.get("next", "")[:2000]
    if token:
        params["NextToken"] = token
    return params


def row(event: dict[str, Any]) -> dict[str, Any]:
    """What the table shows of an event, from LookupEvents' summary and its record."""
    try:
        record = json.loads(event.get("CloudTrailEvent") or "{}")
    except ValueError:
        record = {}
    identity = record.get("userIdentity") or {}
    return {
        "time": event["EventTime"],
        "name": event["EventName"],
        "user": event.get("Username") or identity.get("arn") or "",
        "ip": record.get("sourceIPAddress", ""),
        "error": record.get("errorCode", ""),
        "record": json.dumps(record, indent=2, sort_keys=True),
        "id": event["EventId"],
    }


@page("/console/trail")
async def trail(visit: Visit) -> Response:
    query = visit.request.query_params
    rows: list[dict[str, Any]] = []
    error, following, status = "", "", 200
    try:
        found = visit.call_json("cloudtrail", "LookupEvents", lookup_params(query))
        rows = [row(event) for event in found.get("Events", [])]
        if found.get("NextToken"):
            kept = {k: v for k, v in query.items() if k != "next"}
            following = "/console/trail?" + urlencode({**kept, "next": found["NextToken"]})
    except BadTime as exc:
        error, status = str(exc), 400
    except ServiceError as exc:  # with the code the JSON protocol gives it (AccessDeniedException)
        error, status = (
            f"{JSON_ERROR_CODES.get(exc.code, exc.code)}: {exc.message}",
            exc.http_status,
        )
    return visit.render(
        "trail.html",
        status=status,
        rows=rows,
        error=error,
        following=following,
        attributes=ATTRIBUTES,
        chosen=query.get("attribute", "EventName"),
        value=query.get("value", ""),
        start=query.get("start", ""),
        end=query.get("end", ""),
    )
