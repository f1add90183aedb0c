"""One question to the policy engine: may this principal assume this role, and if so,
on which condition keys does it depend?

The question is put to ``iamd.policy.evaluate`` with the policy set the server builds
for the same call (``sts.assume_role``: the caller's identity policies and boundary,
the role's trust policy as a resource policy that must itself allow), and a context
holding only facts: the keys that follow from who the principal is and from the role's
tags. Keys a real request would add (``sts:ExternalId``, ``aws:MultiFactorAuthPresent``,
``aws:SourceIp``, an IdP's ``saml:aud``...) are left out, and never guessed:

1. the strict answer: the policies evaluated on the facts alone. Allowed means a plain
   request is allowed, unless a Deny statement whose keys are missing would apply to a
   request that carries them: those keys become the edge's conditions.
2. if refused and some keys were missing, the relaxed answer: the same evaluation over
   the policies with each Allow's failing clauses on missing keys removed and each Deny
   that asks about a missing key left out. Refused there means refused whatever the
   request carries. Allowed there means "allowed when the request's values for these
   keys fit": each relaxed Allow that matched is then put back as written, one at a
   time, and stays so if the answer is still allowed; the keys of those that remain
   relaxed (and of the Denies left out) are the conditions.
3. once allowed, the same question without the principal's identity policies says
   whether the trust policy alone suffices (it names the principal) or the identity
   policies are needed too (it names the account, or the principal is in another
   account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from iamd.policy import (
    CompiledPolicy,
    ContextValue,
    Effect,
    Evaluation,
    PolicySet,
    Principal,
    Request,
    StatementRef,
    compile_policy,
    evaluate,
)
from iamd.policy.compile import CompiledStatement


@dataclass(frozen=True, slots=True)
class Question:
    """May ``principal`` perform ``action`` (sts:AssumeRole...) on the role ``role_arn``?"""

    principal: Principal
    action: str
    role_arn: str
    role_account: str
    context: Mapping[str, ContextValue]  # facts only, keys lowercased
    trust: CompiledPolicy
    identity: tuple[CompiledPolicy, ...] = ()
    boundary: CompiledPolicy | None = None
    # Prefixes of keys whose absence from ``context`` is a fact (a user's tags are all
    # known: a tag it lacks is missing from every request too), not an unknown.
    known: tuple[str, ...] = ()

    def unknown(self, key: str) -> bool:
        """A key a real request may carry with a value the facts do not tell."""
        return key not in self.context and not key.startswith(self.known)


@dataclass(frozen=True, slots=True)
class Verdict:
    """Allowed, on ``conditions`` (condition keys as written; empty: a plain request)."""

    conditions: tuple[str, ...]
    identity_needed: bool
    matched: tuple[StatementRef, ...]


@dataclass
class Judge:
    """Puts questions to the engine; counts the evaluations and memoizes relaxed policies."""

    evaluations: int = 0
    _relaxed: dict[tuple[str, frozenset[tuple[int, int]]], CompiledPolicy] = field(
        default_factory=dict
    )

    def decide(self, q: Question) -> Verdict | None:
        full = _policy_set(q.identity, q.trust, q.boundary)
        strict = self._evaluate(q, full)
        deny_keys = _deny_keys(q, full) if strict.missing_context_keys else []
        if strict.allowed:
            if q.principal.has_identity_policies and q.identity:
                alone = self._evaluate(q, _policy_set((), q.trust, q.boundary))
                if alone.allowed:
                    return Verdict(_unique(deny_keys), False, alone.matched)
                return Verdict(_unique(deny_keys), True, strict.matched)
            return Verdict(_unique(deny_keys), False, strict.matched)
        if not strict.missing_context_keys:
            return None
        identity = q.identity
        decided = self._evaluate(q, self._relaxed_set(q, identity, frozenset()))
        if not decided.allowed:
            return None
        identity_needed = q.principal.has_identity_policies
        if identity_needed:
            alone = self._evaluate(q, self._relaxed_set(q, (), frozenset()))
            if alone.allowed:
                decided, identity, identity_needed = alone, (), False
        # Keep strict every relaxed Allow the decision does without: the rest are needed.
        relaxable = _relaxable_allows(q)
        strict_ones: frozenset[tuple[str, int]] = frozenset()
        for ref in decided.matched:
            key = (ref.policy_id, ref.index)
            if key in relaxable:
                trial = self._evaluate(q, self._relaxed_set(q, identity, strict_ones | {key}))
                if trial.allowed:
                    strict_ones, decided = strict_ones | {key}, trial
        allow_keys = [
            k for ref in decided.matched for k in relaxable.get((ref.policy_id, ref.index), ())
        ]
        return Verdict(_unique(allow_keys + deny_keys), identity_needed, decided.matched)

    def _relaxed_set(
        self, q: Question, identity: tuple[CompiledPolicy, ...], strict: frozenset[tuple[str, int]]
    ) -> PolicySet:
        trust = self._relax(q.trust, q, strict)
        boundary = self._relax(q.boundary, q, strict) if q.boundary else None
        relaxed = tuple(self._relax(p, q, strict) for p in identity)
        return _policy_set(relaxed, trust, boundary)

    def _evaluate(self, q: Question, policies: PolicySet) -> Evaluation:
        self.evaluations += 1
        request = Request(q.principal, q.action, q.role_arn, q.context, q.role_account)
        return evaluate(request, policies)

    def _relax(
        self,
        policy: CompiledPolicy,
        q: Question,
        strict: frozenset[tuple[str, int]],
    ) -> CompiledPolicy:
        """``policy`` without its Allow clauses that fail on missing keys (but in the
        statements named in ``strict``) and without the Denies that ask about a missing
        key; memoized by what was taken out."""
        removed: set[tuple[int, int]] = set()
        for cs in policy.statements:
            if not cs.deny and (policy.policy_id, cs.statement.index) in strict:
                continue
            for position in _missing_clauses(cs, q, failing_only=not cs.deny):
                removed.add((cs.statement.index, position))
        if not removed:
            return policy
        key = (policy.policy_id, frozenset(removed))
        found = self._relaxed.get(key)
        if found is None:
            statements = []
            for cs in policy.statements:
                st = cs.statement
                gone = {pos for index, pos in removed if index == st.index}
                if not gone:
                    statements.append(st)
                elif st.effect is Effect.ALLOW:
                    kept = tuple(c for i, c in enumerate(st.conditions) if i not in gone)
                    statements.append(replace(st, conditions=kept))
            relaxed_policy = replace(policy.policy, statements=tuple(statements))
            found = compile_policy(relaxed_policy, policy.policy_id)
            self._relaxed[key] = found
        return found


def _policy_set(
    identity: tuple[CompiledPolicy, ...],
    trust: CompiledPolicy | None,
    boundary: CompiledPolicy | None,
) -> PolicySet:
    return PolicySet(identity=identity, resource=trust, boundary=boundary, resource_must_allow=True)


def _missing_clauses(cs: CompiledStatement, q: Question, *, failing_only: bool) -> list[int]:
    """Positions of the statement's clauses on keys the facts do not tell (only those
    that fail without their key, when ``failing_only``)."""
    return [
        i
        for i, cond in enumerate(cs.conditions)
        if q.unknown(cond.key) and not (failing_only and cond.test(q.context))
    ]


def _deny_keys(q: Question, policies: PolicySet) -> list[str]:
    """Keys of the Deny statements that would apply to this principal and role but for
    keys missing from the facts: a request carrying them may be refused."""
    keys: list[str] = []
    for entry in policies.candidates(q.action):
        if not entry.deny:
            continue
        if entry.resource is not None and not entry.resource(q.role_arn, q.context):
            continue
        if entry.principal is not None and not entry.principal(q.principal):
            continue
        cs = entry.compiled
        missing = _missing_clauses(cs, q, failing_only=False)
        present_fail = any(
            not cond.test(q.context) for i, cond in enumerate(cs.conditions) if i not in missing
        )
        if missing and not present_fail:
            keys += [cs.statement.conditions[i].key for i in missing]
    return keys


def _relaxable_allows(q: Question) -> dict[tuple[str, int], list[str]]:
    """The Allow statements relaxing changes, with the keys (as written) it assumes."""
    found: dict[tuple[str, int], list[str]] = {}
    for p in (q.trust, q.boundary, *q.identity):
        if p is None:
            continue
        for cs in p.statements:
            if cs.deny:
                continue
            missing = _missing_clauses(cs, q, failing_only=True)
            if missing:
                keys = [cs.statement.conditions[i].key for i in missing]
                found[(p.policy_id, cs.statement.index)] = keys
    return found


def _unique(keys: list[str]) -> tuple[str, ...]:
    """The keys once each (AWS compares them case-insensitively), first spelling kept."""
    seen: dict[str, str] = {}
    for key in keys:
        seen.setdefault(key.lower(), key)
    return tuple(sorted(seen.values(), key=str.lower))
