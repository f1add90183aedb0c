"""Verify a SigV4-signed request (Authorization header or presigned query), spec §6.

The checks run in the order AWS recommends (spec §6.4), each raising the AWS error a real
client expects:

1. parse the auth parameters ............ MissingAuthenticationToken / IncompleteSignature
2. the time window (15 min both ways) ... SignatureDoesNotMatch "Signature expired: ..."
   and, presigned, X-Amz-Date + X-Amz-Expires
3. look up the key (injected) ........... InvalidClientTokenId / ExpiredToken (raised by it)
4. the credential scope ................. SignatureDoesNotMatch "Credential should be ..."
5. the signature itself ................. SignatureDoesNotMatch (constant-time compare)

The verifier does no I/O and reads no clock: ``now`` comes in and the secret lookup is a
callable, so the same code serves the server, tests and offline tools.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Generic, TypeVar

from iamd.auth import canonical
from iamd.auth.parse import AuthParams, format_amz_date, parse_auth
from iamd.auth.request import AuthKind, HttpRequest
from iamd.errors import IncompleteSignature, SignatureDoesNotMatch

P = TypeVar("P")

MAX_SKEW = timedelta(minutes=15)
CONTENT_SHA256 = "x-amz-content-sha256"

# Region names as AWS spells them: us-east-1, eu-central-1, us-gov-west-1, us-isob-east-1.
_REGION = re.compile(r"[a-z]{2,}(-[a-z]+)+-\d{1,2}", re.ASCII)


@dataclass(frozen=True, slots=True)
class SigningSecret(Generic[P]):
    """What the lookup returns: the secret to check the signature with, and anything the
    caller wants back on success (a principal, an access-key row, ...)."""

    secret_access_key: str
    principal: P


SecretLookup = Callable[[str, str | None], SigningSecret[P]]
"""``(access_key_id, session_token) -> SigningSecret``. Raises InvalidClientTokenId for an
unknown, inactive or mismatched key/token and ExpiredToken for an expired session."""


@dataclass(frozen=True, slots=True)
class VerifiedRequest(Generic[P]):
    """A request whose signature checked out."""

    access_key_id: str
    session_token: str | None
    region: str
    service: str
    signed_at: datetime  # the request's X-Amz-Date (or Date), UTC
    kind: AuthKind
    signed_headers: tuple[str, ...]
    principal: P


class SignatureMismatch(SignatureDoesNotMatch):
    """The signature did not match; carries what the server computed, for debug logs only.

    It is still rendered as ``SignatureDoesNotMatch`` with AWS's usual message.
    """

    def __init__(self, canonical_request: str, string_to_sign: str) -> None:
        super().__init__()
        self.canonical_request = canonical_request
        self.string_to_sign = string_to_sign


@dataclass(frozen=True, slots=True)
class ComputedSignature:
    """Every intermediate artifact of signing a request, as the server computes it."""

    canonical_request: str
    string_to_sign: str
    signature: str


class SigV4Verifier(Generic[P]):
    """Verifies requests for one endpoint (one or more signing names, e.g. ``("sts",)``).

    ``regions``, when given, is the set of regions a credential scope may name (IAM only
    accepts ``us-east-1`` in the ``aws`` partition); otherwise any well-formed region name
    is accepted. A session token sent in a header but left out of SignedHeaders is accepted
    as AWS does (suite case ``post-sts-header-after``) unless ``require_signed_token``.
    The derived signing keys are cached in a small LRU owned by the verifier.
    """

    def __init__(
        self,
        lookup: SecretLookup[P],
        services: Sequence[str],
        *,
        regions: Collection[str] | None = None,
        require_signed_token: bool = False,
        key_cache: canonical.SigningKeyCache | None = None,
    ) -> None:
        if not services:
            raise ValueError("at least one service signing name is required")
        self._lookup = lookup
        self._services = tuple(services)
        self._regions = frozenset(regions) if regions is not None else None
        self._require_signed_token = require_signed_token
        self._keys = key_cache if key_cache is not None else canonical.SigningKeyCache()

    def verify(self, request: HttpRequest, now: datetime) -> VerifiedRequest[P]:
        """Authenticate ``request`` at time ``now`` (naive datetimes are taken as UTC)."""
        params = parse_auth(request)
        if self._require_signed_token and params.session_token and not params.token_signed:
            raise IncompleteSignature(
                "'X-Amz-Security-Token' must be a 'SignedHeader' in the AWS Authorization."
            )
        check_time(params, _utc(now))
        found = self._lookup(params.credential.access_key_id, params.session_token)
        check_scope(params, self._services, self._regions)
        scope = params.credential
        key = self._keys.get(found.secret_access_key, scope.date, scope.region, scope.service)
        creq, to_sign, computed = _sign(request, params, key)
        if not hmac.compare_digest(computed.encode("utf-8"), params.signature.encode("utf-8")):
            raise SignatureMismatch(creq, to_sign)
        # Positional: VerifiedRequest's fields in their declared order (cheaper than keywords).
        return VerifiedRequest(
            scope.access_key_id,
            params.session_token,
            scope.region,
            scope.service,
            params.signed_at,
            params.kind,
            params.signed_headers,
            found.principal,
        )


def check_time(params: AuthParams, now: datetime) -> None:
    """The 15-minute window around ``now``; for presigned requests, also the expiry.

    The messages follow AWS's ``Signature expired: <date> is now earlier than <now-15>
    (<now> - 15 min.)`` and its "not yet current" counterpart.
    """
    if params.signed_at > now + MAX_SKEW:
        signed = format_amz_date(params.signed_at)
        raise SignatureDoesNotMatch(
            f"Signature not yet current: {signed} is still later than "
            f"{format_amz_date(now + MAX_SKEW)} ({format_amz_date(now)} + 15 min.)"
        )
    if params.kind is AuthKind.QUERY and params.expires is not None:
        window = timedelta(seconds=params.expires)
        if params.signed_at < now - window:
            signed = format_amz_date(params.signed_at)
            raise SignatureDoesNotMatch(
                f"Signature expired: {signed} is now earlier than "
                f"{format_amz_date(now - window)} ({format_amz_date(now)} - "
                f"{params.expires} sec.)"
            )
        return
    if params.signed_at < now - MAX_SKEW:
        signed = format_amz_date(params.signed_at)
        raise SignatureDoesNotMatch(
            f"Signature expired: {signed} is now earlier than "
            f"{format_amz_date(now - MAX_SKEW)} ({format_amz_date(now)} - 15 min.)"
        )


def check_scope(
    params: AuthParams, services: Sequence[str], regions: frozenset[str] | None
) -> None:
    """The credential scope must match the request date, terminator, service and region."""
    scope = params.credential
    if scope.date != params.amz_date[:8]:
        raise SignatureDoesNotMatch(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
            f"from HTTP: '{scope.date}' != '{params.amz_date[:8]}', from '{params.amz_date}'."
        )
    if scope.terminator != canonical.TERMINATOR:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped with a valid terminator: '{canonical.TERMINATOR}', "
            f"not '{scope.terminator}'. "
        )
    if scope.service not in services:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to correct service: '{services[0]}'. "
        )
    valid = scope.region in regions if regions is not None else _is_region_name(scope.region)
    if not valid:
        raise SignatureDoesNotMatch(
            f"Credential should be scoped to a valid region, not '{scope.region}'. "
        )


@lru_cache(maxsize=256)
def _is_region_name(region: str) -> bool:
    return _REGION.fullmatch(region) is not None


def compute_signature(
    request: HttpRequest, params: AuthParams, signing_key: bytes
) -> ComputedSignature:
    """Canonical request, string to sign and signature for ``request`` as ``params`` describe."""
    return ComputedSignature(*_sign(request, params, signing_key))


def _sign(request: HttpRequest, params: AuthParams, signing_key: bytes) -> tuple[str, str, str]:
    exclude = ("X-Amz-Signature",) if params.kind is AuthKind.QUERY else ()
    # S3 signs the path exactly as sent (no normalization, no second encoding); only
    # ``/authorize`` sees S3-style clients, of the services that use iamd.
    raw_path = request.raw_path
    s3 = params.credential.service == "s3"
    creq = canonical.canonical_request(
        method=request.method.upper(),
        uri=(raw_path or "/") if s3 else canonical.canonical_uri(raw_path),
        query=canonical.canonical_query_string(request.raw_query, exclude=exclude),
        headers=canonical.canonical_headers_by_name(request.headers_by_name, params.signed_headers),
        signed=canonical.signed_headers(params.signed_headers),
        body_hash=_payload_hash(request),
    )
    sts = canonical.string_to_sign(params.amz_date, params.credential.scope, creq)
    return creq, sts, canonical.signature(signing_key, sts)


def _payload_hash(request: HttpRequest) -> str:
    """The body's hash; a client-sent X-Amz-Content-Sha256 must agree with it.

    S3's ``UNSIGNED-PAYLOAD`` and streaming modes do not apply to IAM or STS, so any value
    other than the real hash is refused rather than trusted.
    """
    known = request.payload_hash  # given instead of the body (``/authorize``)
    actual = canonical.payload_hash(request.body) if known is None else known
    claimed = request.header_values(CONTENT_SHA256)
    if not claimed:
        return actual
    if len(claimed) > 1 or claimed[0].strip().lower() != actual.lower():
        raise SignatureDoesNotMatch(
            "The provided 'x-amz-content-sha256' header does not match what was computed."
        )
    return claimed[0].strip()


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)
