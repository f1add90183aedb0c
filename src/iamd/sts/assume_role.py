"""AssumeRole (spec 1.6, 4.3): the role's trust policy decides, the way AWS decides.

Registered unauthorized: the operation authorizes itself, because the trust policy is
the role's resource policy and must allow the caller on its own (``resource_must_allow``).
The caller's identity policies, boundary and session policies come with it from the
authorizer, and the engine's combining rule does the rest: in the same account a trust
policy that names the caller (user, role, session) is enough, one that names only the
account needs the identity policies to allow ``sts:AssumeRole`` on the role too, and
across accounts both must always allow. ``sts:TagSession`` must be allowed as well when
the request passes tags, and ``sts:SetSourceIdentity`` when the session will carry a
source identity (set now or inherited along a chain).

A registered service (a SERVICE caller, ``iam.services``) is trusted by a trust policy
that names ``{"Service": NAME}``; it passes the resource it acts for as
``aws:SourceArn``/``aws:SourceAccount`` in ``ProvidedContexts``
(``services.source_context``), so trust policies can guard against the confused deputy.

The steps, in order: who may call at all (not root, not a federated user); duration
against the role-chaining hour; tags and source identity rules (``tags.py``); MFA; the
role (a missing role is denied exactly like an untrusted one); authorization; duration
against the role's MaxSessionDuration; session policies and the packed size; then the
credentials, and RoleLastUsed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Protocol, cast

from iamd.errors import AccessDenied, ValidationError
from iamd.iam import mfa, services, tagging
from iamd.iam.trust import trust_policy_for_evaluation
from iamd.model.arn import assumed_role_arn, parse_arn
from iamd.model.caller import Caller, CallerKind
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.policy import CompiledPolicy, ContextValue, Evaluation, PolicyKind, PolicySet
from iamd.policy.decision import Decision
from iamd.store import roles as role_store
from iamd.sts import authorization_message, session_policies
from iamd.sts import tags as session_tags
from iamd.sts.credentials import issue, ring, times
from iamd.sts.sessions import epoch
from iamd.sts.tokens import SessionClaims, SessionKind

DEFAULT_DURATION = 3600
CHAINED_MAX = 3600
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
CHAINED_TOO_LONG = (
    "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by "
    "role chaining."
)
ROLE_TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
ROOT_DENIED = "Roles may not be assumed by root accounts."


class _Subject(Protocol):
    def with_resource_policy(
        self, resource: CompiledPolicy, *, must_allow: bool = False
    ) -> PolicySet: ...


class _Compiler(Protocol):
    def compiled(self, kind: PolicyKind, policy_id: str, text: str | None) -> CompiledPolicy: ...


class TrustAuthorizer(Protocol):
    """What AssumeRole needs of the request's authorizer (``authz.BoundAuthorizer``)."""

    authorizer: _Compiler

    @property
    def subject(self) -> _Subject: ...

    def context(
        self, target: Target, extra: Mapping[str, object] | None = None
    ) -> Mapping[str, ContextValue]: ...

    def evaluate(
        self,
        action: str,
        target: Target,
        context: Mapping[str, object] | None = None,
        *,
        policies: PolicySet | None = None,
    ) -> Evaluation: ...


def _find_role(ctx: OperationContext, role_arn: str) -> role_store.Role | None:
    arn = parse_arn(role_arn)
    if arn is None or arn.service != "iam" or arn.resource_type != "role":
        return None
    return role_store.get_by_name(ctx.db, arn.account, arn.resource.rsplit("/", 1)[-1])


def _deny(
    ctx: OperationContext, action: str, target: Target, evaluation: Evaluation, extra: Any
) -> AccessDenied:
    """AWS's AccessDenied for AssumeRole, with the decision sealed for the caller's account."""
    bound = cast(TrustAuthorizer, ctx.authorize)
    caller = ctx.caller
    details = authorization_message.details(
        caller, action, target.arn, evaluation, bound.context(target, extra)
    )
    encoded = authorization_message.encode(
        ring(ctx), ctx.db, caller.account_id, details, now=ctx.now, random=ctx.random
    )
    return AccessDenied(
        f"User: {caller.arn} is not authorized to perform: {action} on resource: {target.arn}"
        f". Encoded authorization failure message: {encoded}"
    )


def _source_identity(caller: Caller, passed: str | None) -> str | None:
    inherited = caller.session.source_identity if caller.session is not None else None
    if inherited is not None and passed is not None and passed != inherited:
        raise ValidationError(
            f"The source identity cannot be changed: the calling session's source identity "
            f"is '{inherited}'."
        )
    return inherited if inherited is not None else passed


def _mfa_time(ctx: OperationContext, params: Params) -> tuple[int | None, bool]:
    """When the session's MFA happened, and whether it happened in this request."""
    if params.get("SerialNumber") is not None or params.get("TokenCode") is not None:
        mfa.verify_code(ctx, ctx.caller, params.get("SerialNumber"), params.get("TokenCode"))
        return epoch(ctx.now), True
    session = ctx.caller.session
    if session is not None and session.mfa_authenticated_at is not None:
        return epoch(session.mfa_authenticated_at), False
    return None, False


def _authorize(
    ctx: OperationContext,
    role: role_store.Role | None,
    role_arn: str,
    actions: list[str],
    extra: dict[str, object],
) -> None:
    """Every action must be allowed by the trust policy (and the caller's policies)."""
    bound = cast(TrustAuthorizer, ctx.authorize)
    if role is None:
        raise _deny(ctx, actions[0], Target(role_arn), Evaluation(Decision.IMPLICIT_DENY), extra)
    trust = bound.authorizer.compiled(
        PolicyKind.TRUST, f"{role.arn}#trust", trust_policy_for_evaluation(ctx.db, role)
    )
    policies = bound.subject.with_resource_policy(trust, must_allow=True)
    role_tags = tagging.tags_of(ctx.db, "role", role.role_id)
    target = Target(
        role.arn, session_tags.resource_tags(role_tags, ctx.caller), account=role.account_id
    )
    for action in actions:
        evaluation = bound.evaluate(action, target, extra, policies=policies)
        if not evaluation.allowed:
            raise _deny(ctx, action, target, evaluation, extra)


def _record_use(ctx: OperationContext, role: role_store.Role) -> None:
    """RoleLastUsed, written at most once a minute per role (AWS tracks it coarsely too)."""
    if role.last_used_at is None or ctx.now - role.last_used_at >= LAST_USED_GRANULARITY:
        role_store.record_use(ctx.db, role.role_id, ctx.now, ctx.request.region)


def check_role_arn(arn: str) -> None:
    """AWS refuses a RoleArn that is no ARN (six components, with a partition, a service
    and a resource) before anything else: ``ARN is invalid``."""
    parsed = parse_arn(arn)
    if parsed is None or not parsed.partition or not parsed.service or not parsed.resource:
        raise ValidationError(f"{arn} is invalid")


@operation("sts", "AssumeRole", authorize=False, writes_rarely=True)
def assume_role(ctx: OperationContext, params: Params) -> Result:
    caller = ctx.caller
    role_arn: str = params["RoleArn"]
    session_name: str = params["RoleSessionName"]
    check_role_arn(role_arn)
    if caller.is_root:
        raise AccessDenied(ROOT_DENIED)
    if caller.kind not in (CallerKind.USER, CallerKind.ROLE_SESSION, CallerKind.SERVICE):
        raise AccessDenied(
            f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role_arn}"
        )
    chained = caller.kind is CallerKind.ROLE_SESSION
    duration = int(params.get("DurationSeconds") or DEFAULT_DURATION)
    if chained and duration > CHAINED_MAX:
        raise ValidationError(CHAINED_TOO_LONG)
    transitive = params.get("TransitiveTagKeys")
    tags = session_tags.session_tags(caller, params.get("Tags"), transitive)
    source_identity = _source_identity(caller, params.get("SourceIdentity"))
    mfa_at, mfa_now = _mfa_time(ctx, params)

    extra: dict[str, object] = {"sts:RoleSessionName": session_name}
    # A service names the resource it acts for (aws:SourceArn/aws:SourceAccount).
    extra.update(services.source_context(caller, params.get("ProvidedContexts")))
    if params.get("ExternalId") is not None:
        extra["sts:ExternalId"] = params["ExternalId"]
    if source_identity is not None:
        extra["sts:SourceIdentity"] = source_identity
    extra.update(session_tags.request_context(tags.passed, [str(k) for k in transitive or ()]))
    if mfa_now:
        extra["aws:MultiFactorAuthPresent"] = "true"
        extra["aws:MultiFactorAuthAge"] = "0"
    actions = ["sts:AssumeRole"]
    if tags.passed:
        actions.append("sts:TagSession")
    if source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    role = _find_role(ctx, role_arn)
    _authorize(ctx, role, role_arn, actions, extra)
    assert role is not None  # INVARIANT: _authorize denies a missing role

    if duration > role.max_session_duration:
        raise ValidationError(ROLE_TOO_LONG)
    policies = session_policies.session_policies(
        ctx.db, role.account_id, params.get("Policy"), params.get("PolicyArns")
    )
    packed = session_policies.check_packed(policies.texts, tags.all)
    issued, expires = times(ctx, duration)
    claims = SessionClaims(
        kind=SessionKind.ROLE,
        account_id=role.account_id,
        principal_id=role.role_id,
        principal_arn=role.arn,
        name=session_name,
        issued_at=issued,
        expires_at=expires,
        secret="",
        policies=policies.texts,
        has_policy=policies.passed,
        tags=tags.all,
        transitive_keys=tags.transitive_keys,
        source_identity=source_identity,
        chained=chained,
        mfa_at=mfa_at,
    )
    minted = issue(ctx, claims)
    _record_use(ctx, role)
    result: Result = {
        "Credentials": minted.as_output(),
        "AssumedRoleUser": {
            "Arn": assumed_role_arn(role.account_id, role.name, session_name),
            "AssumedRoleId": f"{role.role_id}:{session_name}",
        },
    }
    if policies.passed or tags.all:
        result["PackedPolicySize"] = packed
    if source_identity is not None:
        result["SourceIdentity"] = source_identity
    return result
