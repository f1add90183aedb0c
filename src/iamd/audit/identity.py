"""``userIdentity``: who made a request, in CloudTrail's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from iamd.model.arn import parse_arn
from iamd.model.caller import Caller, CallerKind

_ISO = "%Y-%m-%dT%H:%M:%SZ"


def user_identity(caller: Caller | None, access_key_id: str | None = None) -> dict[str, Any]:
    """The identity of a signed request's caller (None: authentication failed)."""
    if caller is None or caller.kind is CallerKind.ANONYMOUS:
        unknown: dict[str, Any] = {"type": "Unknown"}
        if access_key_id:
            unknown["accessKeyId"] = access_key_id
        return unknown
    kind = caller.kind
    identity: dict[str, Any]
    if kind is CallerKind.SERVICE:
        return {"type": "AWSService", "invokedBy": caller.name or caller.arn}
    # What a caller leaves empty is left out, as CloudTrail leaves out what a failed
    # console sign-in never established (a user's ARN; an unknown user's id); an empty
    # access key id is written, as it is for a console sign-in (no key was used).
    identity = {"type": _TYPES[kind]}
    if caller.user_id:
        identity["principalId"] = caller.user_id
    if caller.arn:
        identity["arn"] = caller.arn
    identity["accountId"] = caller.account_id
    if caller.access_key_id is not None:
        identity["accessKeyId"] = caller.access_key_id
    if kind is CallerKind.USER and caller.name:
        identity["userName"] = caller.name
    session = caller.session
    if session is None:
        return identity
    context: dict[str, Any] = {}
    if kind is CallerKind.ROLE_SESSION and caller.role_arn:
        context["sessionIssuer"] = _issuer("Role", caller.entity_id, caller.role_arn)
        provider = dict(session.extra_context).get("aws:FederatedProvider")
        context["webIdFederationData"] = (
            {"federatedProvider": provider, "attributes": {}} if isinstance(provider, str) else {}
        )
    elif kind is CallerKind.FEDERATED_USER and caller.source_user_arn:
        context["sessionIssuer"] = _issuer("IAMUser", caller.source_user_id, caller.source_user_arn)
        context["webIdFederationData"] = {}
    context["attributes"] = {
        "creationDate": session.issued_at.strftime(_ISO),
        "mfaAuthenticated": "true" if caller.mfa else "false",
    }
    if session.source_identity is not None:
        context["sourceIdentity"] = session.source_identity
    identity["sessionContext"] = context
    return identity


def federated_identity(
    action: str, params: Mapping[str, Any], result: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The identity of an unsigned AssumeRoleWithWebIdentity or AssumeRoleWithSAML."""
    result = result or {}
    if action == "AssumeRoleWithWebIdentity":
        provider = str(result.get("Provider") or "")
        subject = str(result.get("SubjectFromWebIdentityToken") or "")
        if not provider:
            return {"type": "Unknown"}
        parsed = parse_arn(provider)
        host = parsed.resource.partition("/")[2] if parsed is not None else provider
        return {
            "type": "WebIdentityUser",
            "principalId": f"{host}:{result.get('Audience') or ''}:{subject}",
            "userName": subject,
            "identityProvider": host,
        }
    if action == "AssumeRoleWithSAML":
        qualifier = str(result.get("NameQualifier") or "")
        subject = str(result.get("Subject") or "")
        if not qualifier:
            return {"type": "Unknown"}
        return {
            "type": "SAMLUser",
            "principalId": f"{qualifier}:{subject}",
            "userName": subject,
            "identityProvider": qualifier,
        }
    return {"type": "Unknown"}


def _issuer(kind: str, principal_id: str | None, arn: str) -> dict[str, Any]:
    parsed = parse_arn(arn)
    name = parsed.resource.rpartition("/")[2] if parsed is not None else arn
    return {
        "type": kind,
        "principalId": principal_id or "",
        "arn": arn,
        "accountId": parsed.account if parsed is not None else "",
        "userName": name,
    }


_TYPES = {
    CallerKind.ROOT: "Root",
    CallerKind.USER: "IAMUser",
    CallerKind.ROLE_SESSION: "AssumedRole",
    CallerKind.FEDERATED_USER: "FederatedUser",
}
