"""A request's facts -> its CloudTrail record(s)."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest

from iamd.audit import event, redact
from iamd.audit.event import Facts, build
from iamd.model.caller import Caller, CallerKind, Session

NOW = dt.datetime(2026, 12, 4, 5, 9, 19, 123456, tzinfo=dt.UTC)
ALICE = Caller(
    kind=CallerKind.USER,
    account_id="111111111111",
    arn="arn:aws:iam::111111111111:user/alice",
    user_id="AIDAALICE",
    access_key_id="AKIAALICE",
    name="alice",
)


def test_a_cross_account_assumption_makes_one_record_per_account() -> None:
    facts = Facts(
        request_id="req-1",
        time=NOW,
        service="sts",
        action="AssumeRole",
        caller=ALICE,
        params={"RoleArn": "arn:aws:iam::222222222222:role/shared", "RoleSessionName": "s"},
        result={"Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "secret"}},
        with_response=True,
    )
    mine, theirs = build(facts)
    assert (mine.account_id, theirs.account_id) == ("111111111111", "222222222222")
    a, b = json.loads(mine.record), json.loads(theirs.record)
    assert a["sharedEventID"] == b["sharedEventID"] and a["eventID"] != b["eventID"]
    assert a["eventID"] == mine.event_id and uuid.UUID(mine.event_id).version == 7
    assert a["eventTime"] == "2026-12-04T05:09:19Z"
    assert a["responseElements"]["credentials"] == {
        "accessKeyId": "ASIAX",
        "secretAccessKey": "HIDDEN_DUE_TO_SECURITY_REASONS",
    }
    assert ("AWS::IAM::AccessKey", "ASIAX") in mine.resources
    assert mine.username == "alice" and mine.principal_arn == ALICE.arn


def test_a_session_carries_its_issuer_and_source_identity() -> None:
    session = Caller(
        kind=CallerKind.ROLE_SESSION,
        account_id="111111111111",
        arn="arn:aws:sts::111111111111:assumed-role/app/s1",
        user_id="AROAAPP:s1",
        access_key_id="ASIAS1",
        name="app",
        entity_id="AROAAPP",
        role_arn="arn:aws:iam::111111111111:role/app",
        session_name="s1",
        session=Session(issued_at=NOW, expires_at=NOW, source_identity="bob"),
        mfa=True,
    )
    (row,) = build(
        Facts(request_id="r", time=NOW, service="iam", action="ListRoles", caller=session)
    )
    identity = json.loads(row.record)["userIdentity"]
    assert identity["sessionContext"] == {
        "sessionIssuer": {
            "type": "Role",
            "principalId": "AROAAPP",
            "arn": "arn:aws:iam::111111111111:role/app",
            "accountId": "111111111111",
            "userName": "app",
        },
        "webIdFederationData": {},
        "attributes": {"creationDate": "2026-12-04T05:09:19Z", "mfaAuthenticated": "true"},
        "sourceIdentity": "bob",
    }
    assert row.username == "s1" and row.principal_arn == "arn:aws:iam::111111111111:role/app"
    assert json.loads(row.record)["awsRegion"] == "us-east-1"


def test_an_unknown_key_is_recorded_for_no_account() -> None:
    (row,) = build(
        Facts(
            request_id="r",
            time=NOW,
            service="iam",
            action="GetUser",
            access_key_id="AKIANOBODY",
            error_code="InvalidClientTokenId",
            error_message="The security token included in the request is invalid.",
        )
    )
    record = json.loads(row.record)
    assert row.account_id == "" and row.access_key_id == "AKIANOBODY"
    assert record["userIdentity"] == {"type": "Unknown", "accessKeyId": "AKIANOBODY"}
    assert record["errorCode"] == "InvalidClientTokenId"


def test_a_modelled_error_is_named_by_its_exception() -> None:
    (row,) = build(
        Facts(
            request_id="r",
            time=NOW,
            service="iam",
            action="GetRole",
            caller=ALICE,
            error_code="NoSuchEntity",
            error_message="gone",
        )
    )
    assert json.loads(row.record)["errorCode"] == "NoSuchEntityException"


def test_text_that_needs_escaping_stays_valid_json() -> None:
    (row,) = build(
        Facts(
            request_id='r"\\\n',
            time=NOW,
            service="iam",
            action="GetRole",
            caller=ALICE,
            user_agent='agent "quoted" \u2603 \x00',
            params={"RoleName": 'a"b'},
        )
    )
    record = json.loads(row.record)
    assert record["userAgent"] == 'agent "quoted" \u2603 \x00'
    assert record["requestID"] == 'r"\\\n'
    assert record["requestParameters"] == {"roleName": 'a"b'}


def test_event_ids_are_distinct_version_7_uuids_in_time_order() -> None:
    rows = [
        row
        for n in range(2000)
        for row in build(Facts(request_id=f"r{n}", time=NOW, service="iam", action="GetRole"))
    ]
    ids = [uuid.UUID(row.event_id) for row in rows]
    assert len(set(ids)) == len(ids)
    assert {(i.version, i.variant) for i in ids} == {(7, uuid.RFC_4122)}
    millis = [i.int >> 80 for i in ids]
    assert millis == sorted(millis)  # the time in ms leads: new ids sort last
    assert abs(millis[-1] - time.time() * 1000) < 60_000


def test_a_forked_worker_draws_its_own_random_bits_for_event_ids() -> None:
    """Workers are forked from one process: their ids of the same millisecond must not
    share the random part, or two workers' events could get one id."""
    import os

    mine = uuid.UUID(event._uuid())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its first id, then out without cleanup
        os.write(write, event._uuid().encode())
        os._exit(0)
    os.close(write)
    theirs = uuid.UUID(os.read(read, 64).decode())
    os.close(read)
    os.waitpid(pid, 0)
    random_part = (1 << 80) - 1 ^ (1 << 32) - 1  # below the time, above the counter
    assert mine.int & random_part != theirs.int & random_part
    assert (theirs.version, theirs.variant) == (7, uuid.RFC_4122)


def test_records_are_compact_json_whatever_the_values() -> None:
    params = {
        "Text": 'caf\u00e9 \u2028 "q" \\ \x01',
        "Number": 1.5,
        "Whole": 7,
        "Flag": True,
        "Items": [{"Key": "k", "Value": None}, "x", 3],
        "When": dt.datetime(2026, 3, 13, 21, 55, 9, tzinfo=dt.UTC),
        "Odd": dt.date(2026, 1, 2),
        "Empty": {},
    }
    (row,) = build(Facts(request_id="r", time=NOW, service="iam", action="GetRole", params=params))
    cleaned = redact.clean(params)
    expected = json.dumps(cleaned, separators=(",", ":"), default=str)
    assert f'"requestParameters":{expected},' in row.record
    assert json.loads(row.record)["requestParameters"]["when"] == "Mar 13, 2026 9:55:09 PM"


def test_a_record_is_exactly_the_text_it_always_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """The record's text, byte for byte, as the first implementation wrote it: faster ways
    of building it must not change a character (LookupEvents, ``iamd audit`` and the
    JSON-lines file all hand it out as it is)."""
    ids = iter(range(10))
    monkeypatch.setattr(event, "_uuid", lambda: f"00000000-0000-7000-8000-{next(ids):012d}")
    session = Caller(
        kind=CallerKind.ROLE_SESSION,
        account_id="111111111111",
        arn="arn:aws:sts::111111111111:assumed-role/app/s1",
        user_id="AROA:s1",
        access_key_id="ASIA",
        name="app",
        entity_id="AROA",
        role_arn="arn:aws:iam::111111111111:role/app",
        session_name="s1",
        session=Session(issued_at=NOW, expires_at=NOW, source_identity="bob"),
        mfa=True,
    )
    (row,) = build(
        Facts(
            request_id="r4",
            time=NOW,
            service="iam",
            action="CreateRole",
            caller=session,
            params={
                "RoleName": "n",
                "AssumeRolePolicyDocument": '{"a": 1}',
                "Tags": [{"Key": "k", "Value": "v"}],
                "Bin": b"x",
                "Nothing": None,
                "Secret": {"Password": "p"},
            },
            result={
                "Role": {
                    "RoleName": "n",
                    "CreateDate": NOW,
                    "List": [1, 2.5, True, None, NOW, {"SessionToken": "t"}],
                }
            },
            with_response=True,
            read_only=False,
            target_arn="arn:aws:iam::111111111111:role/n",
            additional={"X": 1},
        )
    )
    assert row.record == (
        '{"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROA:'
        's1","arn":"arn:aws:sts::111111111111:assumed-role/app/s1","accountId":"111111111'
        '111","accessKeyId":"ASIA","sessionContext":{"sessionIssuer":{"type":"Role","prin'
        'cipalId":"AROA","arn":"arn:aws:iam::111111111111:role/app","accountId":"11111111'
        '1111","userName":"app"},"webIdFederationData":{},"attributes":{"creationDate":"2'
        '026-12-04T05:09:19Z","mfaAuthenticated":"true"},"sourceIdentity":"bob"}},"eventT'
        'ime":"2026-12-04T05:09:19Z","eventSource":"iam.amazonaws.com","eventName":"Creat'
        'eRole","awsRegion":"us-east-1","sourceIPAddress":"","userAgent":"","requestParam'
        'eters":{"roleName":"n","assumeRolePolicyDocument":"{\\"a\\": 1}","tags":[{"key":"k'
        '","value":"v"}],"secret":{"password":"HIDDEN_DUE_TO_SECURITY_REASONS"}},"respons'
        'eElements":{"role":{"roleName":"n","createDate":"Dec 4, 2026 5:09:19 AM","list":'
        '[1,2.5,true,null,"Dec 4, 2026 5:09:19 AM",{"sessionToken":"HIDDEN_DUE_TO_SECURIT'
        'Y_REASONS"}]}},"additionalEventData":{"x":1},"requestID":"r4","readOnly":false,"'
        'resources":[{"ARN":"arn:aws:iam::111111111111:role/n","accountId":"111111111111"'
        ',"type":"AWS::IAM::Role"}],"eventType":"AwsApiCall","managementEvent":true,"even'
        'tCategory":"Management","eventID":"00000000-0000-7000-8000-000000000000","recipi'
        'entAccountId":"111111111111"}'
    )


def test_what_a_caller_leaves_empty_is_left_out_of_its_identity() -> None:
    """A failed console sign-in's identities: no ARN (nor, for a user name the account does
    not have, an id), an empty access key id; an API caller's stay whole."""
    unknown = Caller(CallerKind.USER, "111111111111", "", "", access_key_id="", name="HIDDEN")
    facts = Facts(request_id="r", time=NOW, service="signin", action="ConsoleLogin")
    facts.caller = unknown
    (row,) = build(facts)
    assert json.loads(row.record)["userIdentity"] == {
        "type": "IAMUser",
        "accountId": "111111111111",
        "accessKeyId": "",
        "userName": "HIDDEN",
    }
    assert (row.account_id, row.username) == ("111111111111", "HIDDEN")
    facts.caller = ALICE
    (row,) = build(facts)
    assert json.loads(row.record)["userIdentity"] == {
        "type": "IAMUser",
        "principalId": "AIDAALICE",
        "arn": ALICE.arn,
        "accountId": "111111111111",
        "accessKeyId": "AKIAALICE",
        "userName": "alice",
    }


def test_a_console_sign_in_is_no_api_call_and_has_no_request_id() -> None:
    """CloudTrail writes a sign-in's eventType as AwsConsoleSignIn, with no requestID."""
    (row,) = build(Facts(request_id="r", time=NOW, service="signin", action="ConsoleLogin"))
    record = json.loads(row.record)
    assert record["eventType"] == "AwsConsoleSignIn" and "requestID" not in record
    (row,) = build(Facts(request_id="r", time=NOW, service="iam", action="GetRole"))
    record = json.loads(row.record)
    assert (record["eventType"], record["requestID"]) == ("AwsApiCall", "r")


def test_parameters_with_a_secret_are_never_kept_between_requests() -> None:
    """Short parameters' text is kept per value for the next request; a secret among
    them (a password, an MFA code) must not stay in the process for that."""
    secret = "Sw0rdfish-kept?"
    params = {"UserName": "ann", "Password": secret}
    (row,) = build(Facts(request_id="r", time=NOW, service="iam", action="Get", params=params))
    assert secret not in row.record and redact.HIDDEN in row.record
    kept = [value for key in event._PARAMS for _, value in key]
    assert secret not in kept
    plain = {"RoleName": "kept-role"}
    build(Facts(request_id="r", time=NOW, service="iam", action="GetRole", params=plain))
    assert tuple(plain.items()) in event._PARAMS
