"""AssumeRoleWithSAML (spec 3.5, 4.5): a SAML 2.0 assertion from a registered identity
provider, verified for real, becomes a role session.

The request is unsigned (``signed=False``) and authorizes itself (``authorize=False``):
only the role's trust policy decides (``federated_sessions.authorize``). The steps, and
the error each failure gets:

1. the provider ``PrincipalArn`` names must exist and its metadata must still be valid
   (ValidUntil): else InvalidIdentityToken;
2. the response's signature must verify against one of the provider's signing
   certificates, and everything below is read from the signed content only
   (``saml_assertions``): else InvalidIdentityToken ``Response signature invalid``;
3. the assertion's ``Issuer`` must be the provider's entity id: else InvalidIdentityToken
   ``Issuer not present in specified provider`` (AWS's words);
4. times: the one bearer ``SubjectConfirmationData``'s NotOnOrAfter, the Conditions'
   NotOnOrAfter and the AuthnStatement's SessionNotOnOrAfter must be in the future
   (ExpiredTokenException); NotBefore may be at most ``CLOCK_SKEW`` ahead of the server's
   time (else InvalidIdentityToken);
5. claims: exactly one SubjectConfirmation, whose ``Recipient`` is an AWS sign-in SAML
   endpoint (``RECIPIENTS``, or ``https://REGION.signin.aws.amazon.com/saml``); every
   AudienceRestriction lists ``https://signin.aws.amazon.com/saml`` (or a regional one)
   or ``urn:amazon:webservices``; and the ``Role`` attribute holds the requested
   ``RoleArn,PrincipalArn`` pair (either order): else IDPRejectedClaim (403);
6. attributes: RoleSessionName (2-64 ``[\\w+=,.@-]``), optional SessionDuration (900-43200),
   SourceIdentity, ``PrincipalTag:KEY`` and TransitiveTagKeys: malformed ones are
   InvalidIdentityToken;
7. the role (not ``AWSReservedSSO_*``, in the provider's account) and its trust policy,
   which must allow ``sts:AssumeRoleWithSAML`` for the ``Federated`` provider ARN with the
   ``saml:`` keys (``trust_keys``), plus ``sts:TagSession`` for tags and
   ``sts:SetSourceIdentity`` for a source identity: else AccessDenied
   ``Not authorized to perform sts:AssumeRoleWithSAML``;
8. duration = min(DurationSeconds (default 3600, at most the role's maximum),
   SessionDuration, time left until SessionNotOnOrAfter); then session policies, packed
   size and the credentials (``federated_sessions.issue_session``). The session keeps
   ``saml:namequalifier``, ``saml:sub`` and ``saml:sub_type`` (and ``aws:FederatedProvider``)
   for later requests.

The Recipient must be one of AWS's endpoints, not iamd's own URL: it names where a
browser posts the response for console sign-in, which iamd does not offer, and IdPs
configured for AWS already send AWS's. ``iamd idp saml`` does the same.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re

from iamd.errors import (
    ExpiredTokenException,
    IDPRejectedClaim,
    InvalidIdentityToken,
    ValidationError,
)
from iamd.iam import saml_providers
from iamd.iam.tagging import key_violations, value_violations
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store.saml_providers import SamlProvider
from iamd.sts import federated_sessions, saml_assertions
from iamd.sts import tags as session_tags
from iamd.sts.federated_sessions import FederatedRequest
from iamd.sts.saml_assertions import Assertion, InvalidAssertion

ACTION = "sts:AssumeRoleWithSAML"
DEFAULT_DURATION = 3600
CLOCK_SKEW = dt.timedelta(minutes=5)
ATTRIBUTE_PREFIX = "https://aws.amazon.com/SAML/Attributes/"
ROLE = ATTRIBUTE_PREFIX + "Role"
ROLE_SESSION_NAME = ATTRIBUTE_PREFIX + "RoleSessionName"
SESSION_DURATION = ATTRIBUTE_PREFIX + "SessionDuration"
SOURCE_IDENTITY = ATTRIBUTE_PREFIX + "SourceIdentity"
PRINCIPAL_TAG = ATTRIBUTE_PREFIX + "PrincipalTag:"
TRANSITIVE_TAG_KEYS = ATTRIBUTE_PREFIX + "TransitiveTagKeys"
RECIPIENTS = (
    "https://signin.aws.amazon.com/saml",
    "https://signin.aws.amazon.com/static/saml",
)
AUDIENCES = ("https://signin.aws.amazon.com/saml", "urn:amazon:webservices")
NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:"
UNSPECIFIED_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
RESERVED_SSO_PREFIX = "AWSReservedSSO_"

SESSION_NAME_RULE = "RoleSessionName in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64}"
_REGIONAL = re.compile(r"https://[a-z0-9-]+\.signin\.aws\.amazon\.com/saml")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)

# SAML attribute Name -> (saml: condition key, multivalued), spec 3.5 and the IAM User
# Guide's mapping tables (eduPerson/eduOrg by OID, Active Directory claims, X.500).
_EDU = "urn:oid:1.3.6.1.4.1.5923.1.1.1."
_EDU_ORG = "urn:oid:1.3.6.1.4.1.5923.1.2.1."
ATTRIBUTE_KEYS: dict[str, tuple[str, bool]] = {
    _EDU + "1": ("edupersonaffiliation", True),
    _EDU + "2": ("edupersonnickname", True),
    _EDU + "3": ("edupersonorgdn", False),
    _EDU + "4": ("edupersonorgunitdn", True),
    _EDU + "5": ("edupersonprimaryaffiliation", False),
    _EDU + "6": ("edupersonprincipalname", False),
    _EDU + "7": ("edupersonentitlement", True),
    _EDU + "8": ("edupersonprimaryorgunitdn", False),
    _EDU + "9": ("edupersonscopedaffiliation", True),
    _EDU + "10": ("edupersontargetedid", True),
    _EDU + "11": ("edupersonassurance", True),
    _EDU_ORG + "2": ("eduorghomepageuri", True),
    _EDU_ORG + "3": ("eduorgidentityauthnpolicyuri", True),
    _EDU_ORG + "4": ("eduorglegalname", True),
    _EDU_ORG + "5": ("eduorgsuperioruri", True),
    _EDU_ORG + "6": ("eduorgwhitepagesuri", True),
    "urn:oid:2.5.4.3": ("cn", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": ("name", True),
    "http://schemas.xmlsoap.org/claims/CommonName": ("commonName", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname": ("givenName", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname": ("surname", True),
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": ("mail", True),
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/primarygroupsid": (
        "primaryGroupSID",
        True,
    ),
    "2.5.4.3": ("commonName", True),
    "2.5.4.4": ("surname", True),
    "2.4.5.42": ("givenName", True),
    "2.5.4.45": ("x500UniqueIdentifier", True),
    "0.9.2342.19200300100.1.1": ("uid", True),
    "0.9.2342.19200300100.1.3": ("mail", True),
    "0.9.2342.19200300.100.1.45": ("organizationStatus", True),
}


# --- the assertion's meaning ------------------------------------------------------------------


def name_qualifier(issuer: str, account_id: str, provider_name: str) -> str:
    """``saml:namequalifier``: Base64(SHA1(Issuer + AccountId + "/" + ProviderName))."""
    digest = hashlib.sha1(f"{issuer}{account_id}/{provider_name}".encode(), usedforsecurity=False)
    return base64.b64encode(digest.digest()).decode("ascii")


def sub_type(name_format: str | None) -> str:
    """``saml:sub_type``: ``persistent``, ``transient``, or the full Format URI."""
    if name_format in (NAMEID_PREFIX + "persistent", NAMEID_PREFIX + "transient"):
        return name_format.removeprefix(NAMEID_PREFIX)
    return name_format or UNSPECIFIED_FORMAT


def subject_type(name_format: str | None) -> str:
    """The response's ``SubjectType``: the Format without the SAML 2.0 prefix."""
    return (name_format or UNSPECIFIED_FORMAT).removeprefix(NAMEID_PREFIX)


def _aws_endpoint(url: str, fixed: tuple[str, ...]) -> bool:
    return url in fixed or _REGIONAL.fullmatch(url) is not None


def _check_times(assertion: Assertion, now: dt.datetime) -> None:
    confirmation = assertion.confirmations[0]
    ends = (
        confirmation.not_on_or_after,
        assertion.not_on_or_after,
        assertion.session_not_on_or_after,
    )
    if any(end is not None and end <= now for end in ends):
        raise ExpiredTokenException("The SAML assertion has expired.")
    starts = (confirmation.not_before, assertion.not_before)
    if any(start is not None and start > now + CLOCK_SKEW for start in starts):
        raise InvalidIdentityToken("The SAML assertion is not yet valid.")


def _check_claims(assertion: Assertion, role_arn: str, provider_arn: str) -> str:
    """The Recipient, after the recipient, audience and role-pair checks."""
    if len(assertion.confirmations) != 1:
        raise IDPRejectedClaim("The SAML assertion must have exactly one SubjectConfirmation.")
    confirmation = assertion.confirmations[0]
    if confirmation.recipient is None or not _aws_endpoint(confirmation.recipient, RECIPIENTS):
        raise IDPRejectedClaim(
            "The Recipient of the SAML assertion's SubjectConfirmationData is not an AWS "
            "sign-in SAML endpoint."
        )
    restrictions = assertion.audience_restrictions
    if not restrictions or not all(
        any(_aws_endpoint(a, AUDIENCES) for a in audiences) for audiences in restrictions
    ):
        raise IDPRejectedClaim("The SAML assertion's audience does not include AWS.")
    wanted = {role_arn, provider_arn}
    pairs = ({part.strip() for part in value.split(",")} for value in assertion.values(ROLE))
    if not any(pair == wanted for pair in pairs):
        raise IDPRejectedClaim(
            f"The SAML assertion's Role attribute does not contain the pair {role_arn},"
            f"{provider_arn}."
        )
    return confirmation.recipient


def _single(assertion: Assertion, name: str) -> str | None:
    values = assertion.values(name)
    if not values and not assertion.has(name):
        return None
    if len(values) != 1:
        raise InvalidIdentityToken(f"The attribute {name} must have exactly one value.")
    return values[0]


def _session_name(assertion: Assertion) -> str:
    value = _single(assertion, ROLE_SESSION_NAME)
    if value is None or _SESSION_NAME.fullmatch(value) is None:
        raise InvalidIdentityToken(SESSION_NAME_RULE)
    return value


def _session_duration(assertion: Assertion) -> int | None:
    value = _single(assertion, SESSION_DURATION)
    if value is None:
        return None
    if not value.isascii() or not value.isdigit() or not 900 <= int(value) <= 43200:
        raise InvalidIdentityToken(
            "SessionDuration in AuthnResponse must be a number of seconds from 900 to 43200."
        )
    return int(value)


def _source_identity(assertion: Assertion) -> str | None:
    value = _single(assertion, SOURCE_IDENTITY)
    if value is None:
        return None
    if _SESSION_NAME.fullmatch(value) is None or value.lower().startswith("aws:"):
        raise InvalidIdentityToken(
            "SourceIdentity in AuthnResponse must match [a-zA-Z_0-9+=,.@-]{2,64} and not "
            "begin with 'aws:'."
        )
    return value


def _tags(ctx: OperationContext, assertion: Assertion) -> session_tags.SessionTags:
    passed: list[dict[str, str]] = []
    for name, values in assertion.attributes:
        if not name.startswith(PRINCIPAL_TAG):
            continue
        key = name.removeprefix(PRINCIPAL_TAG)
        if len(values) != 1:
            raise InvalidIdentityToken(f"The session tag {key} must have exactly one value.")
        problems = key_violations(key, "tags.member.key") + value_violations(
            values[0], "tags.member.value"
        )
        if problems:
            raise InvalidIdentityToken(f"Invalid session tag in AuthnResponse: {problems[0]}")
        passed.append({"Key": key, "Value": values[0]})
    if len(passed) > 50:
        raise InvalidIdentityToken("AuthnResponse may pass at most 50 session tags.")
    transitive = assertion.values(TRANSITIVE_TAG_KEYS)
    try:
        # The caller of an unsigned request has no session: nothing is inherited.
        return session_tags.session_tags(ctx.caller, passed, transitive)
    except ValidationError as exc:
        raise InvalidIdentityToken(exc.message) from None


def attribute_keys(assertion: Assertion) -> dict[str, object]:
    """The ``saml:`` keys of the mapped attributes (spec 3.5); the first claim wins."""
    keys: dict[str, object] = {}
    for name, values in assertion.attributes:
        mapped = ATTRIBUTE_KEYS.get(name)
        if mapped is None or not values:
            continue
        key, multivalued = mapped
        keys.setdefault(f"saml:{key}", list(values) if multivalued else values[0])
    return keys


def trust_keys(assertion: Assertion, recipient: str, provider: SamlProvider) -> dict[str, object]:
    """The ``saml:`` condition keys the trust policy sees."""
    keys = attribute_keys(assertion)
    keys.update(
        {
            "saml:aud": recipient,
            "saml:iss": assertion.issuer,
            "saml:sub": assertion.name_id,
            "saml:sub_type": sub_type(assertion.name_id_format),
            "saml:namequalifier": name_qualifier(
                assertion.issuer, provider.account_id, provider.name
            ),
            "saml:doc": f"{provider.account_id}/{provider.name}",
        }
    )
    return keys


# --- the operation ----------------------------------------------------------------------------


def _provider(ctx: OperationContext, arn: str) -> tuple[SamlProvider, saml_providers.Metadata]:
    provider = saml_providers.find_provider(ctx.db, arn)
    if provider is None:
        raise InvalidIdentityToken(f"SAML provider {arn} does not exist.")
    if provider.valid_until is not None and provider.valid_until <= ctx.now:
        raise InvalidIdentityToken(f"The metadata of SAML provider {arn} has expired.")
    try:
        metadata = saml_providers.parse_metadata(provider.metadata_document)
    except ValueError:  # INVARIANT: checked when stored; a stored document stays usable
        raise InvalidIdentityToken(f"The metadata of SAML provider {arn} is not usable.") from None
    return provider, metadata


def _duration(params: Params, assertion: Assertion, attribute: int | None, now: dt.datetime) -> int:
    duration = int(params.get("DurationSeconds") or DEFAULT_DURATION)
    if attribute is not None:
        duration = min(duration, attribute)
    if assertion.session_not_on_or_after is not None:
        left = int((assertion.session_not_on_or_after - now).total_seconds())
        duration = min(duration, left)
    return duration


@operation("sts", "AssumeRoleWithSAML", authorize=False, signed=False)
def assume_role_with_saml(ctx: OperationContext, params: Params) -> Result:
    role_arn = str(params["RoleArn"])
    provider_arn = str(params["PrincipalArn"])
    provider, metadata = _provider(ctx, provider_arn)
    try:
        assertion = saml_assertions.verify_response(
            str(params["SAMLAssertion"]), metadata.certificates
        )
    except InvalidAssertion as exc:
        raise InvalidIdentityToken(str(exc)) from None
    if assertion.issuer != metadata.entity_id:
        raise InvalidIdentityToken("Issuer not present in specified provider")
    if not assertion.confirmations:
        raise InvalidIdentityToken("The SAML assertion has no SubjectConfirmation.")
    _check_times(assertion, ctx.now)
    recipient = _check_claims(assertion, role_arn, provider_arn)
    session_name = _session_name(assertion)
    attribute_duration = _session_duration(assertion)
    source_identity = _source_identity(assertion)
    tags = _tags(ctx, assertion)

    role = federated_sessions.find_role(ctx, role_arn)
    if role is not None and (
        role.name.startswith(RESERVED_SSO_PREFIX) or role.account_id != provider.account_id
    ):
        role = None  # denied exactly like a role that does not exist
    keys = trust_keys(assertion, recipient, provider)
    trust_context: dict[str, object] = dict(keys)
    trust_context["sts:RoleSessionName"] = session_name
    if source_identity is not None:
        trust_context["sts:SourceIdentity"] = source_identity
    trust_context.update(
        session_tags.request_context(tags.passed, [str(k) for k in tags.transitive_keys])
    )
    request = FederatedRequest(
        action=ACTION,
        provider_arn=provider.arn,
        subject=assertion.name_id,
        session_name=session_name,
        tags=tags,
        source_identity=source_identity,
        trust_context=trust_context,
        session_context=(
            ("saml:namequalifier", str(keys["saml:namequalifier"])),
            ("saml:sub", assertion.name_id),
            ("saml:sub_type", str(keys["saml:sub_type"])),
        ),
        saml=True,
    )
    federated_sessions.authorize(ctx, role, request)
    assert role is not None  # INVARIANT: authorize denies a missing role

    if int(params.get("DurationSeconds") or DEFAULT_DURATION) > role.max_session_duration:
        raise ValidationError(federated_sessions.ROLE_TOO_LONG)
    duration = _duration(params, assertion, attribute_duration, ctx.now)
    result = federated_sessions.issue_session(
        ctx, role, request, duration, params.get("Policy"), params.get("PolicyArns")
    )
    result.update(
        {
            "Subject": assertion.name_id,
            "SubjectType": subject_type(assertion.name_id_format),
            "Issuer": assertion.issuer,
            "Audience": recipient,
            "NameQualifier": keys["saml:namequalifier"],
        }
    )
    return result


def offered_roles(encoded: str) -> list[tuple[str, str]]:
    """The (role ARN, provider ARN) pairs a SAMLResponse's Role attribute offers, read
    WITHOUT checking its signature: for a console's role picker only. Choosing a role
    calls AssumeRoleWithSAML, which verifies everything. An unreadable response offers
    nothing."""
    try:
        assertion = saml_assertions.read_unverified(encoded)
    except saml_assertions.InvalidAssertion:
        return []
    found: list[tuple[str, str]] = []
    for value in assertion.values(ROLE)[:100]:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) != 2:
            continue
        role = next((p for p in parts if ":role/" in p), None)
        provider = next((p for p in parts if ":saml-provider/" in p), None)
        if role and provider and (role, provider) not in found:
            found.append((role, provider))
    return found
