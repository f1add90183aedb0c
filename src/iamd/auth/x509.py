"""The X.509 variant of SigV4 that IAM Roles Anywhere's CreateSession is signed with.

AWS's "IAM Roles Anywhere authentication signing process": the canonical request and the
credential scope are SigV4's, with three differences:

- the algorithm is ``AWS4-X509-RSA-SHA256`` or ``AWS4-X509-ECDSA-SHA256``, and it starts
  the string to sign in place of ``AWS4-HMAC-SHA256``;
- the signature is the hex of an RSA PKCS#1 v1.5 (or a DER-encoded ECDSA) signature over
  the string to sign with SHA-256, made by the end-entity certificate's private key;
- the certificate travels in ``X-Amz-X509`` (base64 of its DER form), any intermediate
  certificates in ``X-Amz-X509-Chain`` (comma-separated, same form), both signed headers;
  the Credential's key id is the certificate's serial number in decimal.

``verify_x509`` checks the syntax, the time window, the scope and the signature, all
against the certificate the request carries; whether that certificate is trusted (its
chain to a trust anchor, its validity, its revocation) is for the caller to decide, with
the store at hand. Everything here is pure: ``now`` comes in, nothing is read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from iamd.auth import canonical
from iamd.auth.parse import AuthParams, parse_amz_date, parse_credential
from iamd.auth.request import AuthKind, HttpRequest
from iamd.auth.sigv4 import check_scope, check_time
from iamd.errors import AccessDenied, IncompleteSignature

RSA_ALGORITHM = "AWS4-X509-RSA-SHA256"
ECDSA_ALGORITHM = "AWS4-X509-ECDSA-SHA256"
ALGORITHMS = (RSA_ALGORITHM, ECDSA_ALGORITHM)
SERVICE = "rolesanywhere"
CERTIFICATE_HEADER = "x-amz-x509"
CHAIN_HEADER = "x-amz-x509-chain"
MAX_CHAIN = 5  # intermediates a request may carry; a longer chain is refused unread

UNTRUSTED = "Untrusted Signing Certificate"
INVALID_SIGNATURE = "Signature is not valid"


@dataclass(frozen=True, slots=True)
class X509Signed:
    """A request whose signature checked out against the certificate it carries."""

    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]
    region: str
    signed_at: datetime


def is_x509_signed(request: HttpRequest) -> bool:
    """Whether the Authorization header names one of the X.509 algorithms."""
    values = request.header_values("authorization")
    return bool(values) and values[0].lstrip().startswith(ALGORITHMS)


def verify_x509(
    request: HttpRequest, now: datetime, *, regions: Collection[str] | None = None
) -> X509Signed:
    """Authenticate ``request`` by its X.509 signature at time ``now``.

    Malformed auth is IncompleteSignature (as for SigV4); a certificate that cannot be
    read is AccessDenied ``Untrusted Signing Certificate``; a bad signature is AccessDenied.
    """
    algorithm, params = _parse(request)
    check_time(params, now)
    check_scope(params, (SERVICE,), frozenset(regions) if regions is not None else None)
    signed = {name.lower() for name in params.signed_headers}
    if CERTIFICATE_HEADER not in signed:
        raise IncompleteSignature("'X-Amz-X509' must be a 'SignedHeader' in the AWS Authorization.")
    certificate = _certificate(request.header_values(CERTIFICATE_HEADER))
    chain_values = request.header_values(CHAIN_HEADER)
    if chain_values and CHAIN_HEADER not in signed:
        raise IncompleteSignature(
            "'X-Amz-X509-Chain' must be a 'SignedHeader' in the AWS Authorization."
        )
    chain = _chain(chain_values)
    if params.credential.access_key_id != str(certificate.serial_number):
        raise AccessDenied(INVALID_SIGNATURE)
    to_sign = string_to_sign(request, params, algorithm)
    _check_signature(certificate, algorithm, params.signature, to_sign)
    return X509Signed(certificate, chain, params.credential.region, params.signed_at)


def string_to_sign(request: HttpRequest, params: AuthParams, algorithm: str) -> str:
    """SigV4's string to sign, with the X.509 algorithm's name first."""
    creq = canonical.canonical_request(
        method=request.method.upper(),
        uri=canonical.canonical_uri(request.raw_path),
        query=canonical.canonical_query_string(request.raw_query),
        headers=canonical.canonical_headers_by_name(request.headers_by_name, params.signed_headers),
        signed=canonical.signed_headers(params.signed_headers),
        body_hash=canonical.payload_hash(request.body),
    )
    digest = hashlib.sha256(creq.encode("utf-8")).hexdigest()
    return f"{algorithm}\n{params.amz_date}\n{params.credential.scope}\n{digest}"


def _parse(request: HttpRequest) -> tuple[str, AuthParams]:
    headers = request.header_values("authorization")
    if len(headers) != 1:
        raise IncompleteSignature("Only one Authorization header is allowed.")
    tokens = headers[0].replace(",", " ").split()
    if not tokens or tokens[0] not in ALGORITHMS:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{tokens[0] if tokens else ''}'")
    fields: dict[str, str] = {}
    for token in tokens[1:]:
        key, equals, value = token.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{token}' not a valid key=value pair (missing equal-sign) in "
                "Authorization header."
            )
        fields.setdefault(key, value)
    missing = [
        f"Authorization header requires '{part}' parameter."
        for part in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(part)
    ]
    dates = request.header_values("x-amz-date")
    if not dates:
        missing.append("Authorization header requires existence of a 'X-Amz-Date' header.")
    if missing:
        raise IncompleteSignature(" ".join(missing))
    signed = tuple(fields["SignedHeaders"].split(";"))
    if any(not name for name in signed) or "host" not in {n.lower() for n in signed}:
        raise IncompleteSignature("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    amz_date = dates[0].strip()
    params = AuthParams(
        AuthKind.HEADER,
        parse_credential(fields["Credential"]),
        signed,
        fields["Signature"],
        amz_date,
        parse_amz_date(amz_date),
        None,
        None,
        False,
    )
    return tokens[0], params


def _load(value: str) -> x509.Certificate:
    """A certificate from base64 DER, with every part later checks read parsed now: a
    malformed extension, name or key is refused here rather than failing deeper."""
    try:
        certificate = x509.load_der_x509_certificate(base64.b64decode(value.strip(), validate=True))
        _ = certificate.extensions, certificate.subject, certificate.issuer
        certificate.public_key()
    except (binascii.Error, ValueError, TypeError, UnsupportedAlgorithm):
        raise AccessDenied(UNTRUSTED) from None
    return certificate


def _certificate(values: tuple[str, ...]) -> x509.Certificate:
    if len(values) != 1:
        raise AccessDenied(UNTRUSTED)
    return _load(values[0])


def _chain(values: tuple[str, ...]) -> tuple[x509.Certificate, ...]:
    if not values:
        return ()
    if len(values) > 1:
        raise AccessDenied(UNTRUSTED)
    parts = values[0].split(",", MAX_CHAIN)
    if len(parts) > MAX_CHAIN:
        raise AccessDenied(UNTRUSTED)
    return tuple(_load(part) for part in parts)


def _check_signature(
    certificate: x509.Certificate, algorithm: str, signature: str, to_sign: str
) -> None:
    try:
        raw = bytes.fromhex(signature)
    except ValueError:
        raise AccessDenied(INVALID_SIGNATURE) from None
    key = certificate.public_key()
    data = to_sign.encode("utf-8")
    try:
        if algorithm == RSA_ALGORITHM and isinstance(key, rsa.RSAPublicKey):
            key.verify(raw, data, padding.PKCS1v15(), hashes.SHA256())
        elif algorithm == ECDSA_ALGORITHM and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, data, ec.ECDSA(hashes.SHA256()))
        else:
            raise AccessDenied(INVALID_SIGNATURE)
    except InvalidSignature:
        raise AccessDenied(INVALID_SIGNATURE) from None
