"""Runs the evaluation corpus under tests/cases/policy/evaluation (see its README)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from iamd import policy
from iamd.policy import PolicyKind

CASES = Path(__file__).resolve().parents[2] / "cases" / "policy" / "evaluation"


def _scenarios() -> list[Any]:
    selected = os.environ.get("IAMD_CASE", "")
    out = []
    for path in sorted(CASES.glob("*.json")):
        for scenario in json.loads(path.read_text()):
            for i, req in enumerate(scenario["requests"]):
                case_id = f"{path.stem}/{scenario['name']}/{i}:{req['action']}"
                if selected in case_id:
                    out.append(pytest.param(scenario, req, id=case_id))
    return out


def principal_of(spec: dict[str, Any]) -> policy.Principal:
    tags = spec.get("tags")
    if "user" in spec:
        return policy.user(spec["user"], spec.get("id", "AIDAUSEREXAMPLE"), tags)
    if "role_session" in spec:
        return policy.role_session(
            spec["role_session"], spec.get("role_id", "AROAROLEEXAMPLE"), spec["session"], tags
        )
    if "root" in spec:
        return policy.root(spec["root"])
    if "federated_user" in spec:
        return policy.federated_user(
            spec["account"], spec["federated_user"], spec["source_user"], "AIDASOURCEUSER", tags
        )
    if "service" in spec:
        return policy.service(spec["service"])
    raise AssertionError(f"unknown principal {spec}")


# Requests of a scenario share its compiled policies, as the server's caches make them
# share: each policy set built after the first reuses what the policies memoized.
_COMPILED: dict[tuple[str, PolicyKind, str], policy.CompiledPolicy] = {}


def _compile(doc: Any, kind: PolicyKind, policy_id: str) -> policy.CompiledPolicy:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    key = (text, kind, policy_id)
    if key not in _COMPILED:
        _COMPILED[key] = policy.compile_policy(policy.parse_policy(text, kind), policy_id)
    return _COMPILED[key]


def policy_set_of(spec: dict[str, Any]) -> policy.PolicySet:
    must_allow = spec.get("resource_must_allow", False)
    resource_kind = PolicyKind.TRUST if must_allow else PolicyKind.RESOURCE
    session = spec.get("session")
    return policy.PolicySet(
        identity=[
            _compile(d, PolicyKind.IDENTITY, f"identity.{i}")
            for i, d in enumerate(spec.get("identity", []))
        ],
        resource=_compile(spec["resource"], resource_kind, "resource")
        if "resource" in spec
        else None,
        boundary=_compile(spec["boundary"], PolicyKind.BOUNDARY, "boundary")
        if "boundary" in spec
        else None,
        session=None
        if session is None
        else [_compile(d, PolicyKind.SESSION, f"session.{i}") for i, d in enumerate(session)],
        scps=[
            [_compile(d, PolicyKind.SCP, f"scp.{lv}.{i}") for i, d in enumerate(level)]
            for lv, level in enumerate(spec.get("scps", []))
        ],
        rcps=[
            [_compile(d, PolicyKind.RCP, f"rcp.{lv}.{i}") for i, d in enumerate(level)]
            for lv, level in enumerate(spec.get("rcps", []))
        ],
        resource_must_allow=must_allow,
    )


@pytest.mark.parametrize(("scenario", "req"), _scenarios())
def test_case(scenario: dict[str, Any], req: dict[str, Any]) -> None:
    principal = principal_of(scenario["principal"])
    policies = policy_set_of(scenario["policies"])
    context = policy.principal_context(principal)
    context.update(policy.make_context(req.get("context", {})))
    request = policy.Request(
        principal, req["action"], req["resource"], context, req.get("resource_account")
    )
    result = policy.evaluate(request, policies)
    assert result.decision.value == req["decision"], result
    if "denied_by" in req:
        assert result.denied_by is not None and result.denied_by.value == req["denied_by"], result
    if "matched" in req:
        got = [f"{ref.policy_id}#{ref.index}" for ref in result.matched]
        assert got == req["matched"], result
    if "missing" in req:
        assert list(result.missing_context_keys) == req["missing"], result
