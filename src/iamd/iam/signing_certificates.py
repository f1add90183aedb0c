"""X.509 signing certificates of IAM users and of the account root:
Upload/List/Update/DeleteSigningCertificate.

The certificate is parsed with ``cryptography``: PEM that does not parse is
MalformedCertificate, one that has expired (or is not yet valid) InvalidCertificate, the
same certificate twice for one owner DuplicateCertificate, and an owner holds at most
two. Without ``UserName`` the operations act on the caller's own certificates: an IAM
user's, or the root's when the root calls.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from iamd.errors import (
    DuplicateCertificate,
    InvalidCertificate,
    MalformedCertificate,
    NoSuchEntity,
)
from iamd.iam.access_keys import owner
from iamd.iam.attachments import page
from iamd.iam.documents import quota_exceeded
from iamd.iam.users import user_target
from iamd.model.ids import certificate_id
from iamd.operations import OperationContext, Params, Result, operation
from iamd.store.user_credentials import SIGNING_CERTIFICATES, Credential

CERTIFICATES_PER_USER = 2


def parse_certificate(ctx: OperationContext, body: str) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise MalformedCertificate(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    if not certificate.not_valid_before_utc <= ctx.now <= certificate.not_valid_after_utc:
        raise InvalidCertificate("The certificate is expired or not yet valid.")
    return certificate


def certificate_not_found(certificate_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")


def _shape(cert: Credential, user_name: str | None) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "CertificateId": cert.credential_id,
        "CertificateBody": cert.fields["body"],
        "Status": cert.status,
        "UploadDate": cert.created_at,
    }
    if user_name is not None:
        shape["UserName"] = user_name
    return shape


@operation("iam", "UploadSigningCertificate", target=user_target)
def upload_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    user_id, user_name = owner(ctx, params)
    body = params["CertificateBody"]  # kept as sent: clients compare it byte for byte
    certificate = parse_certificate(ctx, body)
    der = certificate.public_bytes(serialization.Encoding.DER)
    printed = hashlib.sha256(der).hexdigest()
    if SIGNING_CERTIFICATES.count(ctx.db, ctx.account_id, user_id, fingerprint=printed):
        raise DuplicateCertificate("The certificate is already in use by this owner.")
    if SIGNING_CERTIFICATES.count(ctx.db, ctx.account_id, user_id) >= CERTIFICATES_PER_USER:
        raise quota_exceeded("SigningCertificatesPerUser", CERTIFICATES_PER_USER)
    stored = SIGNING_CERTIFICATES.insert(
        ctx.db,
        certificate_id(ctx.random),
        account_id=ctx.account_id,
        user_id=user_id,
        now=ctx.now,
        body=body,
        fingerprint=printed,
    )
    return {"Certificate": _shape(stored, user_name)}


@operation("iam", "ListSigningCertificates", target=user_target)
def list_signing_certificates(ctx: OperationContext, params: Params) -> Result:
    user_id, user_name = owner(ctx, params)
    found = SIGNING_CERTIFICATES.list(ctx.db, ctx.account_id, user_id)
    shapes = [_shape(c, user_name) for c in found]
    return page(shapes, params, "Certificates", key=lambda c: c["CertificateId"])


@operation("iam", "UpdateSigningCertificate", target=user_target)
def update_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    user_id, _ = owner(ctx, params)
    cert_id = params["CertificateId"]
    changed = SIGNING_CERTIFICATES.change(
        ctx.db, ctx.account_id, user_id, cert_id, status=params["Status"]
    )
    if not changed:
        raise certificate_not_found(cert_id)
    return {}


@operation("iam", "DeleteSigningCertificate", target=user_target)
def delete_signing_certificate(ctx: OperationContext, params: Params) -> Result:
    user_id, _ = owner(ctx, params)
    cert_id = params["CertificateId"]
    if not SIGNING_CERTIFICATES.delete(ctx.db, ctx.account_id, user_id, cert_id):
        raise certificate_not_found(cert_id)
    return {}
