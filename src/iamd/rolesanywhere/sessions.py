"""CreateSession (``POST /sessions``): an X.509 certificate buys a role session.

The server has already checked the request's signature against the certificate it carries
(``auth.x509``) and hands the certificate and chain over as ``ctx.presented``; the caller
is otherwise anonymous. Then, in order, each refusal an AccessDeniedException and nothing
minted:

1. the trust anchor (by ARN, in its own account) exists and is enabled;
2. the certificate chains to one of its CAs, every certificate within its validity period
   at the request's time, the end entity allowed to sign (``certificates.verify_path``),
   and no enabled CRL of the anchor revokes a certificate of the path;
3. the profile exists in the same account and is enabled, lists the role, and has the
   instance properties it requires; a role session name only if it accepts one;
4. the role's trust policy allows the service principal ``rolesanywhere.amazonaws.com``
   ``sts:AssumeRole``, ``sts:TagSession`` (the certificate's attributes the profile maps
   become session tags, ``mappings``) and ``sts:SetSourceIdentity`` (the subject's CN),
   with ``aws:PrincipalTag/x509Subject/CN``, ``x509Issuer/...``, ``x509SAN/...``,
   ``aws:SourceArn`` (the trust anchor) and ``aws:SourceAccount`` in the context;
5. the duration: the request's, else the profile's; more than the profile's or the
   role's maximum is a ValidationException; the session never outlives the certificate;
6. sts/'s ordinary minting, the profile's session policy and managed policies limiting
   the session as AssumeRole's ``Policy`` and ``PolicyArns`` do.

The session name is the certificate's serial number in hex unless the profile accepts
one from the caller. The response is AWS's documented shape: ``credentialSet`` with one
entry, and ``subjectArn``, the subject ``subjects.record`` noted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol, cast

from cryptography import x509

from iamd.errors import AccessDenied, ValidationError
from iamd.model.arn import assumed_role_arn, parse_arn
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.policy import CompiledPolicy, ContextValue, PolicyKind, PolicySet, principal_context
from iamd.policy import Request as PolicyRequest
from iamd.policy import evaluate as evaluate_policy
from iamd.policy import service as service_principal
from iamd.rolesanywhere import certificates, mappings, resources, subjects
from iamd.store import roles as role_store
from iamd.store import rolesanywhere as store
from iamd.store import tags as tag_store
from iamd.sts import federated_sessions, session_policies
from iamd.sts.credentials import issue
from iamd.sts.sessions import epoch
from iamd.sts.tags import SessionTags
from iamd.sts.tokens import SessionClaims, SessionKind

SERVICE = "rolesanywhere.amazonaws.com"
UNTRUSTED = "Untrusted Signing Certificate"
DEFAULT_DURATION = 3600
_ANONYMOUS_KEYS = ("aws:principaltype", "aws:userid", "aws:principalaccount")


class Presented(Protocol):
    """What the server verified (``auth.x509.X509Signed``)."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]


class _Compiler(Protocol):
    def compiled(self, kind: PolicyKind, policy_id: str, text: str | None) -> CompiledPolicy: ...


class _Bound(Protocol):
    authorizer: _Compiler

    def context(
        self, target: Target, extra: Mapping[str, object] | None = None
    ) -> Mapping[str, ContextValue]: ...


def _arn_param(params: Params, name: str) -> str:
    value = params.get(name) or params.get(f"{name}Query")
    if not value:
        raise ValidationError(
            f"1 validation error detected: Value null at '{name}' failed to satisfy "
            "constraint: Member must not be null"
        )
    return str(value)


def _resource_id(arn: str, kind: str) -> tuple[str, str] | None:
    """(account, id) of a Roles Anywhere ARN of ``kind``, or None."""
    parsed = parse_arn(arn)
    if parsed is None or parsed.service != "rolesanywhere" or not parsed.account:
        return None
    found_kind, _, resource_id = parsed.resource.partition("/")
    return (parsed.account, resource_id) if found_kind == kind and resource_id else None


def _anchor(ctx: OperationContext, arn: str) -> store.TrustAnchor:
    found = _resource_id(arn, "trust-anchor")
    anchor = store.get_trust_anchor(ctx.db, *found) if found else None
    if anchor is None:
        raise AccessDenied(UNTRUSTED)
    if not anchor.enabled:
        raise AccessDenied("Trust anchor is disabled")
    return anchor


def _profile(ctx: OperationContext, arn: str, account: str) -> store.Profile:
    found = _resource_id(arn, "profile")
    profile = store.get_profile(ctx.db, *found) if found else None
    if profile is None or profile.account_id != account:
        raise AccessDenied("Profile not found")
    if not profile.enabled:
        raise AccessDenied("Profile is disabled")
    return profile


def _source_identity(certificate: x509.Certificate) -> str | None:
    common = [v for k, v in certificates.names(certificate.subject) if k == "CN"]
    return ",".join(common)[:64] if common else None


def _authorize(
    ctx: OperationContext,
    role: role_store.Role,
    anchor_arn: str,
    tags: tuple[tuple[str, str], ...],
    source_identity: str | None,
    session_name: str,
) -> None:
    """The role's trust policy must allow the service principal every action needed."""
    bound = cast(_Bound, ctx.authorize)
    trust = bound.authorizer.compiled(
        PolicyKind.TRUST,
        f"{role.arn}#trust",
        federated_sessions.trust_policy_text(ctx.db, role),
    )
    policies = PolicySet(resource=trust, resource_must_allow=True)
    principal = replace(service_principal(SERVICE), tags=tags)
    role_tags = dict(tag_store.get_tags(ctx.db, "role", role.role_id))
    target = Target(role.arn, role_tags, account=role.account_id)
    extra: dict[str, object] = {
        "aws:SourceArn": anchor_arn,
        "aws:SourceAccount": role.account_id,
        "sts:RoleSessionName": session_name,
    }
    extra.update({f"aws:RequestTag/{key}": value for key, value in tags})
    if tags:
        extra["aws:TagKeys"] = [key for key, _ in tags]
    if source_identity is not None:
        extra["sts:SourceIdentity"] = source_identity
    context: dict[str, ContextValue] = dict(bound.context(target, extra))
    for key in _ANONYMOUS_KEYS:
        context.pop(key, None)
    context.update(principal_context(principal))
    actions = ["sts:AssumeRole"]
    if tags:
        actions.append("sts:TagSession")
    if source_identity is not None:
        actions.append("sts:SetSourceIdentity")
    for action in actions:
        question = PolicyRequest(principal, action, role.arn, context, role.account_id)
        if not evaluate_policy(question, policies).allowed:
            raise AccessDenied(f"Not authorized to perform {action}")


def _duration(params: Params, profile: store.Profile, role: role_store.Role) -> int:
    requested = params.get("durationSeconds")
    duration = int(requested) if requested is not None else profile.duration_seconds
    if duration > profile.duration_seconds:
        raise ValidationError(
            "The requested DurationSeconds exceeds the durationSeconds set for this profile."
        )
    if duration > role.max_session_duration:
        raise ValidationError(
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
        )
    return duration


def _session_name(params: Params, profile: store.Profile, certificate: x509.Certificate) -> str:
    passed = params.get("roleSessionName")
    if passed is not None and not profile.accept_role_session_name:
        raise ValidationError("The profile does not accept a role session name.")
    return str(passed) if passed is not None else format(certificate.serial_number, "x")


@operation("rolesanywhere", "CreateSession", authorize=False, signed=False, writes_rarely=True)
def create_session(ctx: OperationContext, params: Params) -> Result:
    presented = cast(Presented | None, ctx.presented)
    if presented is None:
        raise AccessDenied(UNTRUSTED)
    anchor_arn = _arn_param(params, "trustAnchorArn")
    profile_arn = _arn_param(params, "profileArn")
    role_arn = _arn_param(params, "roleArn")
    anchor = _anchor(ctx, anchor_arn)
    certificate = presented.certificate
    try:
        roots = certificates.parse_bundle(anchor.certificate_data)
        path = certificates.verify_path(certificate, presented.chain, roots, ctx.now)
        certificates.check_revocation(path, store.enabled_crls(ctx.db, anchor.trust_anchor_id))
    except (certificates.Untrusted, certificates.BundleError) as exc:
        raise AccessDenied(str(exc)) from None
    profile = _profile(ctx, profile_arn, anchor.account_id)
    if role_arn not in profile.role_arns:
        raise AccessDenied("The role is not part of the profile")
    if profile.require_instance_properties and not params.get("instanceProperties"):
        raise AccessDenied("The profile requires instance properties")
    role = federated_sessions.find_role(ctx, role_arn)
    if role is None or role.account_id != anchor.account_id:
        raise AccessDenied("Not authorized to perform sts:AssumeRole")
    session_name = _session_name(params, profile, certificate)
    tags = mappings.session_tags(mappings.effective(profile), certificate)
    source_identity = _source_identity(certificate)
    _authorize(ctx, role, anchor_arn, tags, source_identity, session_name)
    duration = _duration(params, profile, role)
    arns = [{"arn": arn} for arn in profile.managed_policy_arns]
    policies = session_policies.session_policies(
        ctx.db, role.account_id, profile.session_policy, arns
    )
    session_tags = SessionTags(tags, (), ())
    packed = session_policies.check_packed(policies.texts, session_tags.all)
    issued = epoch(ctx.now)
    expires = min(issued + duration, epoch(certificate.not_valid_after_utc))
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
        tags=session_tags.all,
        source_identity=source_identity,
    )
    minted = issue(ctx, claims)
    federated_sessions.note_role_use(ctx, role)
    entry: dict[str, Any] = {
        "assumedRoleUser": {
            "arn": assumed_role_arn(role.account_id, role.name, session_name),
            "assumedRoleId": f"{role.role_id}:{session_name}",
        },
        "credentials": {
            "accessKeyId": minted.access_key_id,
            "secretAccessKey": minted.secret_access_key,
            "sessionToken": minted.session_token,
            "expiration": minted.expiration,
        },
        "packedPolicySize": packed,
        "roleArn": role.arn,
    }
    if source_identity is not None:
        entry["sourceIdentity"] = source_identity
    properties = params.get("instanceProperties")
    subject = subjects.record(ctx, anchor.account_id, certificate, properties)
    return {
        "credentialSet": [entry],
        "subjectArn": resources.arn(ctx, resources.SUBJECT, subject, anchor.account_id),
    }
