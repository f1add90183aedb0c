"""SimulateCustomPolicy: AWS's request and response shapes, answered by the engine.

The input is what ``aws iam simulate-custom-policy --generate-cli-skeleton`` describes
(PolicyInputList, PermissionsBoundaryPolicyInputList, ActionNames, ResourceArns,
ResourcePolicy, ResourceOwner, CallerArn, ContextEntries); the output is the response's
``EvaluationResults``. ``iamd policy simulate`` prints it and the server's
SimulateCustomPolicy returns it, so the two cannot disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd.model.arn import parse_arn
from iamd.policy.compile import CompiledPolicy, PolicySet, compile_policy
from iamd.policy.context import ContextValue
from iamd.policy.decision import Evaluation, PolicyType, StatementRef
from iamd.policy.document import PolicyError, PolicyKind
from iamd.policy.evaluate import evaluate
from iamd.policy.parse import parse_policy
from iamd.policy.request import Principal, Request, root, user

# The SourcePolicyType AWS's simulator answers for an identity policy, whatever its origin
# (inline, managed, PolicyInputList): not one of the values its documentation lists.
IAM_POLICY = "IAM Policy"
# Where AWS's simulator reports a statement came from, for custom policies.
_SOURCE_TYPE = {PolicyType.IDENTITY: IAM_POLICY, PolicyType.RESOURCE: "resource"}
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
    resource_policy = compile_resource_policy(params.get("ResourcePolicy"))
    caller_arn = params.get("CallerArn")
    if resource_policy is not None and not caller_arn:
        raise SimulationInputError("CallerArn is required when a ResourcePolicy is given.")
    principal = _caller(caller_arn, params.get("ResourceOwner"))
    simulation = Simulation(
        principal, tuple(identity), boundaries[0] if boundaries else None, resource_policy
    )
    return {"EvaluationResults": run_simulation(simulation, params), "IsTruncated": False}


def compile_resource_policy(text: str | None) -> CompiledPolicy | None:
    """A simulation's ResourcePolicy; a role trust policy (no Resource) is read as one."""
    if not text:
        return None
    try:
        parsed = parse_policy(text, PolicyKind.RESOURCE)
    except PolicyError as exc:
        try:
            parsed = parse_policy(text, PolicyKind.TRUST)
        except PolicyError:
            raise exc from None
    return compile_policy(parsed, "ResourcePolicy")


@dataclass(frozen=True, slots=True)
class Simulation:
    """Who is simulated, with which policies.

    ``sources`` maps a compiled policy's id to the SourcePolicyId and SourcePolicyType
    the response shows (``IAM Policy``, as AWS answers); policies not in it show their
    own id, typed ``IAM Policy`` for identity policies, ``resource`` for resource
    policies, ``none`` otherwise. ``trust_policy(arn)`` returns a role's trust policy,
    when the simulation can see the role (the server's SimulatePrincipalPolicy).
    """

    principal: Principal
    identity: tuple[CompiledPolicy, ...]
    boundary: CompiledPolicy | None = None
    resource_policy: CompiledPolicy | None = None
    sources: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    trust_policy: Callable[[str], CompiledPolicy | None] | None = None


def run_simulation(simulation: Simulation, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every (action, resource) of ``params`` evaluated, as AWS's EvaluationResults.

    As enforcement does, ``sts:AssumeRole*`` on a role ARN needs the role's trust policy
    (the ResourcePolicy given, else the role's own when ``trust_policy`` finds it) to allow
    the caller, and the role's account owns it unless ResourceOwner says otherwise.
    """
    principal = simulation.principal
    owner = params.get("ResourceOwner")
    owner_account = _owner_account(owner or principal.account)
    context = context_from_entries(params.get("ContextEntries") or [])
    actions = params.get("ActionNames") or []
    if not actions:
        raise SimulateMissingActions()
    resources = params.get("ResourceArns") or ["*"]
    identity = simulation.identity
    boundary = simulation.boundary
    base = PolicySet(identity=identity, boundary=boundary, resource=simulation.resource_policy)
    extra = [boundary] if boundary is not None else []
    if simulation.resource_policy is not None:
        extra.append(simulation.resource_policy)
    spelled = _key_spellings([*identity, *extra])
    results = []
    for action in actions:
        for resource in resources:
            policies, resource_account = base, owner_account
            role_account = _assumed_role_account(action, resource)
            if role_account is not None:
                trust = simulation.resource_policy
                if trust is None and simulation.trust_policy is not None:
                    trust = simulation.trust_policy(resource)
                if trust is not None:
                    policies = PolicySet(
                        identity=identity,
                        boundary=boundary,
                        resource=trust,
                        resource_must_allow=True,
                    )
                    resource_account = _owner_account(owner) if owner else role_account
                    spelled = {**_key_spellings([trust]), **spelled}
            request = Request(principal, action, resource, context, resource_account)
            evaluation = evaluate(request, policies)
            result = evaluation_result(
                action, resource, evaluation, policies.has_boundary, simulation.sources
            )
            result["MissingContextValues"] = [
                spelled.get(k, k) for k in result["MissingContextValues"]
            ]
            if "ResourceArns" in params:
                result["ResourceSpecificResults"] = [resource_specific_result(result)]
            results.append(result)
    return results


def _assumed_role_account(action: str, resource: str) -> str | None:
    """The role's account when ``action`` assumes the role ``resource``, else None."""
    if not action.lower().startswith("sts:assumerole"):
        return None
    arn = parse_arn(resource)
    if arn is None or arn.service != "iam" or arn.resource_type != "role":
        return None
    return arn.account


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


# The simulate APIs' ContextKeyType values (IAM's enum), each scalar before its list.
CONTEXT_KEY_TYPES = (
    "string",
    "stringList",
    "numeric",
    "numericList",
    "boolean",
    "booleanList",
    "ip",
    "ipList",
    "binary",
    "binaryList",
    "date",
    "dateList",
)
_LIST_TYPES = frozenset(t for t in CONTEXT_KEY_TYPES if t.endswith("List"))


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
    action: str,
    resource: str,
    evaluation: Evaluation,
    has_boundary: bool,
    sources: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": evaluation.decision.value,
        "MatchedStatements": [matched_statement(ref, sources) for ref in evaluation.matched],
        "MissingContextValues": list(evaluation.missing_context_keys),
        # AWS sends both even when nothing else is to be said (answers recorded from AWS).
        "EvalDecisionDetails": {},
        "OrganizationsDecisionDetail": {
            "AllowedByOrganizations": evaluation.denied_by is not PolicyType.SCP
        },
    }
    if has_boundary:
        result["PermissionsBoundaryDecisionDetail"] = {
            "AllowedByPermissionsBoundary": evaluation.denied_by is not PolicyType.BOUNDARY
        }
    return result


def resource_specific_result(result: Mapping[str, Any]) -> dict[str, Any]:
    """The ResourceSpecificResults entry AWS repeats for a resource named in ResourceArns."""
    return {
        "EvalResourceName": result["EvalResourceName"],
        "EvalResourceDecision": result["EvalDecision"],
        "MatchedStatements": result["MatchedStatements"],
        "MissingContextValues": result["MissingContextValues"],
    }


def matched_statement(
    ref: StatementRef, sources: Mapping[str, tuple[str, str]] | None = None
) -> dict[str, Any]:
    shown = sources.get(ref.policy_id) if sources else None
    policy_id, source_type = shown or (ref.policy_id, _SOURCE_TYPE.get(ref.policy_type, "none"))
    return {
        "SourcePolicyId": policy_id,
        "SourcePolicyType": source_type,
        "StartPosition": {"Line": ref.start.line, "Column": ref.start.column},
        "EndPosition": {"Line": ref.end.line, "Column": ref.end.column},
    }
