"""The evaluation algorithm: one request against one policy set, as AWS decides it.

``evaluate`` walks only the statements indexed for the request's action, keeps those
whose resource, principal and conditions match, and hands what it found to ``combine``,
the combining rule in one small pure function (spec 1.3-1.6):

1. a matching Deny anywhere denies explicitly;
2. every RCP level, then every SCP level, must allow;
3. a resource policy that must itself allow (a role trust policy), or any resource
   policy on a cross-account request, must allow the caller;
4. same account, a resource policy naming the caller itself (user, role session,
   federated user, everyone) allows on its own;
5. otherwise the identity policies must allow (or a resource policy naming the role of
   the session, which stands in for them), then the permissions boundary, then the
   session policies, each only where there is one.

The root user has no identity policies and needs none; services and federated callers
have none and are allowed only by a resource policy that names them.
"""

from __future__ import annotations

from iamd.policy.compile import (
    BIT_BOUNDARY,
    BIT_IDENTITY,
    BIT_RESOURCE,
    BIT_SESSION,
    PolicySet,
)
from iamd.policy.decision import Decision, Evaluation, PolicyType, StatementRef
from iamd.policy.request import Grant, PrincipalKind, Request


def evaluate(request: Request, policies: PolicySet) -> Evaluation:
    """Decide ``request`` against ``policies``, with the reasons for the decision."""
    principal, action, resource, ctx, owner = request
    allows: list[StatementRef] = []
    denies: list[StatementRef] = []
    missing: list[str] | None = None
    allowed_bits = 0
    grant = 0
    for entry in policies.candidates(action):
        matcher = entry.resource
        if matcher is not None and not matcher(resource, ctx):
            continue
        named: int = _FULL
        if entry.principal is not None:
            named = entry.principal(principal)
            if not named:
                continue
        conditions = entry.conditions
        for cond in conditions:
            if cond.key not in ctx:
                missing = _note(missing, cond.key)
        for cond in conditions:
            if not cond.test(ctx):
                break
        else:
            if entry.deny:
                denies.append(entry.ref)
            else:
                allows.append(entry.ref)
                allowed_bits |= entry.bit
                if entry.bit == BIT_RESOURCE and named > grant:
                    grant = named
    missing_keys = tuple(missing) if missing else ()
    if denies:
        return Evaluation(
            Decision.EXPLICIT_DENY, tuple(denies), denies[0].policy_type, missing_keys
        )
    if (
        policies.identity_only
        and principal.has_identity_policies
        and principal.kind is not PrincipalKind.ROOT
        and (owner is None or owner == principal.account)
    ):
        # Only identity policies, same account: nothing else to combine.
        if allowed_bits:
            return Evaluation(Decision.ALLOW, tuple(allows), None, missing_keys)
        if not missing_keys:
            return _NO_IDENTITY_ALLOW
        return Evaluation(Decision.IMPLICIT_DENY, (), PolicyType.IDENTITY, missing_keys)
    decision, failed = combine(request, policies, allowed_bits, grant)
    if decision is Decision.ALLOW:
        return Evaluation(decision, tuple(allows), None, missing_keys)
    return Evaluation(decision, (), failed, missing_keys)


_FULL = int(Grant.FULL)
_NO_IDENTITY_ALLOW = Evaluation(Decision.IMPLICIT_DENY, (), PolicyType.IDENTITY, ())


def _note(missing: list[str] | None, key: str) -> list[str]:
    if missing is None:
        return [key]
    if key not in missing:
        missing.append(key)
    return missing


def combine(
    request: Request, policies: PolicySet, allowed_bits: int, grant: int
) -> tuple[Decision, PolicyType | None]:
    """The combining rule over what matched, when no Deny matched.

    ``allowed_bits`` has the bit of every role (identity, resource, boundary, session,
    each SCP and RCP level) in which some Allow matched; ``grant`` is how far the best
    matching Allow of the resource policy reaches for this caller.
    """
    if allowed_bits & policies.rcp_mask != policies.rcp_mask:
        return Decision.IMPLICIT_DENY, PolicyType.RCP
    principal = request.principal
    if allowed_bits & policies.scp_mask != policies.scp_mask:
        return Decision.IMPLICIT_DENY, PolicyType.SCP
    owner = request.resource_account
    cross_account = (
        owner is not None and principal.account is not None and owner != principal.account
    )
    if (policies.resource_must_allow or cross_account) and not grant:
        return Decision.IMPLICIT_DENY, PolicyType.RESOURCE
    if not principal.has_identity_policies:
        if grant == Grant.FULL:
            return Decision.ALLOW, None
        return Decision.IMPLICIT_DENY, PolicyType.RESOURCE
    if principal.kind is PrincipalKind.ROOT:
        return Decision.ALLOW, None
    if not cross_account and grant == Grant.FULL:
        return Decision.ALLOW, None
    if not (allowed_bits & BIT_IDENTITY or (grant == Grant.CAPPED and not cross_account)):
        return Decision.IMPLICIT_DENY, PolicyType.IDENTITY
    if policies.has_boundary and not allowed_bits & BIT_BOUNDARY:
        return Decision.IMPLICIT_DENY, PolicyType.BOUNDARY
    if policies.has_session_policies and not allowed_bits & BIT_SESSION:
        return Decision.IMPLICIT_DENY, PolicyType.SESSION
    return Decision.ALLOW, None
