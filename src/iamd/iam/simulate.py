"""The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and the context keys.

Both simulations run ``policy.simulate.run_simulation``, the loop ``iamd policy simulate``
runs offline, so SimulateCustomPolicy returns exactly what the CLI prints for the same
input (paged by Marker/MaxItems). SimulatePrincipalPolicy gathers the entity's policies
as the authorizer does (a user's own and its groups', inline and attached; a role's; a
group's) plus PolicyInputList, with the entity's permissions boundary unless
PermissionsBoundaryPolicyInputList replaces it. ``sts:AssumeRole*`` on a role ARN is
decided with the role's trust policy, as AssumeRole is.

MatchedStatements name policies as AWS's answers do: an inline policy
``KIND_ENTITY_POLICY`` (``role_web_read``: recorded for a role; a user's and a group's
follow the same form), a managed policy by its name, input policies
``PolicyInputList.N``; every one typed ``IAM Policy``, as AWS answers, not one of the
PolicySourceType values its documentation lists.

The simulated caller is the user ``CallerArn`` names, else the source user; for a role,
a session of it; for a group, a placeholder user of the account. ``CallerArn`` is
required with a ResourcePolicy unless the source is a user, as AWS requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from iamd.errors import InvalidInput, MalformedPolicyDocument, NoSuchEntity
from iamd.iam import naming
from iamd.iam.attachments import page
from iamd.iam.trust import trust_policy_for_evaluation
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.policy import (
    CompiledPolicy,
    Policy,
    PolicyError,
    PolicyKind,
    Principal,
    compile_policy,
    parse_policy,
    role_session,
    user,
)
from iamd.policy.simulate import (
    IAM_POLICY,
    Simulation,
    SimulationInputError,
    compile_resource_policy,
    run_simulation,
    simulate_custom_policy,
)
from iamd.store import groups as group_store
from iamd.store import policies as policy_store
from iamd.store import roles as role_store
from iamd.store import tags as tag_store
from iamd.store.users import user_from_row

SIMULATED_SESSION = "SimulatePrincipalPolicy"
PLACEHOLDER_USER = "simulated-caller"
_KINDS = {"user": naming.USER, "group": naming.GROUP, "role": naming.ROLE}


@dataclass(slots=True)
class Source:
    """The entity's policies, ready for a simulation."""

    kind: str  # user | group | role
    arn: str
    account_id: str
    principal: Principal | None  # None for a group
    identity: list[CompiledPolicy] = field(default_factory=list)
    boundary: CompiledPolicy | None = None
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)  # every document, for the context keys


def source_target(ctx: OperationContext, params: Params) -> Target:
    return Target(params["PolicySourceArn"], account=ctx.account_id)


def _entity_row(ctx: OperationContext, arn_text: str) -> tuple[str, Any]:
    arn = parse_arn(arn_text)
    kind = arn.resource_type if arn is not None else None
    if arn is None or arn.service != "iam" or kind not in _KINDS:
        raise InvalidInput(f"Invalid ARN: {arn_text}. It must be the ARN of a user, group or role.")
    name = arn.resource.rsplit("/", 1)[-1]
    row = (
        naming.find_by_name(ctx.db, _KINDS[kind], ctx.account_id, name)
        if arn.account == ctx.account_id
        else None
    )
    if row is None or row.arn != arn_text:
        raise NoSuchEntity(f"The {kind} with ARN {arn_text} cannot be found.")
    return kind, row


def _tags(conn: Connection, kind: str, entity_id: str) -> dict[str, str]:
    return dict(tag_store.get_tags(conn, kind, entity_id))


def load_source(ctx: OperationContext, arn_text: str) -> Source:
    """The user, group or role ``arn_text`` names in the caller's account, with policies."""
    kind, row = _entity_row(ctx, arn_text)
    conn = ctx.db
    if kind == "user":
        found = user_from_row(row)
        source = Source(
            kind,
            found.arn,
            found.account_id,
            user(found.arn, found.user_id, _tags(conn, "user", found.user_id)),
        )
        _add_entity(conn, source, "user", found.user_id, found.name)
        for group in group_store.groups_of_user(conn, found.user_id):
            _add_entity(conn, source, "group", group.group_id, group.name)
        _set_boundary(conn, source, found.permissions_boundary_arn)
    elif kind == "role":
        role = role_store.get_by_id(conn, row.role_id)
        assert role is not None  # INVARIANT: read in this transaction a moment ago
        source = Source(
            kind,
            role.arn,
            role.account_id,
            role_session(
                role.arn, role.role_id, SIMULATED_SESSION, _tags(conn, "role", role.role_id)
            ),
        )
        _add_entity(conn, source, "role", role.role_id, role.name)
        _set_boundary(conn, source, role.permissions_boundary_arn)
    else:
        group = group_store.group_from_row(row)
        source = Source(kind, group.arn, group.account_id, None)
        _add_entity(conn, source, "group", group.group_id, group.name)
    return source


def _add_entity(conn: Connection, source: Source, kind: str, entity_id: str, name: str) -> None:
    for policy_name, text in policy_store.inline_documents(conn, kind, entity_id).items():
        shown = (f"{kind}_{name}_{policy_name}", IAM_POLICY)
        _add(source, f"{kind}/{name}/{policy_name}", shown, text)
    arns = policy_store.attached_arns(conn, kind, entity_id)
    documents = policy_store.default_documents(conn, arns)
    for arn in arns:
        if arn in documents:
            _add(source, arn, _managed_source(arn), documents[arn])


def _managed_source(arn: str) -> tuple[str, str]:
    # AWS managed and customer managed alike (AWS's answers name AdministratorAccess and a
    # customer's policy so), not the documented "aws-managed"/"user-managed".
    return arn.rsplit("/", 1)[-1], IAM_POLICY


def _add(source: Source, policy_id: str, shown: tuple[str, str], text: str) -> None:
    source.identity.append(_compile(text, PolicyKind.IDENTITY, policy_id))
    source.sources[policy_id] = shown
    source.texts.append(text)


def _set_boundary(conn: Connection, source: Source, arn: str | None) -> None:
    if arn is None:
        return
    text = policy_store.default_documents(conn, [arn]).get(arn)
    # INVARIANT: a boundary that vanished allows nothing, as the authorizer reads it.
    document = text if text is not None else '{"Version":"2012-10-17","Statement":[]}'
    source.boundary = _compile(document, PolicyKind.BOUNDARY, arn)
    source.sources[arn] = _managed_source(arn)
    source.texts.append(document)


def _compile(text: str, kind: PolicyKind, policy_id: str) -> CompiledPolicy:
    try:
        return compile_policy(parse_policy(text, kind), policy_id)
    except PolicyError as exc:
        raise MalformedPolicyDocument(exc.wire_message) from None


def _inputs(texts: Sequence[str], name: str, kind: PolicyKind) -> list[CompiledPolicy]:
    return [_compile(text, kind, f"{name}.{i}") for i, text in enumerate(texts, start=1)]


def _simulated_caller(ctx: OperationContext, caller_arn: str) -> Principal:
    """The user ``CallerArn`` names: its real id and tags when it exists here."""
    arn = parse_arn(caller_arn)
    if arn is None or arn.service != "iam" or arn.resource_type != "user":
        raise InvalidInput(f"Invalid CallerArn: {caller_arn}. It must be the ARN of an IAM user.")
    if arn.account == ctx.account_id:
        row = naming.find_by_name(ctx.db, naming.USER, arn.account, arn.resource.rsplit("/")[-1])
        if row is not None and row.arn == caller_arn:
            found = user_from_row(row)
            return user(found.arn, found.user_id, _tags(ctx.db, "user", found.user_id))
    return user(caller_arn, f"AIDA{arn.account}SIM", partition=arn.partition)


def _trust_policies(ctx: OperationContext) -> Any:
    """``arn -> the role's trust policy``, for roles of any account this server hosts."""
    cache: dict[str, CompiledPolicy | None] = {}

    def lookup(arn_text: str) -> CompiledPolicy | None:
        if arn_text not in cache:
            cache[arn_text] = _trust_policy(ctx.db, arn_text)
        return cache[arn_text]

    return lookup


def _trust_policy(conn: Connection, arn_text: str) -> CompiledPolicy | None:
    arn = parse_arn(arn_text)
    if arn is None:
        return None
    role = role_store.get_by_name(conn, arn.account, arn.resource.rsplit("/", 1)[-1])
    if role is None or role.arn != arn_text:
        return None
    return _compile(trust_policy_for_evaluation(conn, role), PolicyKind.TRUST, role.arn)


def _paged(results: list[dict[str, Any]], params: Params) -> Result:
    numbered = list(enumerate(results))
    found = page(numbered, params, "EvaluationResults", key=lambda item: item[0], numbered=True)
    found["EvaluationResults"] = [result for _, result in found["EvaluationResults"]]
    return found


@operation("iam", "SimulatePrincipalPolicy", target=source_target, readonly=True)
def simulate_principal_policy(ctx: OperationContext, params: Params) -> Result:
    source = load_source(ctx, params["PolicySourceArn"])
    identity = source.identity + _inputs(
        params.get("PolicyInputList") or [], "PolicyInputList", PolicyKind.IDENTITY
    )
    boundaries = _inputs(
        params.get("PermissionsBoundaryPolicyInputList") or [],
        "PermissionsBoundaryPolicyInputList",
        PolicyKind.BOUNDARY,
    )
    if len(boundaries) > 1:
        raise InvalidInput("Only one permissions boundary policy may be given.")
    try:
        resource_policy = compile_resource_policy(params.get("ResourcePolicy"))
    except PolicyError as exc:
        raise MalformedPolicyDocument(exc.wire_message) from None
    caller_arn = params.get("CallerArn")
    if resource_policy is not None and not caller_arn and source.kind != "user":
        raise InvalidInput(
            "CallerArn is required when a ResourcePolicy is given and PolicySourceArn is not "
            "the ARN of an IAM user."
        )
    if caller_arn:
        principal = _simulated_caller(ctx, caller_arn)
    elif source.principal is not None:
        principal = source.principal
    else:
        principal = user(
            f"arn:aws:iam::{source.account_id}:user/{PLACEHOLDER_USER}", "AIDASIMULATEDCALLER"
        )
    simulation = Simulation(
        principal,
        tuple(identity),
        boundaries[0] if boundaries else source.boundary,
        resource_policy,
        source.sources,
        _trust_policies(ctx),
    )
    try:
        results = run_simulation(simulation, params)
    except SimulationInputError as exc:
        raise InvalidInput(str(exc)) from None
    return _paged(results, params)


@operation("iam", "SimulateCustomPolicy", readonly=True)
def simulate_custom_policy_op(ctx: OperationContext, params: Params) -> Result:
    try:
        response = simulate_custom_policy(params)
    except PolicyError as exc:
        raise MalformedPolicyDocument(exc.wire_message) from None
    except SimulationInputError as exc:
        raise InvalidInput(str(exc)) from None
    return _paged(response["EvaluationResults"], params)


# -- context keys -----------------------------------------------------------------------


def context_keys(policies: Iterable[Policy]) -> list[str]:
    """The condition keys the policies use, as first written, deduplicated ignoring case."""
    seen: dict[str, str] = {}
    for document in policies:
        for statement in document.statements:
            for clause in statement.conditions:
                seen.setdefault(clause.key.lower(), clause.key)
    return list(seen.values())


def _any_kind(text: str) -> Policy:
    """An input document of any kind (identity, resource or trust policy)."""
    try:
        return parse_policy(text, PolicyKind.IDENTITY)
    except PolicyError as exc:
        for kind in (PolicyKind.RESOURCE, PolicyKind.TRUST):
            try:
                return parse_policy(text, kind)
            except PolicyError:
                continue
        raise MalformedPolicyDocument(exc.wire_message) from None


@operation("iam", "GetContextKeysForCustomPolicy", readonly=True)
def get_context_keys_for_custom_policy(ctx: OperationContext, params: Params) -> Result:
    texts = params.get("PolicyInputList") or []
    return {"ContextKeyNames": context_keys(_any_kind(text) for text in texts)}


@operation("iam", "GetContextKeysForPrincipalPolicy", target=source_target)
def get_context_keys_for_principal_policy(ctx: OperationContext, params: Params) -> Result:
    source = load_source(ctx, params["PolicySourceArn"])
    texts = source.texts + list(params.get("PolicyInputList") or [])
    return {"ContextKeyNames": context_keys(_any_kind(text) for text in texts)}
