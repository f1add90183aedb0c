"""Roles Anywhere in the audit trail: its management calls and CreateSession, whose
credentials never reach a record."""

from __future__ import annotations

import json
import time
from typing import Any

from pki import make_leaf

from .conftest import Credentials, IamdServer
from .rolesanywhere_support import create_session, make_setup
from .test_audit import HIDDEN, find_event


def test_create_session_and_management_calls_are_recorded(
    iamd_server: IamdServer, account: Credentials
) -> None:
    setup = make_setup(iamd_server, account)
    trail = iamd_server.client("cloudtrail", account)
    listed = setup.ra.list_profiles()
    event = find_event(trail, listed["ResponseMetadata"]["RequestId"], EventName="ListProfiles")
    assert event["EventSource"] == "rolesanywhere.amazonaws.com"
    assert event["record"]["userIdentity"]["type"] == "Root"

    answer = create_session(iamd_server.endpoint, make_leaf(setup.ca), setup.body())
    assert answer.status == 201
    credentials = answer.document["credentialSet"][0]["credentials"]
    deadline = time.monotonic() + 10
    found: list[dict[str, Any]] = []
    while not found:
        assert time.monotonic() < deadline, "no CreateSession event"
        time.sleep(0.1)
        found = trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "CreateSession"}]
        )["Events"]
    record = json.loads(found[0]["CloudTrailEvent"])
    assert record["eventSource"] == "rolesanywhere.amazonaws.com"
    assert record["recipientAccountId"] == account.account_id
    assert record["requestParameters"]["roleArn"] == setup.role_arn
    text = json.dumps(record)
    assert credentials["secretAccessKey"] not in text
    assert credentials["sessionToken"] not in text
    assert HIDDEN in text
