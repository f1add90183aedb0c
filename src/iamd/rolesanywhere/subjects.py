"""Subjects: the certificate identities that have obtained sessions (GetSubject,
ListSubjects), recorded by CreateSession.

A subject is one distinguished name in one account; its id is derived from both, so
every node names it alike. Each successful CreateSession records the certificate it came
with and its instance properties; the time is written at most once a minute per subject
(with the same certificate) so that CreateSession stays a read in the common case.
Refused attempts are not recorded: their transaction is rolled back with the refusal.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from iamd.operations import OperationContext, Params, Result, operation
from iamd.rolesanywhere import resources
from iamd.rolesanywhere.resources import SUBJECT
from iamd.store import rolesanywhere as store
from iamd.store.pagination import InvalidMarker

SEEN_GRANULARITY = dt.timedelta(minutes=1)
_NAMESPACE = uuid.UUID("6f1c2d0e-8a57-4c1e-9a8e-2b7f61a3c0de")

_target = resources.resource_target(SUBJECT, "subjectId")


def subject_id(account: str, certificate: x509.Certificate) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{account}/{certificate.subject.rfc4514_string()}"))


def record(
    ctx: OperationContext,
    account: str,
    certificate: x509.Certificate,
    properties: Mapping[str, str] | None,
) -> str:
    """Note that ``certificate`` obtained a session in ``account``; the subject's id."""
    found_id = subject_id(account, certificate)
    seen = store.Subject(
        subject_id=found_id,
        account_id=account,
        x509_subject=certificate.subject.rfc4514_string(),
        enabled=True,
        last_serial=str(certificate.serial_number),
        last_issuer=certificate.issuer.rfc4514_string(),
        last_certificate=certificate.public_bytes(Encoding.PEM).decode("ascii"),
        last_instance_properties=json.dumps(dict(properties)) if properties else None,
        last_seen_at=ctx.now,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    existing = store.get_subject(ctx.db, account, found_id)
    if existing is None:
        ctx.start_writing()
        if store.insert_subject(ctx.db, seen):
            return found_id
        existing = store.get_subject(ctx.db, account, found_id)
    if existing is not None and (
        existing.last_serial != seen.last_serial
        or existing.last_instance_properties != seen.last_instance_properties
        or ctx.now - existing.last_seen_at >= SEEN_GRANULARITY
    ):
        ctx.start_writing()
        store.note_seen(ctx.db, seen)
    return found_id


def _summary(ctx: OperationContext, subject: store.Subject) -> dict[str, Any]:
    return {
        "subjectArn": resources.arn(ctx, SUBJECT, subject.subject_id),
        "subjectId": subject.subject_id,
        "enabled": subject.enabled,
        "x509Subject": subject.x509_subject,
        "lastSeenAt": subject.last_seen_at,
        "createdAt": subject.created_at,
        "updatedAt": subject.updated_at,
    }


def detail(ctx: OperationContext, subject: store.Subject) -> dict[str, Any]:
    """The ``SubjectDetail`` output shape: the summary and the last credential seen."""
    result = _summary(ctx, subject)
    result["credentials"] = [
        {
            "seenAt": subject.last_seen_at,
            "serialNumber": subject.last_serial,
            "issuer": subject.last_issuer,
            "enabled": True,
            "x509CertificateData": subject.last_certificate,
            "failed": False,
        }
    ]
    if subject.last_instance_properties:
        result["instanceProperties"] = [
            {
                "seenAt": subject.last_seen_at,
                "properties": json.loads(subject.last_instance_properties),
                "failed": False,
            }
        ]
    return result


@operation("rolesanywhere", "GetSubject", target=_target)
def get_subject(ctx: OperationContext, params: Params) -> Result:
    return {"subject": detail(ctx, resources.find_subject(ctx, params["subjectId"]))}


@operation("rolesanywhere", "ListSubjects")
def list_subjects(ctx: OperationContext, params: Params) -> Result:
    token, size = resources.page_args(params)
    try:
        page = store.list_subjects(ctx.db, ctx.account_id, marker=token, max_items=size)
    except InvalidMarker:
        raise resources.invalid_token() from None
    result: Result = {"subjects": [_summary(ctx, subject) for subject in page.items]}
    if page.marker is not None:
        result["nextToken"] = page.marker
    return result
