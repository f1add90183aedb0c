"""Certificates for Roles Anywhere: a trust anchor's CA bundle, and the path from a
request's end-entity certificate to one of its CAs.

A bundle is one or more PEM certificates, each a CA (basic constraints ``CA:TRUE``). A
path is checked link by link with ``cryptography``: each certificate's signature by the
next one's key (``verify_directly_issued_by``, which also matches issuer and subject),
every certificate within its validity period at the request's time, every issuer a CA
allowed to sign certificates, and the end entity allowed to sign (key usage
``digitalSignature``, when the extension is present) and not a CA itself. The path is
searched over the request's chain only (at most ``auth.x509.MAX_CHAIN`` certificates),
so the work is bounded whatever the request carries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

MAX_BUNDLE_CERTIFICATES = 50


class BundleError(ValueError):
    """The trust anchor's certificate data is not a bundle of CA certificates."""


class Untrusted(Exception):
    """No valid path from the certificate to the anchor's CAs; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Path:
    """A verified path: the end entity, the intermediates used, and the anchor's CA."""

    leaf: x509.Certificate
    intermediates: tuple[x509.Certificate, ...]
    root: x509.Certificate


def parse_bundle(data: str) -> tuple[x509.Certificate, ...]:
    """The CA certificates of a PEM bundle; BundleError if it holds anything else."""
    if data.count("-----BEGIN") > MAX_BUNDLE_CERTIFICATES:
        raise BundleError(f"A bundle holds at most {MAX_BUNDLE_CERTIFICATES} certificates.")
    try:
        certificates = x509.load_pem_x509_certificates(data.encode("utf-8"))
        for certificate in certificates:
            certificate.public_key()
            if not _is_ca(certificate):
                raise BundleError("The certificate bundle must contain only CA certificates.")
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError("Unable to parse the certificate bundle.") from None
    return tuple(certificates)


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    except x509.ExtensionNotFound:
        return False
    return constraints.value.ca


def _may_sign_certificates(certificate: x509.Certificate) -> bool:
    if not _is_ca(certificate):
        return False
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return usage.key_cert_sign


def _valid_at(certificate: x509.Certificate, now: dt.datetime) -> bool:
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def _issued_by(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def verify_path(
    leaf: x509.Certificate,
    chain: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
    now: dt.datetime,
) -> Path:
    """The path from ``leaf`` through ``chain`` to one of ``roots``; Untrusted if none."""
    if not _valid_at(leaf, now):
        raise Untrusted("Certificate is not within its validity period")
    if _is_ca(leaf):
        raise Untrusted("End-entity certificate must not be a CA")
    try:
        usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.digital_signature:
            raise Untrusted("Certificate key usage does not allow digital signatures")
    except x509.ExtensionNotFound:
        pass
    used: list[x509.Certificate] = []
    current = leaf
    # Each step uses one more certificate of the chain, so the walk ends.
    for _ in range(len(chain) + 1):
        for root in roots:
            if _may_sign_certificates(root) and _issued_by(current, root):
                if not _valid_at(root, now):
                    raise Untrusted("CA certificate is not within its validity period")
                return Path(leaf, tuple(used), root)
        step = next(
            (
                c
                for c in chain
                if c not in used and _may_sign_certificates(c) and _issued_by(current, c)
            ),
            None,
        )
        if step is None:
            break
        if not _valid_at(step, now):
            raise Untrusted("Intermediate certificate is not within its validity period")
        used.append(step)
        current = step
    raise Untrusted("Untrusted Signing Certificate")


def names(name: x509.Name) -> list[tuple[str, str]]:
    """A distinguished name's attributes as (short name, value): ``CN``, ``O``, ``OU``...

    Attributes without a short name (an OID only) are left out, as session tags need one.
    """
    out: list[tuple[str, str]] = []
    for attribute in name:
        short = _SHORT.get(attribute.oid)
        if short is not None and isinstance(attribute.value, str):
            out.append((short, attribute.value))
    return out


_SHORT = {
    NameOID.COMMON_NAME: "CN",
    NameOID.ORGANIZATION_NAME: "O",
    NameOID.ORGANIZATIONAL_UNIT_NAME: "OU",
    NameOID.COUNTRY_NAME: "C",
    NameOID.STATE_OR_PROVINCE_NAME: "ST",
    NameOID.LOCALITY_NAME: "L",
    NameOID.DOMAIN_COMPONENT: "DC",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.TITLE: "title",
    NameOID.EMAIL_ADDRESS: "emailAddress",
    NameOID.USER_ID: "UID",
}


def subject_alternative_names(certificate: x509.Certificate) -> list[tuple[str, str]]:
    """The first DNS name, directory name and URI of the SAN, as AWS maps them by default."""
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    out: list[tuple[str, str]] = []
    dns = san.get_values_for_type(x509.DNSName)
    if dns:
        out.append(("DNS", dns[0]))
    directory = san.get_values_for_type(x509.DirectoryName)
    if directory:
        out.append(("DirectoryName", directory[0].rfc4514_string()))
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    if uris:
        out.append(("URI", uris[0]))
    return out


# --- revocation -------------------------------------------------------------------------


def parse_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL in PEM or DER form; BundleError if it is neither."""
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise BundleError("Unable to parse the certificate revocation list.") from None


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(Encoding.DER)


def check_revocation(path: Path, crls: Sequence[bytes]) -> None:
    """Untrusted if a CRL, signed by the issuer of a certificate on ``path``, lists it."""
    if not crls:
        return
    links = list(
        zip((path.leaf, *path.intermediates), (*path.intermediates, path.root), strict=True)
    )
    for data in crls:
        try:
            crl = parse_crl(data)
        except BundleError:
            continue  # refused when imported; one that no longer parses revokes nothing
        for certificate, issuer in links:
            if crl.issuer != issuer.subject:
                continue
            if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is None:
                continue
            try:
                signed = crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
            except (TypeError, ValueError, UnsupportedAlgorithm):
                signed = False
            if signed:
                raise Untrusted("Certificate has been revoked")
