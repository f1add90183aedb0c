"""Policies prepared for evaluation, and the policy set of one request.

A ``CompiledPolicy`` holds each statement with its patterns compiled (actions, resources,
principals, conditions). A ``PolicySet`` places policies in their evaluation roles
(identity, resource, boundary, session, SCP and RCP levels) and indexes every statement
by action: the first request for an action finds the statements whose Action/NotAction
can match it, and every later request for that action looks only at those. Evaluation
then does no JSON work and no pattern compilation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from iamd.policy.conditions import CompiledCondition, compile_condition
from iamd.policy.context import Context
from iamd.policy.decision import PolicyType, StatementRef
from iamd.policy.document import Effect, Policy, PrincipalSpec, Statement
from iamd.policy.matching import ActionMatcher, ResourceMatcher, resource_matcher
from iamd.policy.request import Grant, Principal

PrincipalMatcher = Callable[[Principal], int]


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    statement: Statement
    deny: bool
    action: Callable[[str], bool]
    resource: ResourceMatcher | None  # None: every resource (or none is named: trust)
    principal: PrincipalMatcher | None  # None: identity-style statement
    conditions: tuple[CompiledCondition, ...]


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    policy_id: str
    policy: Policy
    statements: tuple[CompiledStatement, ...]
    # This policy's statements as flattened for each evaluation role it has been placed
    # in (see ``PolicySet``). A memo, not part of the value: policy sets built per request
    # (a role's trust policy with the caller's own policies) reuse it.
    placements: dict[int, tuple[Entry, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def placed(self, bit: int, policy_type: PolicyType) -> tuple[Entry, ...]:
        """This policy's statements in one evaluation role, built once per role.

        ``bit`` names the role (each bit has one policy type), so it alone is the key.
        """
        entries = self.placements.get(bit)
        if entries is None:
            entries = tuple(
                Entry(
                    bit,
                    policy_type,
                    _ref(self, policy_type, cs.statement),
                    cs.deny,
                    cs.resource,
                    cs.principal,
                    cs.conditions,
                    cs,
                )
                for cs in self.statements
            )
            # INVARIANT: equal for every caller, so a race only builds it twice.
            self.placements[bit] = entries
        return entries


def compile_policy(policy: Policy, policy_id: str) -> CompiledPolicy:
    variables = policy.variables_enabled
    return CompiledPolicy(
        policy_id=policy_id,
        policy=policy,
        statements=tuple(_compile_statement(st, variables) for st in policy.statements),
    )


def _compile_statement(st: Statement, variables: bool) -> CompiledStatement:
    return CompiledStatement(
        statement=st,
        deny=st.effect is Effect.DENY,
        action=_action_test(st),
        resource=_resource_test(st, variables),
        principal=_principal_test(st),
        conditions=tuple(compile_condition(c, variables=variables) for c in st.conditions),
    )


def _action_test(st: Statement) -> Callable[[str], bool]:
    if st.action is not None:
        return ActionMatcher(st.action)
    matcher = ActionMatcher(st.not_action or ())
    return lambda action: not matcher(action)


def _never(resource: str, ctx: Context) -> bool:
    return False


def _resource_test(st: Statement, variables: bool) -> ResourceMatcher | None:
    if st.resource is not None:
        return resource_matcher(st.resource, variables=variables)
    if st.not_resource is not None:
        inner = resource_matcher(st.not_resource, variables=variables)
        if inner is None:
            return _never
        return lambda resource, ctx: not inner(resource, ctx)
    return None


def _principal_test(st: Statement) -> PrincipalMatcher | None:
    if st.principal is not None:
        return principal_matcher(st.principal)
    if st.not_principal is not None:
        return not_principal_matcher(st.not_principal)
    return None


def _is_everyone(spec: PrincipalSpec) -> bool:
    return spec.wildcard or "*" in spec.values("AWS")


def principal_matcher(spec: PrincipalSpec) -> PrincipalMatcher:
    """How far a Principal element reaches for a caller: a ``Grant`` (0 when not named)."""
    if _is_everyone(spec):
        return lambda p: Grant.FULL
    aws = frozenset(spec.values("AWS"))
    services = frozenset(spec.values("Service"))
    federated = frozenset(spec.values("Federated"))

    def match(p: Principal) -> int:
        if p.service is not None:
            return Grant.FULL if p.service in services else Grant.NONE
        if p.provider is not None:
            return Grant.FULL if p.provider in federated else Grant.NONE
        best = 0
        for level in p.levels:
            if level.grant > best and not level.names.isdisjoint(aws):
                best = level.grant
        return best

    return match


def not_principal_matcher(spec: PrincipalSpec) -> PrincipalMatcher:
    """NotPrincipal applies unless every identity of the caller is listed.

    AWS evaluates a caller at each of its levels (account, role, session), so a role
    session is excepted only when its account, its role and its session are all named.
    """
    if _is_everyone(spec):
        return lambda p: Grant.NONE
    aws = frozenset(spec.values("AWS"))
    services = frozenset(spec.values("Service"))
    federated = frozenset(spec.values("Federated"))

    def match(p: Principal) -> int:
        if p.service is not None:
            return Grant.NONE if p.service in services else Grant.FULL
        if p.provider is not None:
            return Grant.NONE if p.provider in federated else Grant.FULL
        if not p.levels:
            return Grant.FULL
        for level in p.levels:
            if level.names.isdisjoint(aws):
                return Grant.FULL
        return Grant.NONE

    return match


# Evaluation roles as bits, so the evaluator can collect which roles allowed in one int.
BIT_IDENTITY = 1 << 0
BIT_RESOURCE = 1 << 1
BIT_BOUNDARY = 1 << 2
BIT_SESSION = 1 << 3
_SCP_SHIFT = 4
_RCP_SHIFT = 16
MAX_ORG_LEVELS = 12


@dataclass(frozen=True, slots=True)
class Entry:
    """A statement in its role within one policy set, flattened for the evaluator."""

    bit: int
    policy_type: PolicyType
    ref: StatementRef
    deny: bool
    resource: ResourceMatcher | None
    principal: PrincipalMatcher | None
    conditions: tuple[CompiledCondition, ...]
    compiled: CompiledStatement


_ACTION_CACHE_LIMIT = 8192


class PolicySet:
    """Every policy that applies to one principal's requests, in its evaluation role.

    ``session`` is None when the principal is not a session limited by session
    policies; an empty tuple is a session that has none and so is allowed nothing (a
    GetFederationToken session without policies). ``resource_must_allow`` marks
    resource policies that must themselves allow the caller: role trust policies.
    """

    __slots__ = (
        "_by_action",
        "_entries",
        "has_boundary",
        "has_resource_policy",
        "has_session_policies",
        "identity_only",
        "rcp_mask",
        "resource_must_allow",
        "scp_mask",
    )

    def __init__(
        self,
        *,
        identity: Sequence[CompiledPolicy] = (),
        resource: CompiledPolicy | None = None,
        boundary: CompiledPolicy | None = None,
        session: Sequence[CompiledPolicy] | None = None,
        scps: Sequence[Sequence[CompiledPolicy]] = (),
        rcps: Sequence[Sequence[CompiledPolicy]] = (),
        resource_must_allow: bool = False,
    ) -> None:
        if len(scps) > MAX_ORG_LEVELS or len(rcps) > MAX_ORG_LEVELS:
            raise ValueError("too many organization levels")
        entries: list[Entry] = []
        for p in identity:
            entries += p.placed(BIT_IDENTITY, PolicyType.IDENTITY)
        if resource is not None:
            entries += resource.placed(BIT_RESOURCE, PolicyType.RESOURCE)
        if boundary is not None:
            entries += boundary.placed(BIT_BOUNDARY, PolicyType.BOUNDARY)
        for p in session or ():
            entries += p.placed(BIT_SESSION, PolicyType.SESSION)
        for i, level in enumerate(scps):
            for p in level:
                entries += p.placed(1 << (_SCP_SHIFT + i), PolicyType.SCP)
        for i, level in enumerate(rcps):
            for p in level:
                entries += p.placed(1 << (_RCP_SHIFT + i), PolicyType.RCP)
        self._entries = tuple(entries)
        # Only identity policies, nothing else to combine: the evaluator's fast path. An
        # empty session or organization level still limits (it allows nothing), so it
        # takes the full path.
        self.identity_only = (
            resource is None
            and boundary is None
            and session is None
            and not scps
            and not rcps
            and not resource_must_allow
        )
        # The bits of every SCP (RCP) level: one per level, from the level's shift up.
        self.scp_mask = ((1 << len(scps)) - 1) << _SCP_SHIFT
        self.rcp_mask = ((1 << len(rcps)) - 1) << _RCP_SHIFT
        self.has_resource_policy = resource is not None
        self.has_boundary = boundary is not None
        self.has_session_policies = session is not None
        self.resource_must_allow = resource_must_allow
        self._by_action: dict[str, tuple[Entry, ...]] = {}

    def candidates(self, action: str) -> tuple[Entry, ...]:
        """The statements whose Action/NotAction matches ``action``, in policy order."""
        found = self._by_action.get(action)
        if found is None:
            lowered = action.lower()
            found = tuple([e for e in self._entries if e.compiled.action(lowered)])
            if len(self._by_action) >= _ACTION_CACHE_LIMIT:
                self._by_action.clear()
            self._by_action[action] = found
        return found


def _ref(policy: CompiledPolicy, ptype: PolicyType, st: Statement) -> StatementRef:
    return StatementRef(
        policy_id=policy.policy_id,
        policy_type=ptype,
        index=st.index,
        sid=st.sid,
        effect=st.effect,
        start=st.start,
        end=st.end,
    )
