"""What may enter an audit record: CloudTrail's key spelling, no secret, CloudTrail's times."""

from __future__ import annotations

import datetime as dt

import pytest

from iamd.audit import redact


@pytest.mark.parametrize(
    "member",
    [
        "SecretAccessKey",
        "SessionToken",
        "Password",
        "NewPassword",
        "OldPassword",
        "PrivateKey",
        "ServicePassword",
        "SAMLAssertion",
        "WebIdentityToken",
        "Base32StringSeed",
        "AuthenticationCode1",
        "TokenCode",
    ],
)
def test_every_secret_member_is_hidden_wherever_it_is(member: str) -> None:
    params = {"UserName": "alice", member: "s3cr3t", "Nested": [{member: "s3cr3t", "Key": "k"}]}
    cleaned = redact.clean(params)
    assert "s3cr3t" not in repr(cleaned)
    assert cleaned["userName"] == "alice"
    camel = member[0].lower() + member[1:]
    assert cleaned[camel] == redact.HIDDEN
    assert cleaned["nested"] == [{camel: redact.HIDDEN, "key": "k"}]


def test_the_models_sensitive_members_are_hidden() -> None:
    members = redact.secret_members()
    assert {"AddPrivateKey", "QRCodePNG", "ServiceCredentialSecret"} <= members
    assert "key" not in members and "value" not in members  # tags stay readable


def test_keys_times_and_binary_values() -> None:
    moment = dt.datetime(2014, 3, 13, 21, 55, 9, tzinfo=dt.UTC)
    cleaned = redact.clean(
        {"SAMLMetadataDocument": "<x/>", "CreateDate": moment, "Blob": b"\x00", "Gone": None}
    )
    assert cleaned == {"sAMLMetadataDocument": "<x/>", "createDate": "Mar 13, 2014 9:55:09 PM"}


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2020, 1, 24, 15, 41, 10, tzinfo=dt.UTC), "Jan 24, 2020 3:41:10 PM"),
        (dt.datetime(2020, 12, 1, 0, 0, 1, tzinfo=dt.UTC), "Dec 1, 2020 12:00:01 AM"),
        (dt.datetime(2020, 6, 30, 12, 5, 0, tzinfo=dt.UTC), "Jun 30, 2020 12:05:00 PM"),
    ],
)
def test_trail_time_is_cloudtrails_response_element_format(moment: dt.datetime, text: str) -> None:
    assert redact.trail_time(moment) == text


def test_trail_time_of_one_instant_in_any_zone_and_of_the_next() -> None:
    moment = dt.datetime(2020, 1, 24, 15, 41, 10, tzinfo=dt.UTC)
    east = moment.astimezone(dt.timezone(dt.timedelta(hours=5, minutes=30)))
    assert redact.trail_time(moment) == "Jan 24, 2020 3:41:10 PM"
    assert redact.trail_time(east) == "Jan 24, 2020 3:41:10 PM"  # the same instant
    assert redact.trail_time(moment.replace(tzinfo=None)) == "Jan 24, 2020 3:41:10 PM"
    assert redact.trail_time(moment + dt.timedelta(seconds=1)) == "Jan 24, 2020 3:41:11 PM"
    assert redact.trail_time(moment) == "Jan 24, 2020 3:41:10 PM"
