"""The frames a worker ships its drafted audit events in (``audit.shipping``)."""

from __future__ import annotations

import datetime as dt
import json
import marshal

import pytest

from iamd.audit import shipping
from iamd.audit.event import Draft, compose
from iamd.store.audit_events import Origin

ORIGIN = Origin(b"\x01" * 16, '{"type":"Root"}', ',"sourceIPAddress":"10.0.0.1","userAgent":"b"')
OTHER = Origin(b"\x02" * 16, '{"type":"IAMUser"}', ',"sourceIPAddress":"::1","userAgent":"c"')


def draft(n: int, origin: Origin = ORIGIN, **kw: object) -> Draft:
    values: dict[str, object] = {
        "request_id": f"r{n}",
        "time": dt.datetime(2026, 12, 4, 13, 0, n % 60, 999_999 - n, tzinfo=dt.UTC).timestamp(),
        "service": "iam",
        "action": "GetRole",
        "region": "us-east-1",
        "error": "",
        "params": f'{{"roleName":"r{n}"}}',
        "response": "null",
        "additional": "",
        "read_only": True,
        "listed": "",
        "lookups": "AWS::IAM::Role\tr\n",
        "accounts": ("111111111111",),
        "origin": origin,
        "username": "alice",
        "key_id": "AKIAEXAMPLE",
        "principal": None,
    }
    values.update(kw)
    return Draft(**values)  # type: ignore[arg-type]


def payload(frame: bytes) -> bytes:
    assert shipping.frame_length(frame[: shipping.HEADER_BYTES]) == len(frame) - 4
    return frame[shipping.HEADER_BYTES :]


def test_drafts_come_back_equal_field_for_field() -> None:
    drafts = [
        draft(1),
        draft(2, OTHER, username=None, key_id=None, principal="arn:aws:iam::1:user/u"),
        draft(3, error=',"errorCode":"NoSuchEntity"', read_only=False, accounts=("1", "2")),
        draft(4, ORIGIN, accounts=("",), action="\ufffd\U0001f600", lookups=""),
    ]
    back = shipping.decode(payload(shipping.encode(drafts)))
    assert back == drafts
    assert back[0].origin is back[3].origin  # one origin per frame, named by digest
    composed = [[row.record for row in compose(d)] for d in back]
    assert [[json.loads(r)["requestID"] for r in rows] for rows in composed] == [
        ["r1"],
        ["r2"],
        ["r3", "r3"],  # one record per recipient account
        ["r4"],
    ]


def test_times_keep_their_microsecond_across_centuries() -> None:
    moments = [
        dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 4, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    ]
    drafts = [draft(n, time=m.timestamp()) for n, m in enumerate(moments)]
    back = shipping.decode(payload(shipping.encode(drafts)))
    assert [row.event_time for d in back for row in compose(d)] == moments


def test_a_batch_longer_than_a_frame_goes_in_several(monkeypatch: pytest.MonkeyPatch) -> None:
    drafts = [draft(n, params=f"{n}" + "x" * 1000) for n in range(10)]  # distinct texts
    monkeypatch.setattr(shipping, "FRAME_LIMIT", 3500)
    frames = shipping.frames(drafts)
    assert len(frames) > 1
    assert all(len(f) - shipping.HEADER_BYTES <= 3500 for f, _ in frames)
    assert [d for f, _ in frames for d in shipping.decode(payload(f))] == drafts
    assert [d for _, held in frames for d in held] == drafts
    monkeypatch.setattr(shipping, "FRAME_LIMIT", 100)
    with pytest.raises(ValueError, match="longer than a frame"):
        shipping.frames(drafts[:1])  # the worker stores it itself


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x00garbage",
        marshal.dumps(([], [(1, 2)], [b"\x01" * 16])),  # a draft too short
        marshal.dumps(([], [tuple(range(16))], [b"\x09" * 16])),  # an origin not carried
        marshal.dumps(([], [tuple(range(16))], [])),  # a draft without its origin
        marshal.dumps("not a triple"),
    ],
)
def test_what_is_not_a_frame_is_a_value_error(bad: bytes) -> None:
    with pytest.raises(ValueError):
        shipping.decode(bad)
