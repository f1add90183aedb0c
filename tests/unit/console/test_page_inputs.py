"""The console pages' pure parts: the policy editor's findings, the simulator's fields
and the trail's filter, each from what a person types."""

from __future__ import annotations

import json

import pytest
from starlette.datastructures import QueryParams

from iamd.console.policy_editor import Finding, findings
from iamd.console.simulator import context_entries, documents
from iamd.console.trail import BadTime, lookup_params

LIMIT = 6144


def _doc(*statements: dict[str, object], version: str = "2012-10-17") -> str:
    return json.dumps({"Version": version, "Statement": list(statements)}, indent=2)


ALLOW = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}


def test_a_valid_managed_policy_has_no_findings() -> None:
    assert findings(_doc(ALLOW), LIMIT) == []


def test_a_json_error_is_placed_where_json_stopped() -> None:
    assert findings('{\n  "Version": "2012-10-17",\n  "Statement": [,]\n}', LIMIT) == [
        Finding("Syntax errors in policy. Expecting value.", 3, 17)
    ]


def test_each_statement_problem_is_placed_at_its_statement_with_the_engines_detail() -> None:
    bad = {"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}
    text = _doc(ALLOW, bad)
    assert findings(text, LIMIT) == [
        Finding('Syntax errors in policy. Effect must be "Allow" or "Deny", not "Maybe".', 9, 6)
    ]


def test_the_managed_version_rule_the_size_quota_and_an_empty_document() -> None:
    older = findings(_doc(ALLOW, version="2008-10-17"), LIMIT)
    assert older == [Finding("Policy document must be version 2012-10-17 or greater.")]
    assert findings(_doc(ALLOW), 10)[-1] == Finding("Cannot exceed quota for PolicySize: 10")
    assert findings("  ", LIMIT) == [Finding("Syntax errors in policy. The document is empty.")]


def test_duplicate_keys_and_deep_nesting_are_findings_not_errors() -> None:
    duplicated = '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}'
    assert findings(duplicated, LIMIT) == [
        Finding('Syntax errors in policy. Duplicate key "Version".')
    ]
    deep = "[" * 5000 + "]" * 5000
    assert findings(deep, LIMIT) == [
        Finding("Syntax errors in policy. JSON nested deeper than 64 levels.")
    ]


def test_the_simulators_context_lines_become_context_entries() -> None:
    assert context_entries("aws:SourceIp (ip) = 10.0.0.1\n\n s3:prefix = a, b \n") == [
        {
            "ContextKeyName": "aws:SourceIp",
            "ContextKeyValues": ["10.0.0.1"],
            "ContextKeyType": "ip",
        },
        {"ContextKeyName": "s3:prefix", "ContextKeyValues": ["a, b"], "ContextKeyType": "string"},
    ]
    assert context_entries("aws:TagKeys (stringList) = a, b")[0]["ContextKeyValues"] == ["a", "b"]


def test_pasted_documents_are_split_at_a_line_of_three_dashes() -> None:
    assert documents('{"a": 1}\n---\n{"b": 2}\n---\n') == ['{"a": 1}', '{"b": 2}']
    assert documents("") == []


def test_the_trail_filter_becomes_lookup_events_parameters() -> None:
    query = QueryParams("attribute=Username&value=ann&start=2026-01-02T03:04&end=&next=tok")
    assert lookup_params(query) == {
        "MaxResults": 50,
        "LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "ann"}],
        "StartTime": 1767323040.0,
        "NextToken": "tok",
    }
    assert "LookupAttributes" not in lookup_params(QueryParams("attribute=Nope&value=x"))
    with pytest.raises(BadTime):
        lookup_params(QueryParams("start=yesterday"))
