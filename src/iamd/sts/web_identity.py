"""AssumeRoleWithWebIdentity (spec 3.4, 4.4): an OpenID Connect ID token buys a role session.

Unsigned and authorized by itself: the caller has no AWS identity, the token is the
credential, and the role's trust policy alone decides. In order:

1. the token is a JWS we may verify (RS*/ES*; never ``none`` or HMAC): InvalidIdentityToken;
2. its ``iss`` is exactly the URL of an IAM OIDC provider in the *role's* account
   (``No OpenIDConnect provider found in your account for ISS``);
3. its signature checks against the issuer's JWKS (``oidc_tokens``; an unreachable IdP
   is IDPCommunicationError), then ``exp`` (ExpiredTokenException), ``nbf`` and ``iat``;
4. its ``aud`` (or ``azp``) is one of the provider's client ids (``Incorrect token
   audience``);
5. session tags from the ``https://aws.amazon.com/tags`` claim (``principal_tags`` with
   one-element arrays, ``transitive_tag_keys``) and a source identity from
   ``https://aws.amazon.com/source_identity``;
6. the trust policy must allow ``sts:AssumeRoleWithWebIdentity`` (and ``sts:TagSession``,
   ``sts:SetSourceIdentity`` when they apply) for ``Federated: <provider ARN>``, with the
   keys ``<host/path>:sub``, ``:aud``, ``:oaud`` (when ``azp`` chose the audience) and
   ``:amr`` (when the token has one) and ``aws:FederatedProvider``;
7. the session (``federated_sessions``) keeps ``aws:FederatedProvider`` and the ``sub``,
   ``aud`` and ``amr`` keys for later requests, as AWS does.

``Provider`` in the response is the provider's ARN, as AWS returns it for IAM OIDC
providers (the API reference says "the iss"; real responses show the ARN).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from iamd.errors import (
    ExpiredTokenException,
    IDPCommunicationError,
    InvalidIdentityToken,
    ValidationError,
)
from iamd.iam.tagging import MAX_TAGS_PER_REQUEST, key_violations, value_violations
from iamd.model.arn import parse_arn
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store import oidc_providers as provider_store
from iamd.sts import federated_sessions, oidc_tokens
from iamd.sts import tags as session_tags
from iamd.sts.federated_sessions import ContextPairs, FederatedRequest
from iamd.sts.sessions import epoch

ACTION = "sts:AssumeRoleWithWebIdentity"
DEFAULT_DURATION = 3600
TAGS_CLAIM = "https://aws.amazon.com/tags"
SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity"
WRONG_AUDIENCE = "Incorrect token audience"
_SOURCE_IDENTITY = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)


def _verified(ctx: OperationContext, token: oidc_tokens.UnverifiedToken) -> Mapping[str, Any]:
    try:
        return oidc_tokens.verify(token, epoch(ctx.now))
    except oidc_tokens.TokenExpired as exc:
        raise ExpiredTokenException(str(exc)) from None
    except oidc_tokens.IdpUnreachable as exc:
        raise IDPCommunicationError(str(exc)) from None
    except oidc_tokens.TokenRejected as exc:
        raise InvalidIdentityToken(str(exc)) from None


def _audience(claims: Mapping[str, Any], client_ids: tuple[str, ...]) -> tuple[str, str | None]:
    """The client id the token is for, and its original ``aud`` when ``azp`` chose it."""
    aud = claims.get("aud")
    auds = [aud] if isinstance(aud, str) else [a for a in aud or () if isinstance(a, str)]
    azp = claims.get("azp")
    for candidate in auds:
        if candidate in client_ids:
            return candidate, None
    if isinstance(azp, str) and azp in client_ids:
        return azp, ",".join(auds) if auds else None
    raise InvalidIdentityToken(WRONG_AUDIENCE)


def _tags(claims: Mapping[str, Any]) -> session_tags.SessionTags:
    """Session tags from the token's tags claim; InvalidIdentityToken if malformed."""
    claim = claims.get(TAGS_CLAIM)
    if claim is None:
        return session_tags.SessionTags((), (), ())
    principal = claim.get("principal_tags", {}) if isinstance(claim, dict) else None
    transitive = claim.get("transitive_tag_keys", []) if isinstance(claim, dict) else None
    if not isinstance(principal, dict) or not isinstance(transitive, list):
        raise InvalidIdentityToken(f"The {TAGS_CLAIM} claim is malformed.")
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for n, (key, values) in enumerate(principal.items(), start=1):
        if not (isinstance(values, list) and len(values) == 1 and isinstance(values[0], str)):
            raise InvalidIdentityToken(
                f"Session tag '{key}' in the {TAGS_CLAIM} claim must have a single-element "
                "array of strings as its value."
            )
        problems += key_violations(key, f"tags.{n}.member.key")
        problems += value_violations(values[0], f"tags.{n}.member.value")
        pairs.append((key, values[0]))
    if len(pairs) > MAX_TAGS_PER_REQUEST:
        problems.append(f"The token passes {len(pairs)} session tags; at most 50 are allowed")
    if problems or not all(isinstance(k, str) for k in transitive):
        raise InvalidIdentityToken(f"Invalid session tags in the web identity token: {problems}")
    try:
        passed = session_tags.passed_tags([{"Key": k, "Value": v} for k, v in pairs])
    except ValidationError as exc:
        raise InvalidIdentityToken(exc.message) from None
    keys = {k.lower(): k for k, _ in passed}
    for key in transitive:
        if key.lower() not in keys:
            raise InvalidIdentityToken(
                f"The transitive tag key '{key}' is not the key of a session tag in the token."
            )
    return session_tags.SessionTags(passed, (), tuple(dict.fromkeys(transitive)))


def _source_identity(claims: Mapping[str, Any]) -> str | None:
    value = claims.get(SOURCE_IDENTITY_CLAIM)
    if value is None:
        return None
    if (
        not isinstance(value, str)
        or _SOURCE_IDENTITY.fullmatch(value) is None
        or value.lower().startswith("aws:")
    ):
        raise InvalidIdentityToken(
            f"The {SOURCE_IDENTITY_CLAIM} claim is not a valid source identity."
        )
    return value


def _idp_keys(
    prefix: str, claims: Mapping[str, Any], audience: str, original: str | None
) -> ContextPairs:
    """The provider's condition keys that survive into the session (sub, aud, amr)."""
    keys: list[tuple[str, str | tuple[str, ...]]] = [
        (f"{prefix}:sub", str(claims.get("sub", ""))),
        (f"{prefix}:aud", audience),
    ]
    amr = claims.get("amr")
    if isinstance(amr, str):
        keys.append((f"{prefix}:amr", amr))
    elif isinstance(amr, list):
        keys.append((f"{prefix}:amr", tuple(str(a) for a in amr)))
    return tuple(keys)


def _fetch_keys_first(database: Any, params: Params) -> None:
    """Fetch the issuer's keys before the request's transaction opens (``prepare``).

    Only for an issuer registered as a provider in the role's account, so an unsigned
    request cannot make iamd fetch arbitrary URLs. Failures are left for the handler,
    which meets them again in the cache and answers with AWS's error.
    """
    try:
        token = oidc_tokens.read_unverified(str(params["WebIdentityToken"]))
        issuer = token.issuer
    except oidc_tokens.TokenRejected:
        return
    parsed = parse_arn(str(params["RoleArn"]))
    if parsed is None:
        return
    with database.transaction(write=False) as conn:
        if provider_store.get_by_url(conn, parsed.account, issuer) is None:
            return
    try:
        oidc_tokens.JWKS.keys(issuer, token.key_id)
    except oidc_tokens.IdpUnreachable:
        return


@operation(
    "sts",
    "AssumeRoleWithWebIdentity",
    authorize=False,
    signed=False,
    prepare=_fetch_keys_first,
)
def assume_role_with_web_identity(ctx: OperationContext, params: Params) -> Result:
    role_arn = str(params["RoleArn"])
    session_name = str(params["RoleSessionName"])
    if params.get("ProviderId") is not None:
        raise InvalidIdentityToken(
            "ProviderId is for OAuth 2.0 access tokens of built-in providers, which iamd does "
            "not support; pass an OpenID Connect ID token without ProviderId."
        )
    try:
        token = oidc_tokens.read_unverified(str(params["WebIdentityToken"]))
        issuer = token.issuer
    except oidc_tokens.TokenRejected as exc:
        raise InvalidIdentityToken(str(exc)) from None
    parsed = parse_arn(role_arn)
    account = parsed.account if parsed is not None else ""
    provider = provider_store.get_by_url(ctx.db, account, issuer)
    if provider is None:
        raise InvalidIdentityToken(f"No OpenIDConnect provider found in your account for {issuer}")
    claims = _verified(ctx, token)
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject:
        raise InvalidIdentityToken("The web identity token has no subject (sub).")
    audience, original = _audience(claims, provider.client_ids)
    tags = _tags(claims)
    source_identity = _source_identity(claims)

    prefix = provider.url.split("://", 1)[1]
    survivors = _idp_keys(prefix, claims, audience, original)
    trust: dict[str, object] = dict(survivors)
    if original is not None:
        trust[f"{prefix}:oaud"] = original
    trust["sts:RoleSessionName"] = session_name
    if source_identity is not None:
        trust["sts:SourceIdentity"] = source_identity
    trust.update(session_tags.request_context(tags.passed, list(tags.transitive_keys)))
    request = FederatedRequest(
        action=ACTION,
        provider_arn=provider.arn,
        subject=subject,
        session_name=session_name,
        tags=tags,
        source_identity=source_identity,
        trust_context=trust,
        session_context=survivors,
    )
    role = federated_sessions.find_role(ctx, role_arn)
    federated_sessions.authorize(ctx, role, request)
    assert role is not None  # INVARIANT: authorize denies a missing role
    duration = int(params.get("DurationSeconds") or DEFAULT_DURATION)
    result = federated_sessions.issue_session(
        ctx, role, request, duration, params.get("Policy"), params.get("PolicyArns")
    )
    result["SubjectFromWebIdentityToken"] = subject
    result["Provider"] = provider.arn
    result["Audience"] = audience
    return result
