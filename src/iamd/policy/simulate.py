"""SimulateCustomPolicy: AWS's request and response shapes, answered by the engine.

The input is what ``aws iam simulate-custom-policy --generate-cli-skeleton`` describes
(PolicyInputList, PermissionsBoundaryPolicyInputList, ActionNames, ResourceArns,
ResourcePolicy, ResourceOwner, CallerArn, ContextEntries); the output is the response's
``EvaluationResults``. ``iamd policy simulate`` prints it and the server's
SimulateCustomPolicy returns it, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from iamd.model.arn import parse_arn
from iamd.policy.compile import CompiledPolicy, PolicySet, compile_policy
from iamd.policy.context import ContextValue
from iamd.policy.decision import Evaluation, PolicyType, StatementRef
from iamd.policy.document import PolicyKind
from iamd.policy.evaluate import evaluate
from iamd.policy.parse import parse_policy
from iamd.policy.request import Principal, Request, root, user

# Where AWS's simulator reports a statement came from, for custom policies.
_SOURCE_TYPE = {PolicyType.RESOURCE: "resource"}
DEFAULT_ACCOUNT = "123456789012"


class SimulationInputError(ValueError):
    """The simulation request itself is wrong (not one of its policies)."""


def simulate_custom_policy(params: Mapping[str, Any]) -> dict[str, Any]:
    """Answer a SimulateCustomPolicy request given as AWS's JSON (or Query) parameters.

    Policies that do not parse raise ``PolicyError``; other bad input raises
    ``SimulationInputError``.
    """
    identity = _compile_list(
        params.get("PolicyInputList") or [], "PolicyInputList", PolicyKind.IDENTITY
    )
    boundaries = _compile_list(
        params.get("PermissionsBoundaryPolicyInputList") or [],
        "PermissionsBoundaryPolicyInputList",
        PolicyKind.BOUNDARY,
    )
    if len(boundaries) > 1:
        raise SimulationInputError("Only one permissions boundary policy may be given.")
    resource_text = params.get("ResourcePolicy")
    resource_policy = None
    if resource_text:
        parsed = parse_policy(resource_text, PolicyKind.RESOURCE)
        resource_policy = compile_policy(parsed, "ResourcePolicy")
    caller_arn = params.get("CallerArn")
    if resource_policy is not None and not caller_arn:
        raise SimulationInputError("CallerArn is required when a ResourcePolicy is given.")
    principal = _caller(caller_arn, params.get("ResourceOwner"))
    owner = params.get("ResourceOwner") or principal.account
    owner_account = _owner_account(owner)
    policies = PolicySet(
        identity=identity,
        boundary=boundaries[0] if boundaries else None,
        resource=resource_policy,
    )
    context = context_from_entries(params.get("ContextEntries") or [])
    actions = params.get("ActionNames") or []
    if not actions:
        raise SimulateMissingActions()
    resources = params.get("ResourceArns") or ["*"]
    spelled = _key_spellings(
        [*identity, *boundaries, *([resource_policy] if resource_policy else [])]
    )
    results = []
    for action in actions:
        for resource in resources:
            request = Request(principal, action, resource, context, owner_account)
            evaluation = evaluate(request, policies)
            result = evaluation_result(action, resource, evaluation, policies.has_boundary)
            result["MissingContextValues"] = [
                spelled.get(k, k) for k in result["MissingContextValues"]
            ]
            results.append(result)
    return {"EvaluationResults": results, "IsTruncated": False}


class SimulateMissingActions(SimulationInputError):
    def __init__(self) -> None:
        super().__init__("ActionNames must name at least one action.")


def _key_spellings(policies: Sequence[CompiledPolicy]) -> dict[str, str]:
    """Context keys as the policies spell them, by their lowercased form."""
    return {
        clause.key.lower(): clause.key
        for p in policies
        for st in p.policy.statements
        for clause in st.conditions
    }


def _compile_list(texts: Sequence[str], name: str, kind: PolicyKind) -> list[CompiledPolicy]:
    return [
        compile_policy(parse_policy(text, kind), f"{name}.{i}")
        for i, text in enumerate(texts, start=1)
    ]


def _caller(caller_arn: str | None, owner: str | None) -> Principal:
    if not caller_arn:
        account = owner or DEFAULT_ACCOUNT
        return user(f"arn:aws:iam::{account}:user/simulated-caller", "AIDASIMULATEDCALLER")
    parsed = parse_arn(caller_arn)
    if parsed is None or parsed.service != "iam":
        raise SimulationInputError(f"Invalid CallerArn: {caller_arn}")
    if parsed.resource == "root":
        return root(parsed.account, parsed.partition)
    if parsed.resource_type != "user":
        raise SimulationInputError("CallerArn must be the ARN of an IAM user.")
    return user(caller_arn, f"AIDA{parsed.account}SIM", partition=parsed.partition)


def _owner_account(owner: str | None) -> str | None:
    if owner is None:
        return None
    parsed = parse_arn(owner)
    return parsed.account if parsed else owner


_LIST_TYPES = frozenset(
    {"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"}
)


def context_from_entries(entries: Sequence[Mapping[str, Any]]) -> dict[str, ContextValue]:
    """The request context from simulate ContextEntries (name, values, type)."""
    context: dict[str, ContextValue] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise SimulationInputError("Each context entry needs a ContextKeyName.")
        values = [
            str(v).lower() if isinstance(v, bool) else str(v)
            for v in entry.get("ContextKeyValues") or []
        ]
        key_type = entry.get("ContextKeyType", "string")
        if key_type in _LIST_TYPES:
            context[name.lower()] = tuple(values)
        elif values:
            context[name.lower()] = values[0]
    return context


def evaluation_result(
    action: str, resource: str, evaluation: Evaluation, has_boundary: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": evaluation.decision.value,
        "MatchedStatements": [matched_statement(ref) for ref in evaluation.matched],
        "MissingContextValues": list(evaluation.missing_context_keys),
    }
    if has_boundary:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": evaluation.denied_by is not PolicyType.BOUNDARY
        }
    return result


def matched_statement(ref: StatementRef) -> dict[str, Any]:
    return {
        "SourcePolicyId": ref.policy_id,
        "SourcePolicyType": _SOURCE_TYPE.get(ref.policy_type, "none"),
        "StartPosition": {"Line": ref.start.line, "Column": ref.start.column},
        "EndPosition": {"Line": ref.end.line, "Column": ref.end.column},
    }
