"""Decoding corners: absent and malformed values, repeated names, odd shapes of the form."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.errors import ValidationError
from iamd.protocol import parse_request
from iamd.protocol.query_parser import build_tree

from .synthetic_model import SERVICE

ROLE = "arn:aws:iam::123456789012:role/Demo"
BASE = [("Action", "AssumeRole"), ("RoleArn", ROLE), ("RoleSessionName", "session")]


def _params(pairs: list[tuple[str, str]], service: Any = "sts") -> dict[str, Any]:
    return parse_request(service, pairs).params


def test_the_first_of_repeated_names_wins() -> None:
    params = _params([*BASE, ("RoleSessionName", "second"), ("DurationSeconds", "900")])
    assert params["RoleSessionName"] == "session"


def test_tree_keeps_values_and_children_apart() -> None:
    root = build_tree([("A", "1"), ("A.b", "2"), ("A.b", "3")])
    assert root.child_value("A") == "1"
    assert root.child_value("missing") is None
    assert build_tree([]).child_value("A") is None


@pytest.mark.parametrize(
    "extra",
    [
        [("Tags.member", "x")],  # a list with no numbered elements
        [("Tags.member.1", "x")],  # a structure element given as a scalar
        [("Tags", "not-empty")],  # a list given as a non-empty scalar
        [("DurationSeconds.x", "1")],  # a scalar given only as children
        [("RoleSessionName.x", "1"), ("RoleSessionName", "session")],
    ],
)
def test_shapes_the_model_does_not_describe_are_ignored(extra: list[tuple[str, str]]) -> None:
    assert _params([*BASE, *extra]) == {"RoleArn": ROLE, "RoleSessionName": "session"}


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("When", "yesterday", "a timestamp in ISO 8601 format"),
        ("When", "1e400", "a timestamp in ISO 8601 format"),
        ("Data", "not base64!", "base64-encoded"),
        ("Ratio", "1,5", "a number"),
        ("Flag", "1", "true or false"),
        ("Count", "9223372036854775808", "an integer"),
    ],
)
def test_values_that_do_not_convert(name: str, raw: str, expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_request(SERVICE, [("Action", "Op"), (name, raw)])
    member = name[0].lower() + name[1:]
    assert caught.value.message == (
        f"1 validation error detected: Value '{raw}' at '{member}' failed to satisfy "
        f"constraint: Member must be {expected}"
    )


@pytest.mark.parametrize("name", ["When", "Data", "Ratio", "Flag", "Count", "Renamed"])
def test_scalars_given_only_as_children_are_absent(name: str) -> None:
    assert _params([("Action", "Op"), (f"{name}.x", "1")], SERVICE) == {}


def test_map_corners() -> None:
    pairs = [
        ("Action", "Op"),
        ("FlatMap.1.K", "dup"),
        ("FlatMap.1.V", "1"),
        ("FlatMap.2.K", "dup"),
        ("FlatMap.2.V", "2"),
        ("FlatMap.3.K", "bad"),
        ("FlatMap.3.V.x", "child only"),
        ("Map", "scalar"),
    ]
    assert _params(pairs, SERVICE) == {"FlatMap": {"dup": 1}}


def test_long_values_keep_their_range() -> None:
    params = _params([("Action", "Op"), ("Count", "-9223372036854775808")], SERVICE)
    assert params == {"Count": -(2**63)}
