"""The frames a worker ships its queued audit events in (``audit.shipping``)."""

from __future__ import annotations

import datetime as dt
import marshal

import pytest

from iamd.audit import shipping
from iamd.store.audit_events import Origin, StoredEvent

ORIGIN = Origin(b"\x01" * 16, '{"type":"Root"}', ',"sourceIPAddress":"10.0.0.1","userAgent":"b"')
OTHER = Origin(b"\x02" * 16, '{"type":"IAMUser"}', ',"sourceIPAddress":"::1","userAgent":"c"')


def row(n: int, origin: Origin | None = ORIGIN, **kw: object) -> StoredEvent:
    values: dict[str, object] = {
        "event_id": f"0190-{n}",
        "account_id": "111111111111",
        "event_time": dt.datetime(2026, 12, 4, 13, 0, n % 60, 999_999 - n, tzinfo=dt.UTC),
        "event_name": "GetRole",
        "event_source": "iam.amazonaws.com",
        "read_only": True,
        "username": "alice",
        "access_key_id": "AKIAEXAMPLE",
        "principal_arn": None,
        "resource_lines": "AWS::IAM::Role\tr\n",
        "text": f',"eventTime":"x"{n}',
        "origin": origin,
        "cut": 16 if origin else 0,
    }
    values.update(kw)
    return StoredEvent(**values)  # type: ignore[arg-type]


def payload(frame: bytes) -> bytes:
    assert shipping.frame_length(frame[: shipping.HEADER_BYTES]) == len(frame) - 4
    return frame[shipping.HEADER_BYTES :]


def test_rows_come_back_equal_field_for_field() -> None:
    rows = [
        row(1),
        row(2, OTHER, username=None, access_key_id=None, principal_arn="arn:aws:iam::1:user/u"),
        row(3, None, text='{"eventVersion":"1.09","whole":true}', read_only=False),
        row(4, ORIGIN, account_id="", event_name="\ufffd\U0001f600", resource_lines=""),
    ]
    back = shipping.decode(payload(shipping.encode(rows)))
    assert back == rows
    assert [r.record for r in back] == [r.record for r in rows]
    assert back[0].origin is back[3].origin  # one origin per frame, named by digest


def test_times_keep_their_microsecond_across_centuries() -> None:
    moments = [
        dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 4, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(2199, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    ]
    rows = [row(n, event_time=m) for n, m in enumerate(moments)]
    assert [r.event_time for r in shipping.decode(payload(shipping.encode(rows)))] == moments


def test_a_batch_longer_than_a_frame_goes_in_several(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [row(n, text=f"{n}" + "x" * 1000) for n in range(10)]  # distinct: no back-references
    monkeypatch.setattr(shipping, "FRAME_LIMIT", 3500)
    frames = shipping.frames(rows)
    assert len(frames) > 1
    assert all(len(f) - shipping.HEADER_BYTES <= 3500 for f, _ in frames)
    assert [r for f, _ in frames for r in shipping.decode(payload(f))] == rows
    assert [r for _, held in frames for r in held] == rows
    monkeypatch.setattr(shipping, "FRAME_LIMIT", 100)
    assert shipping.frames(rows[:1]) == []  # one row longer than a frame: left out


@pytest.mark.parametrize(
    "bad",
    [
        b"",
        b"\x00garbage",
        marshal.dumps(([], [(1, 2)])),  # a row too short
        marshal.dumps(([], [(*range(11), b"\x09" * 16, 0)])),  # an origin it does not carry
        marshal.dumps("not a pair"),
    ],
)
def test_what_is_not_a_frame_is_a_value_error(bad: bytes) -> None:
    with pytest.raises(ValueError):
        shipping.decode(bad)
