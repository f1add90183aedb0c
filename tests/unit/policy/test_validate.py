"""The policy grammar corpus (tests/cases/policy/validate/*.json), run per kind.

Each case is checked twice: with ``check_document`` on the JSON value, and end to end
with ``parse_policy`` on its text, which must raise PolicyError with the same problems
or, for a valid document, return a Policy. ``IAMD_CASE=<substring>`` runs only the cases
whose id contains it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamd.policy.document import Policy, PolicyError, PolicyKind
from iamd.policy.parse import parse_policy
from iamd.policy.validate import check_document

CASES_DIR = Path(__file__).resolve().parents[2] / "cases" / "policy" / "validate"


def _load_cases() -> list[Any]:
    only = os.environ.get("IAMD_CASE", "")
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text())["cases"]:
            kinds = list(PolicyKind) if case["kinds"] == "all" else case["kinds"]
            for kind in kinds:
                case_id = f"{path.stem}:{case['name']}:{kind}"
                if only in case_id:
                    params.append(pytest.param(case, PolicyKind(kind), id=case_id))
    return params


def _parse_problems(text: str, kind: PolicyKind) -> list[str] | Policy:
    try:
        return parse_policy(text, kind)
    except PolicyError as exc:
        return list(exc.problems)


def _assert_problems(found: list[str], case: dict[str, Any]) -> None:
    if "problems" in case:
        assert found == case["problems"]
    else:
        missing = [p for p in case["includes"] if p not in found]
        assert not missing, f"missing {missing} in {found}"
        assert found, "an invalid document must have problems"


@pytest.mark.parametrize(("case", "kind"), _load_cases())
def test_case(case: dict[str, Any], kind: PolicyKind) -> None:
    if "document" in case:
        found = check_document(case["document"], kind)
        _assert_problems(found, case)
        text = json.dumps(case["document"])
    else:
        text = case["text"]
    outcome = _parse_problems(text, kind)
    if case.get("problems") == []:
        assert isinstance(outcome, Policy), outcome
        assert outcome.kind is kind
    else:
        assert isinstance(outcome, list), "parse_policy accepted an invalid document"
        _assert_problems(outcome, case)


def test_corpus_names_are_unique() -> None:
    for path in CASES_DIR.glob("*.json"):
        names = [case["name"] for case in json.loads(path.read_text())["cases"]]
        assert len(names) == len(set(names)), path.name


def test_corpus_covers_every_kind() -> None:
    seen: set[str] = set()
    valid: set[str] = set()
    for path in CASES_DIR.glob("*.json"):
        for case in json.loads(path.read_text())["cases"]:
            kinds = list(PolicyKind) if case["kinds"] == "all" else case["kinds"]
            seen.update(kinds)
            if case.get("problems") == [] and "document" in case:
                valid.update(kinds)
    assert seen == set(PolicyKind)
    assert valid == set(PolicyKind)


@pytest.mark.parametrize(
    "junk",
    [
        None,
        0,
        1.5,
        float("nan"),
        True,
        "",
        [],
        [[[]]],
        {"Statement": None},
        {"Statement": [None, 1, "x", [], {}]},
        {"Statement": {"Effect": None, "Action": None, "Resource": None, "Principal": None}},
        {"Statement": {"Condition": {"StringEquals": None}, "Principal": {"AWS": [None, {}]}}},
        {"Statement": {"Condition": {"StringEquals": {"a:b": [None, float("inf")]}}}},
        {"Statement": {"Principal": {"Service": {"x": 1}}, "NotPrincipal": [1]}},
        {"Version": {"a": 1}, "Id": 3, "Statement": [{"Sid": {}}, {"Sid": {}}]},
    ],
)
@pytest.mark.parametrize("kind", list(PolicyKind))
def test_never_raises(junk: Any, kind: PolicyKind) -> None:
    problems = check_document(junk, kind)
    assert problems
    assert all(isinstance(p, str) and p and "\n" not in p for p in problems)


def test_problems_are_reported_once_each() -> None:
    doc = {"Statement": [{"Effect": "Allow"} for _ in range(5)]}
    problems = check_document(doc, PolicyKind.IDENTITY)
    assert len(problems) == len(set(problems))


def test_first_problem_is_the_error_message() -> None:
    text = json.dumps({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": "x"}})
    with pytest.raises(PolicyError, match=r'^Resource x must be in ARN format or "\*"\.$'):
        parse_policy(text, PolicyKind.IDENTITY)


def test_long_values_are_shortened_in_messages() -> None:
    doc = {"Version": "x" * 500, "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
    (problem,) = check_document(doc, PolicyKind.IDENTITY)
    assert len(problem) < 120
