"""Wire traits IAM and STS do not use today (flattened, locationName, recursion, every
scalar type), on a small synthetic query model, against botocore in both directions."""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

import botocore.parsers
import botocore.serialize
import pytest

from iamd.protocol import parse_request, serialize_result

from .synthetic_model import SERVICE, VALUE


def _operation_model(name: str) -> Any:
    operation = SERVICE.operation(name)
    assert operation is not None
    return operation.botocore_model


def test_request_round_trip_with_every_wire_trait() -> None:
    request = botocore.serialize.create_serializer("query").serialize_to_request(
        VALUE, _operation_model("Op")
    )
    body = request["body"]
    assert body["Item.1"] == "a"  # flattened list keyed by its member's locationName
    assert body["FlatPlain.1"] == "x"
    assert body["NamedList.Thing.2"] == "q"
    assert body["OtherName"] == "renamed"
    assert body["FlatMap.2.V"] == 2
    assert body["Map.entry.1.value.Name"] == "leaf"
    assert body["Empty"] == ""
    assert body["Epoch"] == 1612325106
    pairs = parse_qsl(urlencode(body), keep_blank_values=True)
    assert parse_request(SERVICE, pairs).params == VALUE


def test_response_round_trip_with_every_wire_trait() -> None:
    body = serialize_result(SERVICE, "Op", VALUE, "rid")
    assert b"<Item>a</Item><Item>b &amp; &lt;c&gt;</Item>" in body
    assert b"<NamedList><Thing>p</Thing><Thing>q</Thing></NamedList>" in body
    assert b"<FlatMap><K>k1</K><V>1</V></FlatMap><FlatMap><K>k2</K><V>2</V></FlatMap>" in body
    assert b"<When>2021-02-03T04:05:06.789Z</When>" in body
    assert b"<Epoch>1612325106.0</Epoch>" in body
    parsed = botocore.parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, _operation_model("Op").output_shape
    )
    parsed.pop("ResponseMetadata")
    assert parsed == VALUE


def test_output_without_result_wrapper_sits_under_the_response_element() -> None:
    body = serialize_result(SERVICE, "Bare", {"Renamed": "r"}, "rid")
    assert body.startswith(b'<BareResponse xmlns="https://example.com/doc/2020-01-01/">')
    assert b"<OtherName>r</OtherName><ResponseMetadata>" in body
    parsed = botocore.parsers.create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200}, _operation_model("Bare").output_shape
    )
    assert parsed["Renamed"] == "r"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2021-02-03T04:05:06Z", datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)),
        ("2021-02-03T04:05:06", datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)),
        ("2021-02-03T06:05:06+02:00", datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)),
        ("1612325106", datetime.datetime(2021, 2, 3, 4, 5, 6, tzinfo=datetime.UTC)),
    ],
)
def test_timestamps_in_iso_8601_or_epoch_seconds(raw: str, expected: datetime.datetime) -> None:
    params = parse_request(SERVICE, [("Action", "Op"), ("When", raw)]).params
    assert params["When"] == expected


def test_naive_and_offset_datetimes_are_written_in_utc() -> None:
    naive = datetime.datetime(2021, 2, 3, 4, 5, 6)
    offset = datetime.datetime(
        2021, 2, 3, 6, 5, 6, 1500, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert b"<When>2021-02-03T04:05:06.000Z</When>" in serialize_result(
        SERVICE, "Bare", {"When": naive}, "r"
    )
    assert b"<When>2021-02-03T04:05:06.001Z</When>" in serialize_result(
        SERVICE, "Bare", {"When": offset}, "r"
    )


@pytest.mark.parametrize(
    ("number", "text"),
    [(float("inf"), b"Infinity"), (float("-inf"), b"-Infinity"), (float("nan"), b"NaN")],
)
def test_special_floats(number: float, text: bytes) -> None:
    assert b"<Ratio>" + text + b"</Ratio>" in serialize_result(
        SERVICE, "Bare", {"Ratio": number}, "r"
    )


def test_special_floats_are_read() -> None:
    params = parse_request(SERVICE, [("Action", "Op"), ("Ratio", "-Infinity")]).params
    assert params["Ratio"] == float("-inf")
