"""The steps AssumeRoleWithWebIdentity and AssumeRoleWithSAML share once the identity
provider's token or assertion is verified (spec 1.6, 4.4, 4.5).

A federated caller has no AWS identity and no policies: only the role's trust policy
decides, and it must name the provider in ``Federated`` (the engine's ``federated``
principal) with the provider's condition keys in the context. The steps:

1. ``find_role``: the role the request names (None when it does not exist: that is denied
   exactly like an untrusted role, so a caller learns nothing about the account);
2. ``authorize``: the operation's action, ``sts:TagSession`` when the IdP passes tags and
   ``sts:SetSourceIdentity`` when it sets a source identity, each against the trust policy
   alone; AccessDenied ``Not authorized to perform ACTION`` (AWS's words) otherwise;
3. ``issue_session``: duration against the role's MaxSessionDuration, session policies
   and the packed size as AssumeRole, then the credentials, whose session carries
   ``aws:FederatedProvider`` and the IdP keys that survive into later requests.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from iamd.errors import AccessDenied, ValidationError
from iamd.iam import tagging
from iamd.iam.trust import trust_policy_for_evaluation
from iamd.model.arn import assumed_role_arn, parse_arn
from iamd.operations import OperationContext, Result, Target
from iamd.policy import CompiledPolicy, ContextValue, PolicyKind, PolicySet
from iamd.policy import Request as PolicyRequest
from iamd.policy import evaluate as evaluate_policy
from iamd.policy import federated as federated_principal
from iamd.store import roles as role_store
from iamd.sts import session_policies
from iamd.sts.credentials import issue, times
from iamd.sts.tags import SessionTags
from iamd.sts.tokens import SessionClaims, SessionKind

ROLE_TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
LAST_USED_GRANULARITY = dt.timedelta(minutes=1)
# The caller of an unsigned request is anonymous to the server; these keys describe that
# anonymous caller, not the federated one, and must not reach the trust policy.
_ANONYMOUS_KEYS = ("aws:principaltype", "aws:userid", "aws:principalaccount")

ContextPairs = tuple[tuple[str, str | tuple[str, ...]], ...]


class _Compiler(Protocol):
    def compiled(self, kind: PolicyKind, policy_id: str, text: str | None) -> CompiledPolicy: ...


class _Bound(Protocol):
    """What this module needs of the request's authorizer (``authz.BoundAuthorizer``)."""

    authorizer: _Compiler

    def context(
        self, target: Target, extra: Mapping[str, object] | None = None
    ) -> Mapping[str, ContextValue]: ...


@dataclass(frozen=True, slots=True)
class FederatedRequest:
    """A verified federated caller asking for a role session.

    ``trust_context``: the IdP's condition keys for the trust policy (``<host>:sub``,
    ``saml:aud``...) and ``sts:RoleSessionName``/``sts:SourceIdentity`` where they apply;
    ``session_context``: the keys the new session keeps for later requests.
    """

    action: str  # sts:AssumeRoleWithWebIdentity | sts:AssumeRoleWithSAML
    provider_arn: str
    subject: str
    session_name: str
    tags: SessionTags
    source_identity: str | None = None
    trust_context: Mapping[str, object] = field(default_factory=dict)
    session_context: ContextPairs = ()
    saml: bool = False


def find_role(ctx: OperationContext, role_arn: str) -> role_store.Role | None:
    """The role ``role_arn`` names, or None (also for a malformed ARN)."""
    arn = parse_arn(role_arn)
    if arn is None or arn.service != "iam" or arn.resource_type != "role":
        return None
    return role_store.get_by_name(ctx.db, arn.account, arn.resource.rsplit("/", 1)[-1])


def authorize(
    ctx: OperationContext, role: role_store.Role | None, request: FederatedRequest
) -> None:
    """Every needed action allowed by the role's trust policy, or AccessDenied."""
    actions = [request.action]
    if request.tags.passed:
        actions.append("sts:TagSession")
    if request.source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    if role is None:
        raise AccessDenied(f"Not authorized to perform {request.action}")
    bound = cast(_Bound, ctx.authorize)
    trust = bound.authorizer.compiled(
        PolicyKind.TRUST, f"{role.arn}#trust", trust_policy_for_evaluation(ctx.db, role)
    )
    policies = PolicySet(resource=trust, resource_must_allow=True)
    principal = federated_principal(request.provider_arn, request.subject, saml=request.saml)
    role_tags = tagging.tags_of(ctx.db, "role", role.role_id)
    target = Target(role.arn, role_tags, account=role.account_id)
    extra = dict(request.trust_context)
    extra["aws:FederatedProvider"] = request.provider_arn
    context = dict(bound.context(target, extra))
    for key in _ANONYMOUS_KEYS:
        context.pop(key, None)
    for action in actions:
        question = PolicyRequest(principal, action, role.arn, context, role.account_id)
        if not evaluate_policy(question, policies).allowed:
            raise AccessDenied(f"Not authorized to perform {action}")


def issue_session(
    ctx: OperationContext,
    role: role_store.Role,
    request: FederatedRequest,
    duration: int,
    policy: str | None,
    policy_arns: Sequence[Mapping[str, Any]] | None,
) -> Result:
    """The new session's credentials and the output fields every AssumeRole* returns."""
    if duration > role.max_session_duration:
        raise ValidationError(ROLE_TOO_LONG)
    policies = session_policies.session_policies(ctx.db, role.account_id, policy, policy_arns)
    tags = request.tags
    packed = session_policies.check_packed(policies.texts, tags.all)
    issued, expires = times(ctx, duration)
    context: ContextPairs = (("aws:FederatedProvider", request.provider_arn),)
    claims = SessionClaims(
        kind=SessionKind.ROLE,
        account_id=role.account_id,
        principal_id=role.role_id,
        principal_arn=role.arn,
        name=request.session_name,
        issued_at=issued,
        expires_at=expires,
        secret="",
        policies=policies.texts,
        has_policy=policies.passed,
        tags=tags.all,
        transitive_keys=tags.transitive_keys,
        source_identity=request.source_identity,
        context=context + request.session_context,
    )
    minted = issue(ctx, claims)
    note_role_use(ctx, role)
    result: Result = {
        "Credentials": minted.as_output(),
        "AssumedRoleUser": {
            "Arn": assumed_role_arn(role.account_id, role.name, request.session_name),
            "AssumedRoleId": f"{role.role_id}:{request.session_name}",
        },
    }
    if policies.passed or tags.all:
        result["PackedPolicySize"] = packed
    if request.source_identity is not None:
        result["SourceIdentity"] = request.source_identity
    return result


def note_role_use(ctx: OperationContext, role: role_store.Role) -> None:
    """RoleLastUsed, written at most once a minute per role."""
    if role.last_used_at is None or ctx.now - role.last_used_at >= LAST_USED_GRANULARITY:
        role_store.record_use(ctx.db, role.role_id, ctx.now, ctx.request.region)


def trust_policy_text(conn: Any, role: role_store.Role) -> str:
    """The role's trust policy as the engine evaluates it (principals by unique id), for
    services that assume roles on a caller's behalf (IAM Roles Anywhere)."""
    return trust_policy_for_evaluation(conn, role)
