"""CloudTrail's LookupEvents over the audit trail: the caller's account's events, newest
first, by one lookup attribute and a time range (the last 90 days by default), in pages
of up to 50 with a NextToken. Authorized as ``cloudtrail:LookupEvents``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from iamd.errors import ServiceError
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store import audit_events
from iamd.store.pagination import InvalidMarker, decode_marker, encode_marker

DEFAULT_RANGE = dt.timedelta(days=90)
MAX_RESULTS = 50


class _CloudTrailError(ServiceError):
    http_status = 400
    sender_fault = True


class InvalidLookupAttributes(_CloudTrailError):
    code = "InvalidLookupAttributesException"


class InvalidTimeRange(_CloudTrailError):
    code = "InvalidTimeRangeException"
    default_message = "Start time must be before end time."


class InvalidMaxResults(_CloudTrailError):
    code = "InvalidMaxResultsException"
    default_message = "MaxResults must be between 1 and 50."


class InvalidNextToken(_CloudTrailError):
    code = "InvalidNextTokenException"
    default_message = "Invalid NextToken."


class InvalidEventCategory(_CloudTrailError):
    code = "InvalidEventCategoryException"


@operation("cloudtrail", "LookupEvents", readonly=True)
def lookup_events(ctx: OperationContext, params: Params) -> Result:
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributes("You can specify only one lookup attribute.")
    attribute = None
    if attributes:
        attribute = (str(attributes[0]["AttributeKey"]), str(attributes[0]["AttributeValue"]))
    end = params.get("EndTime") or ctx.now
    start = params.get("StartTime") or end - DEFAULT_RANGE
    if start > end:
        raise InvalidTimeRange()
    limit = params.get("MaxResults") or MAX_RESULTS
    if not 1 <= limit <= MAX_RESULTS:
        raise InvalidMaxResults()
    before = _page_key(params.get("NextToken"))
    if params.get("EventCategory") == "insight":
        return {"Events": []}  # iamd raises no Insights events
    found = audit_events.lookup(
        ctx.db,
        ctx.account_id,
        attribute=attribute,
        start=start,
        end=end,
        before=before,
        limit=limit + 1,
    )
    result: dict[str, Any] = {"Events": [_event(f.event) for f in found[:limit]]}
    if len(found) > limit:
        last = found[limit - 1]
        micros = int(last.event.event_time.timestamp() * 1_000_000)
        result["NextToken"] = encode_marker([micros, last.seq])
    return result


def _page_key(token: str | None) -> tuple[dt.datetime, int] | None:
    if token is None:
        return None
    try:
        micros, seq = decode_marker(token, 2)
        assert isinstance(micros, int) and isinstance(seq, int)  # INVARIANT: strings=False
        at = dt.datetime.fromtimestamp(micros / 1_000_000, dt.UTC)
    except (InvalidMarker, OverflowError, OSError, ValueError):
        raise InvalidNextToken() from None
    return at, seq


def _event(event: audit_events.StoredEvent) -> dict[str, Any]:
    out: dict[str, Any] = {
        "EventId": event.event_id,
        "EventName": event.event_name,
        "ReadOnly": "true" if event.read_only else "false",
        "EventTime": event.event_time,
        "EventSource": event.event_source,
        "Resources": [
            {"ResourceType": kind, "ResourceName": name} for kind, name in event.resources
        ],
        "CloudTrailEvent": event.record,
    }
    if event.access_key_id:
        out["AccessKeyId"] = event.access_key_id
    if event.username:
        out["Username"] = event.username
    return out
