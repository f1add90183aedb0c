"""Constraint checks beyond the case table: list lengths, maps, unions, values built in code."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from iamd.errors import ValidationError
from iamd.protocol import Service, find_violations, parse_request, validate_params
from iamd.protocol.validate import Invalid, show, validation_message

ROLE = "arn:aws:iam::123456789012:role/Demo"


def _assume_role(**extra: Any) -> dict[str, Any]:
    return {"RoleArn": ROLE, "RoleSessionName": "session", **extra}


def test_valid_params_have_no_violations() -> None:
    assert find_violations("sts", "AssumeRole", _assume_role(DurationSeconds=3600)) == []
    validate_params("sts", "AssumeRole", _assume_role())


def test_too_many_tags_is_one_violation_at_the_list() -> None:
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    violations = find_violations("sts", "AssumeRole", _assume_role(Tags=tags))
    shown = "[" + ", ".join(f"{{Key=k{i}, Value=v}}" for i in range(51)) + "]"
    assert violations == [
        f"Value '{shown}' at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"
    ]


def test_list_and_element_violations_are_both_reported() -> None:
    keys = [f"k{i}" for i in range(50)] + ["bad!"]
    violations = find_violations("sts", "AssumeRole", _assume_role(TransitiveTagKeys=keys))
    assert len(violations) == 2
    assert violations[0].endswith("Member must have length less than or equal to 50")
    assert violations[1].startswith("Value 'bad!' at 'transitiveTagKeys.51.member' ")


def test_validate_params_raises_one_error_with_the_count() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_params("sts", "AssumeRole", {"RoleSessionName": "a:b"})
    assert caught.value.message.startswith("2 validation errors detected: Value null at 'roleArn'")


@pytest.mark.parametrize(
    ("params", "violation"),
    [
        (
            _assume_role(DurationSeconds="3600"),
            "Value '3600' at 'durationSeconds' failed to satisfy constraint: "
            "Member must be an integer",
        ),
        (
            _assume_role(DurationSeconds=True),
            "Value 'true' at 'durationSeconds' failed to satisfy constraint: "
            "Member must be an integer",
        ),
        (
            _assume_role(RoleSessionName=42),
            "Value '42' at 'roleSessionName' failed to satisfy constraint: Member must be a string",
        ),
        (
            _assume_role(Tags={"Key": "k"}),
            "Value '{Key=k}' at 'tags' failed to satisfy constraint: Member must be a list",
        ),
        (
            _assume_role(Tags=["k"]),
            "Value 'k' at 'tags.1.member' failed to satisfy constraint: Member must be a structure",
        ),
        (
            _assume_role(Tags=[None]),
            "Value null at 'tags.1.member' failed to satisfy constraint: Member must not be null",
        ),
    ],
)
def test_values_built_in_code_are_type_checked(params: dict[str, Any], violation: str) -> None:
    assert find_violations("sts", "AssumeRole", params) == [violation]


def test_unknown_operation_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown operation"):
        find_violations("sts", "Nope", {})


def test_map_keys_and_values_are_reported_once_per_map() -> None:
    properties = {"1bad": "x", "Good": "", "Fine": "ok"}
    violations = find_violations("iam", "PutAccountProperties", {"Properties": properties})
    assert violations == [  # IAM shows no value, only the member
        "Value at 'properties' failed to satisfy constraint: Map keys must satisfy "
        "constraint: [Member must have length less than or equal to 50, Member must have length "
        "greater than or equal to 1, Member must satisfy regular expression pattern: "
        "^[A-Za-z][A-Za-z0-9/_-]*$]",
        "Value at 'properties' failed to satisfy constraint: Map value must satisfy "
        "constraint: [Member must have length less than or equal to 1024, Member must have "
        "length greater than or equal to 1]",
    ]


def test_map_entries_are_decoded_and_validated_from_the_form() -> None:
    pairs = [
        ("Action", "PutAccountProperties"),
        ("Properties.entry.2.key", "Second"),
        ("Properties.entry.2.value", "2"),
        ("Properties.entry.1.key", "First"),
        ("Properties.entry.1.value", "1"),
        ("Properties.entry.3.key", "NoValue"),
    ]
    params = parse_request("iam", pairs).params
    assert list(params["Properties"].items()) == [("First", "1"), ("Second", "2")]


def test_structured_map_values_are_checked_member_by_member() -> None:
    violations = find_violations(
        "iam",
        "AcquireRole",
        {"TemplateArn": "arn:aws:iam::123456789012:template/t", "ReplacementValues": {"k": {}}},
    )
    assert violations == [
        "Value null at 'replacementValues.k.values' failed to satisfy constraint: "
        "Member must not be null"
    ]


UNION = Service.from_definition(
    {
        "metadata": {
            "apiVersion": "2020-01-01",
            "protocol": "query",
            "xmlNamespace": "https://example.com/doc/2020-01-01/",
            "endpointPrefix": "example",
        },
        "operations": {"Pick": {"name": "Pick", "input": {"shape": "PickRequest"}}},
        "shapes": {
            "PickRequest": {
                "type": "structure",
                "members": {
                    "Choice": {"shape": "Choice"},
                    "Secret": {"shape": "Secret"},
                    "Limits": {"shape": "Limits"},
                },
            },
            "Limits": {"type": "map", "key": {"shape": "Unit"}, "value": {"shape": "Amount"}},
            "Unit": {"type": "string", "enum": ["Seconds", "Items"]},
            "Amount": {"type": "integer", "min": 1, "max": 10},
            "Choice": {
                "type": "structure",
                "union": True,
                "members": {"A": {"shape": "Text"}, "B": {"shape": "Text"}},
            },
            "Text": {"type": "string"},
            "Secret": {"type": "string", "sensitive": True, "min": 8},
        },
    },
    "example",
)


@pytest.mark.parametrize(
    ("choice", "ok"), [({"A": "a"}, True), ({"A": "a", "B": "b"}, False), ({}, False)]
)
def test_unions_need_exactly_one_member(choice: dict[str, str], ok: bool) -> None:
    violations = find_violations(UNION, "Pick", {"Choice": choice})
    if ok:
        assert violations == []
    else:
        assert violations == [
            f"Value '{show(choice)}' at 'choice' failed to satisfy constraint: "
            "Member must have exactly one member set"
        ]


def test_sensitive_values_are_never_echoed() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_request(UNION, [("Action", "Pick"), ("Secret", "hunter2")])
    assert "hunter2" not in caught.value.message
    assert caught.value.message == (
        "1 validation error detected: Value at 'secret' failed to satisfy constraint: "
        "Member must have length greater than or equal to 8"
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("s", "s"),
        (Invalid("raw", "an integer"), "raw"),
        (False, "false"),
        (7, "7"),
        (datetime.datetime(2020, 1, 2, tzinfo=datetime.UTC), "2020-01-02T00:00:00+00:00"),
        (b"ab", "ab"),
        (["a", 1], "[a, 1]"),
        ({"K": ["v"]}, "{K=[v]}"),
    ],
)
def test_values_are_shown_as_aws_prints_them(value: object, text: str) -> None:
    assert show(value) == text


def test_summary_line() -> None:
    assert validation_message(["x"]) == "1 validation error detected: x"
    assert validation_message(["x", "y"]) == "2 validation errors detected: x; y"


def test_map_constraint_texts_for_enums_and_numbers() -> None:
    violations = find_violations(UNION, "Pick", {"Limits": {"Hours": 1, "Items": 0}})
    assert violations == [
        "Value '{Hours=1, Items=0}' at 'limits' failed to satisfy constraint: Map keys must "
        "satisfy constraint: [Member must satisfy enum value set: [Seconds, Items]]",
        "Value '{Hours=1, Items=0}' at 'limits' failed to satisfy constraint: Map value must "
        "satisfy constraint: [Member must have value less than or equal to 10, Member must have "
        "value greater than or equal to 1]",
    ]


def test_map_null_values_and_non_maps() -> None:
    assert find_violations(UNION, "Pick", {"Limits": {"Items": None}}) == [
        "Value '{Items=null}' at 'limits' failed to satisfy constraint: Map value must "
        "satisfy constraint: [Member must have value less than or equal to 10, Member must have "
        "value greater than or equal to 1]"
    ]
    assert find_violations(UNION, "Pick", {"Limits": ["Items"]}) == [
        "Value '[Items]' at 'limits' failed to satisfy constraint: Member must be a map"
    ]


def test_a_pattern_left_to_the_operation_is_not_checked_there_alone() -> None:
    # CreateVirtualMFADevice's Path pattern is the operation's to word; its length is not,
    # and the same shape keeps its pattern in every other operation.
    assert (
        find_violations("iam", "CreateVirtualMFADevice", {"VirtualMFADeviceName": "d", "Path": "x"})
        == []
    )
    assert find_violations(
        "iam", "CreateVirtualMFADevice", {"VirtualMFADeviceName": "d", "Path": "/" + "a" * 600}
    ) == [
        "Value at 'path' failed to satisfy constraint: Member must have length less than or "
        "equal to 512"
    ]
    assert find_violations("iam", "CreateUser", {"UserName": "u", "Path": "x"}) == [
        "Value at 'path' failed to satisfy constraint: Member must satisfy regular expression "
        "pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)"
    ]
