"""Condition operators: the JSON corpus in tests/cases/policy/conditions, plus API checks.

Run one case or a group with ``IAMD_CASE=<substring of the id>``, e.g.
``IAMD_CASE=variables: pytest tests/unit/policy/test_conditions.py``. Ids are
``<file>:<case name>``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamd.policy.conditions import CompiledCondition, check_condition, compile_condition
from iamd.policy.context import make_context
from iamd.policy.document import ConditionClause
from iamd.policy.operators import BASE_OPERATORS
from iamd.policy.parse import scalar_text

CASES_DIR = Path(__file__).resolve().parents[2] / "cases" / "policy" / "conditions"


def _load(section: str) -> list[Any]:
    wanted = os.environ.get("IAMD_CASE", "")
    params = []
    for path in sorted(CASES_DIR.glob("*.json")):
        for case in json.loads(path.read_text()).get(section, []):
            case_id = f"{path.stem}:{case['name']}"
            if wanted in case_id:
                params.append(pytest.param(case, id=case_id))
    return params


def _clause(case: dict[str, Any]) -> ConditionClause:
    values = tuple(scalar_text(v) for v in case["values"])
    return ConditionClause(case["operator"], case["key"], values)


@pytest.mark.parametrize("case", _load("cases"))
def test_condition_case(case: dict[str, Any]) -> None:
    compiled = compile_condition(_clause(case), variables=case.get("variables", True))
    assert compiled.test(make_context(case["context"])) is case["expected"]


@pytest.mark.parametrize("case", _load("checks"))
def test_check_case(case: dict[str, Any]) -> None:
    assert check_condition(_clause(case)) == case["problems"]


def _all_cases() -> list[dict[str, Any]]:
    return [
        case
        for path in CASES_DIR.glob("*.json")
        for case in json.loads(path.read_text()).get("cases", [])
    ]


def test_corpus_covers_every_operator_and_its_ifexists_form() -> None:
    used = {case["operator"] for case in _all_cases()}
    for base in BASE_OPERATORS:
        assert base in used, base
        if base != "Null":
            assert f"{base}IfExists" in used, base


def test_compiled_condition_keeps_operator_and_lowercases_key() -> None:
    clause = ConditionClause("ForAnyValue:StringLikeIfExists", "AWS:TagKeys", ("a*",))
    compiled = compile_condition(clause, variables=True)
    assert isinstance(compiled, CompiledCondition)
    assert compiled.operator == "ForAnyValue:StringLikeIfExists"
    assert compiled.key == "aws:tagkeys"


@pytest.mark.parametrize("operator", ["StringEqualz", "ForAllValues:Null", "NullIfExists", ""])
def test_unknown_operator_raises(operator: str) -> None:
    with pytest.raises(ValueError, match="unknown condition operator"):
        compile_condition(ConditionClause(operator, "k", ("v",)), variables=True)


@pytest.mark.parametrize(
    "value",
    ["", "\x00", "\ud800", "a" * 10_000, "::::::", "arn:::::", "1e999999", "-", ".", "T", "Z"],
)
@pytest.mark.parametrize("operator", sorted(BASE_OPERATORS))
def test_odd_request_values_never_raise(operator: str, value: str) -> None:
    clause = ConditionClause(operator, "k", ("1", "*", "arn:*:*:*:*:*", "0.0.0.0/0", "AAEC"))
    compiled = compile_condition(clause, variables=True)
    assert compiled.test({"k": value}) in (True, False)
    assert compiled.test({"k": (value, value)}) in (True, False)


def test_a_compiled_condition_can_be_reused_across_requests() -> None:
    clause = ConditionClause("StringLike", "s3:prefix", ("home/${aws:userid}/*",))
    compiled = compile_condition(clause, variables=True)
    for user in ("a", "b", "c.d", "e*"):
        ctx = {"s3:prefix": f"home/{user}/x", "aws:userid": user}
        assert compiled.test(ctx) is True
        assert compiled.test({**ctx, "aws:userid": user + "z"}) is False
