"""Server certificates: Upload/Get/List/Update/DeleteServerCertificate and their tags.

The certificate, its private key and its chain are parsed with ``cryptography``: text
that is not PEM (or a certificate past its expiry) is MalformedCertificate, a key that
is not the certificate's KeyPairMismatch. The private key is checked and dropped: AWS
never returns it and iamd terminates no TLS with it. An account holds at most 20.
"""

from __future__ import annotations

import re
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Connection, Row, delete, func, insert, select, update

from iamd.errors import (
    EntityAlreadyExists,
    KeyPairMismatch,
    MalformedCertificate,
    NoSuchEntity,
)
from iamd.iam import tagging
from iamd.iam.attachments import page
from iamd.iam.documents import quota_exceeded
from iamd.model.ids import IdPrefix, unique_id
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import schema
from iamd.store.db import RowConflict, as_utc

CERTIFICATES_PER_ACCOUNT = 20
TAGS = tagging.Taggable("server-certificate", "TagsPerServerCertificate")
_T = schema.server_certificates
_PEM_CERTIFICATE = re.compile(
    r"-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----", re.ASCII
)


def _arn(account_id: str, path: str, name: str) -> str:
    return f"arn:aws:iam::{account_id}:server-certificate{path}{name}"


def certificate_target(ctx: OperationContext, params: Params) -> Target:
    found = _find(ctx.db, ctx.account_id, params["ServerCertificateName"])
    path = found.path if found is not None else "/"
    return Target(
        _arn(ctx.account_id, path, params["ServerCertificateName"]), account=ctx.account_id
    )


def _new_target(ctx: OperationContext, params: Params) -> Target:
    path = params.get("Path") or "/"
    return Target(
        _arn(ctx.account_id, path, params["ServerCertificateName"]), account=ctx.account_id
    )


def _find(conn: Connection, account_id: str, name: str) -> Row[Any] | None:
    stmt = select(_T).where(_T.c.account_id == account_id, _T.c.name_lower == name.lower())
    return conn.execute(stmt).first()


def _get(ctx: OperationContext, name: str) -> Row[Any]:
    found = _find(ctx.db, ctx.account_id, name)
    if found is None:
        raise NoSuchEntity(f"The Server Certificate with name {name} cannot be found.")
    return found


def _metadata(account_id: str, row: Row[Any]) -> dict[str, Any]:
    return {
        "Path": row.path,
        "ServerCertificateName": row.name,
        "ServerCertificateId": row.certificate_id,
        "Arn": _arn(account_id, row.path, row.name),
        "UploadDate": as_utc(row.created_at),
        "Expiration": as_utc(row.expires_at),
    }


def _certificate(ctx: OperationContext, body: str) -> x509.Certificate:
    try:
        certificate = x509.load_pem_x509_certificate(body.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise MalformedCertificate(
            "Unable to parse certificate. Please ensure the certificate is in PEM format."
        ) from None
    if certificate.not_valid_after_utc < ctx.now:
        raise MalformedCertificate("The certificate has expired.")
    return certificate


def _check_key(certificate: x509.Certificate, private_key: str) -> None:
    try:
        key = serialization.load_pem_private_key(private_key.strip().encode("ascii"), None)
    except (ValueError, TypeError, UnicodeEncodeError):
        raise MalformedCertificate(
            "Unable to parse the private key. Please ensure it is an unencrypted key in PEM format."
        ) from None
    mine = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    theirs = certificate.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    if mine != theirs:
        raise KeyPairMismatch("The public key in the certificate does not match the private key.")


def _check_chain(chain: str) -> None:
    blocks = _PEM_CERTIFICATE.findall(chain)
    try:
        if not blocks:
            raise ValueError("no certificate")
        for block in blocks:
            x509.load_pem_x509_certificate(block.encode("ascii"))
    except ValueError:
        raise MalformedCertificate("Unable to parse the certificate chain.") from None


@operation("iam", "UploadServerCertificate", target=_new_target)
def upload_server_certificate(ctx: OperationContext, params: Params) -> Result:
    certificate = _certificate(ctx, params["CertificateBody"])
    _check_key(certificate, params["PrivateKey"])
    chain = params.get("CertificateChain")
    if chain:
        _check_chain(chain)
    tags = tagging.parse_tags(params.get("Tags"))
    name = params["ServerCertificateName"]
    if _find(ctx.db, ctx.account_id, name) is not None:
        raise EntityAlreadyExists(f"The Server Certificate with name {name} already exists.")
    count = select(func.count()).select_from(_T).where(_T.c.account_id == ctx.account_id)
    if int(ctx.db.execute(count).scalar_one()) >= CERTIFICATES_PER_ACCOUNT:
        raise quota_exceeded("ServerCertificatesPerAccount", CERTIFICATES_PER_ACCOUNT)
    certificate_id = unique_id(IdPrefix.SERVER_CERTIFICATE, ctx.random)
    try:
        ctx.db.execute(
            insert(_T).values(
                certificate_id=certificate_id,
                account_id=ctx.account_id,
                name=name,
                name_lower=name.lower(),
                path=params.get("Path") or "/",
                # Kept as AWS keeps them, without surrounding whitespace (Terraform reads
                # them back that way).
                body=params["CertificateBody"].strip(),
                chain=chain.strip() if chain else None,
                expires_at=certificate.not_valid_after_utc,
                created_at=ctx.now,
            )
        )
    except RowConflict:
        raise EntityAlreadyExists(
            f"The Server Certificate with name {name} already exists."
        ) from None
    tagging.apply_tags(ctx.db, TAGS, certificate_id, tags, ctx.settings.quotas.tags_per_entity)
    row = _get(ctx, name)
    result: Result = {"ServerCertificateMetadata": _metadata(ctx.account_id, row)}
    if tags:
        result["Tags"] = tagging.tag_list(tags)
    return result


@operation("iam", "GetServerCertificate", target=certificate_target)
def get_server_certificate(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    found: dict[str, Any] = {
        "ServerCertificateMetadata": _metadata(ctx.account_id, row),
        "CertificateBody": row.body,
        "Tags": tagging.tag_list(
            tagging.tags_of(ctx.db, TAGS.resource_type, row.certificate_id).items()
        ),
    }
    if row.chain:
        found["CertificateChain"] = row.chain
    return {"ServerCertificate": found}


@operation("iam", "ListServerCertificates")
def list_server_certificates(ctx: OperationContext, params: Params) -> Result:
    prefix = params.get("PathPrefix") or "/"
    stmt = select(_T).where(_T.c.account_id == ctx.account_id).order_by(_T.c.name_lower)
    rows = [r for r in ctx.db.execute(stmt) if r.path.startswith(prefix)]
    shapes = [_metadata(ctx.account_id, r) for r in rows]
    return page(
        shapes,
        params,
        "ServerCertificateMetadataList",
        key=lambda s: s["ServerCertificateName"].lower(),
    )


@operation("iam", "UpdateServerCertificate", target=certificate_target)
def update_server_certificate(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    values: dict[str, Any] = {}
    if params.get("NewPath"):
        values["path"] = params["NewPath"]
    new_name = params.get("NewServerCertificateName")
    if new_name:
        if new_name.lower() != row.name_lower and _find(ctx.db, ctx.account_id, new_name):
            raise EntityAlreadyExists(
                f"The Server Certificate with name {new_name} already exists."
            )
        values.update(name=new_name, name_lower=new_name.lower())
        ctx.authorize(
            "iam:UpdateServerCertificate",
            Target(
                _arn(ctx.account_id, values.get("path", row.path), new_name), account=ctx.account_id
            ),
        )
    if values:
        ctx.db.execute(update(_T).where(_T.c.certificate_id == row.certificate_id).values(**values))
    return {}


@operation("iam", "DeleteServerCertificate", target=certificate_target)
def delete_server_certificate(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    tagging.delete_all_tags(ctx.db, TAGS, row.certificate_id)
    ctx.db.execute(delete(_T).where(_T.c.certificate_id == row.certificate_id))
    return {}


def _tag_context(ctx: OperationContext, params: Params) -> dict[str, object]:
    return tagging.request_tag_context(params.get("Tags"))


def _untag_context(ctx: OperationContext, params: Params) -> dict[str, object]:
    return tagging.tag_keys_context(params.get("TagKeys"))


@operation("iam", "TagServerCertificate", target=certificate_target, request_context=_tag_context)
def tag_server_certificate(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    tags = tagging.parse_tags(params.get("Tags"))
    tagging.apply_tags(ctx.db, TAGS, row.certificate_id, tags, ctx.settings.quotas.tags_per_entity)
    return {}


@operation(
    "iam", "UntagServerCertificate", target=certificate_target, request_context=_untag_context
)
def untag_server_certificate(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    tagging.untag(ctx.db, TAGS, row.certificate_id, tagging.parse_tag_keys(params.get("TagKeys")))
    return {}


@operation("iam", "ListServerCertificateTags", target=certificate_target)
def list_server_certificate_tags(ctx: OperationContext, params: Params) -> Result:
    row = _get(ctx, params["ServerCertificateName"])
    return tagging.list_tags_result(ctx.db, TAGS, row.certificate_id, params)


def count_of_account(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(_T).where(_T.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())
