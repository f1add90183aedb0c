"""IAM Roles Anywhere's trust anchors and profiles: rows and the queries their operations need.

No business rules: the operations validate and decide. Lists are pages in id order read
from the ``(account_id, id)`` indexes, so a page costs the same however many there are.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, delete, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc, insert_ignore
from iamd.store.pagination import Page, paginate
from iamd.store.sql import Query

_anchors = schema.ra_trust_anchors
_profiles = schema.ra_profiles
_crls = schema.ra_crls


def _named(table: Table, row: tuple[Any, ...]) -> Any:
    """A plain row of ``select(table)`` (``sql.Query``) read by column name."""
    return SimpleNamespace(**dict(zip(table.c.keys(), row, strict=True)))


@dataclass(frozen=True, slots=True)
class TrustAnchor:
    trust_anchor_id: str
    account_id: str
    name: str
    source_type: str
    certificate_data: str
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Profile:
    profile_id: str
    account_id: str
    name: str
    enabled: bool
    role_arns: tuple[str, ...]
    managed_policy_arns: tuple[str, ...]
    session_policy: str | None
    duration_seconds: int
    require_instance_properties: bool
    accept_role_session_name: bool
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    # (certificate field, specifiers) pairs; None: the default mappings
    attribute_mappings: tuple[tuple[str, tuple[str, ...]], ...] | None = None


def _anchor(row: Row[Any]) -> TrustAnchor:
    return TrustAnchor(
        trust_anchor_id=row.trust_anchor_id,
        account_id=row.account_id,
        name=row.name,
        source_type=row.source_type,
        certificate_data=row.certificate_data,
        enabled=bool(row.enabled),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _profile(row: Row[Any]) -> Profile:
    return Profile(
        profile_id=row.profile_id,
        account_id=row.account_id,
        name=row.name,
        enabled=bool(row.enabled),
        role_arns=tuple(json.loads(row.role_arns)),
        managed_policy_arns=tuple(json.loads(row.managed_policy_arns)),
        session_policy=row.session_policy,
        duration_seconds=int(row.duration_seconds),
        require_instance_properties=bool(row.require_instance_properties),
        accept_role_session_name=bool(row.accept_role_session_name),
        created_by=row.created_by,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
        attribute_mappings=_mappings(row.attribute_mappings),
    )


def _mappings(text: str | None) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    if text is None:
        return None
    return tuple((str(field), tuple(str(s) for s in specs)) for field, specs in json.loads(text))


# --- trust anchors ----------------------------------------------------------------------


def insert_trust_anchor(conn: Connection, anchor: TrustAnchor) -> None:
    conn.execute(
        insert(_anchors).values(
            trust_anchor_id=anchor.trust_anchor_id,
            account_id=anchor.account_id,
            name=anchor.name,
            source_type=anchor.source_type,
            certificate_data=anchor.certificate_data,
            enabled=anchor.enabled,
            created_at=anchor.created_at,
            updated_at=anchor.updated_at,
        )
    )


# CreateSession reads an anchor, a profile, CRLs and a subject on every call: prebuilt.
_ANCHOR = Query(
    select(_anchors).where(
        _anchors.c.account_id == bindparam("account"), _anchors.c.trust_anchor_id == bindparam("id")
    )
)


def get_trust_anchor(conn: Connection, account_id: str, anchor_id: str) -> TrustAnchor | None:
    row = _ANCHOR.first(conn, {"account": account_id, "id": anchor_id})
    return _anchor(_named(_anchors, row)) if row is not None else None


def update_trust_anchor(
    conn: Connection, anchor_id: str, values: Mapping[str, object], now: dt.datetime
) -> None:
    """Set the columns in ``values`` (name, source_type, certificate_data, enabled)."""
    conn.execute(
        update(_anchors)
        .where(_anchors.c.trust_anchor_id == anchor_id)
        .values(**values, updated_at=now)
    )


def delete_trust_anchor(conn: Connection, anchor_id: str) -> None:
    conn.execute(delete(_anchors).where(_anchors.c.trust_anchor_id == anchor_id))


def list_trust_anchors(
    conn: Connection, account_id: str, *, marker: str | None, max_items: int
) -> Page[TrustAnchor]:
    page = paginate(
        conn,
        select(_anchors).where(_anchors.c.account_id == account_id),
        order_by=[_anchors.c.trust_anchor_id],
        key=lambda row: [row.trust_anchor_id],
        marker=marker,
        max_items=max_items,
    )
    return Page(tuple(_anchor(row) for row in page.items), page.is_truncated, page.marker)


# --- profiles ---------------------------------------------------------------------------


def _profile_values(profile: Profile) -> dict[str, object]:
    return {
        "name": profile.name,
        "enabled": profile.enabled,
        "role_arns": json.dumps(list(profile.role_arns)),
        "managed_policy_arns": json.dumps(list(profile.managed_policy_arns)),
        "session_policy": profile.session_policy,
        "duration_seconds": profile.duration_seconds,
        "require_instance_properties": profile.require_instance_properties,
        "accept_role_session_name": profile.accept_role_session_name,
        "attribute_mappings": (
            None
            if profile.attribute_mappings is None
            else json.dumps([[f, list(s)] for f, s in profile.attribute_mappings])
        ),
        "updated_at": profile.updated_at,
    }


def insert_profile(conn: Connection, profile: Profile) -> None:
    conn.execute(
        insert(_profiles).values(
            profile_id=profile.profile_id,
            account_id=profile.account_id,
            created_by=profile.created_by,
            created_at=profile.created_at,
            **_profile_values(profile),
        )
    )


_PROFILE = Query(
    select(_profiles).where(
        _profiles.c.account_id == bindparam("account"), _profiles.c.profile_id == bindparam("id")
    )
)


def get_profile(conn: Connection, account_id: str, profile_id: str) -> Profile | None:
    row = _PROFILE.first(conn, {"account": account_id, "id": profile_id})
    return _profile(_named(_profiles, row)) if row is not None else None


def save_profile(conn: Connection, profile: Profile) -> None:
    """Write every changeable column of ``profile`` (found by its id)."""
    conn.execute(
        update(_profiles)
        .where(_profiles.c.profile_id == profile.profile_id)
        .values(**_profile_values(profile))
    )


def delete_profile(conn: Connection, profile_id: str) -> None:
    conn.execute(delete(_profiles).where(_profiles.c.profile_id == profile_id))


def list_profiles(
    conn: Connection, account_id: str, *, marker: str | None, max_items: int
) -> Page[Profile]:
    page = paginate(
        conn,
        select(_profiles).where(_profiles.c.account_id == account_id),
        order_by=[_profiles.c.profile_id],
        key=lambda row: [row.profile_id],
        marker=marker,
        max_items=max_items,
    )
    return Page(tuple(_profile(row) for row in page.items), page.is_truncated, page.marker)


# --- certificate revocation lists -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Crl:
    crl_id: str
    account_id: str
    trust_anchor_id: str
    name: str
    crl_data: bytes
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime


def _crl(row: Row[Any]) -> Crl:
    return Crl(
        crl_id=row.crl_id,
        account_id=row.account_id,
        trust_anchor_id=row.trust_anchor_id,
        name=row.name,
        crl_data=bytes(row.crl_data),
        enabled=bool(row.enabled),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def insert_crl(conn: Connection, crl: Crl) -> None:
    conn.execute(
        insert(_crls).values(
            crl_id=crl.crl_id,
            account_id=crl.account_id,
            trust_anchor_id=crl.trust_anchor_id,
            name=crl.name,
            crl_data=crl.crl_data,
            enabled=crl.enabled,
            created_at=crl.created_at,
            updated_at=crl.updated_at,
        )
    )


def get_crl(conn: Connection, account_id: str, crl_id: str) -> Crl | None:
    row = conn.execute(
        select(_crls).where(_crls.c.account_id == account_id, _crls.c.crl_id == crl_id)
    ).first()
    return _crl(row) if row is not None else None


def save_crl(conn: Connection, crl: Crl) -> None:
    """Write the changeable columns of ``crl`` (name, data, enabled, updated_at)."""
    conn.execute(
        update(_crls)
        .where(_crls.c.crl_id == crl.crl_id)
        .values(
            name=crl.name, crl_data=crl.crl_data, enabled=crl.enabled, updated_at=crl.updated_at
        )
    )


def delete_crl(conn: Connection, crl_id: str) -> None:
    conn.execute(delete(_crls).where(_crls.c.crl_id == crl_id))


def delete_crls_of(conn: Connection, trust_anchor_id: str) -> list[str]:
    """Delete a trust anchor's CRLs; their ids."""
    ids = [
        row.crl_id
        for row in conn.execute(
            select(_crls.c.crl_id).where(_crls.c.trust_anchor_id == trust_anchor_id)
        )
    ]
    conn.execute(delete(_crls).where(_crls.c.trust_anchor_id == trust_anchor_id))
    return ids


_ENABLED_CRLS = Query(
    select(_crls.c.crl_data).where(
        _crls.c.trust_anchor_id == bindparam("anchor"), _crls.c.enabled.is_(True)
    )
)


def enabled_crls(conn: Connection, trust_anchor_id: str) -> list[bytes]:
    """The data of a trust anchor's enabled CRLs (checked at every CreateSession)."""
    return [bytes(row[0]) for row in _ENABLED_CRLS.all(conn, {"anchor": trust_anchor_id})]


def list_crls(
    conn: Connection, account_id: str, *, marker: str | None, max_items: int
) -> Page[Crl]:
    page = paginate(
        conn,
        select(_crls).where(_crls.c.account_id == account_id),
        order_by=[_crls.c.crl_id],
        key=lambda row: [row.crl_id],
        marker=marker,
        max_items=max_items,
    )
    return Page(tuple(_crl(row) for row in page.items), page.is_truncated, page.marker)


# --- subjects -------------------------------------------------------------------------

_subjects = schema.ra_subjects


@dataclass(frozen=True, slots=True)
class Subject:
    subject_id: str
    account_id: str
    x509_subject: str
    enabled: bool
    last_serial: str
    last_issuer: str
    last_certificate: str
    last_instance_properties: str | None
    last_seen_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime


def _subject(row: Row[Any]) -> Subject:
    return Subject(
        subject_id=row.subject_id,
        account_id=row.account_id,
        x509_subject=row.x509_subject,
        enabled=bool(row.enabled),
        last_serial=row.last_serial,
        last_issuer=row.last_issuer,
        last_certificate=row.last_certificate,
        last_instance_properties=row.last_instance_properties,
        last_seen_at=as_utc(row.last_seen_at),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


_SUBJECT = Query(
    select(_subjects).where(
        _subjects.c.account_id == bindparam("account"), _subjects.c.subject_id == bindparam("id")
    )
)


def get_subject(conn: Connection, account_id: str, subject_id: str) -> Subject | None:
    row = _SUBJECT.first(conn, {"account": account_id, "id": subject_id})
    return _subject(_named(_subjects, row)) if row is not None else None


def insert_subject(conn: Connection, subject: Subject) -> bool:
    """Insert unless a concurrent session already did; True if inserted."""
    return insert_ignore(
        conn,
        _subjects,
        {
            "subject_id": subject.subject_id,
            "account_id": subject.account_id,
            "x509_subject": subject.x509_subject,
            "enabled": subject.enabled,
            "last_serial": subject.last_serial,
            "last_issuer": subject.last_issuer,
            "last_certificate": subject.last_certificate,
            "last_instance_properties": subject.last_instance_properties,
            "last_seen_at": subject.last_seen_at,
            "created_at": subject.created_at,
            "updated_at": subject.updated_at,
        },
    )


def note_seen(conn: Connection, subject: Subject) -> None:
    """Record the subject's latest certificate, instance properties and time."""
    conn.execute(
        update(_subjects)
        .where(_subjects.c.subject_id == subject.subject_id)
        .values(
            last_serial=subject.last_serial,
            last_issuer=subject.last_issuer,
            last_certificate=subject.last_certificate,
            last_instance_properties=subject.last_instance_properties,
            last_seen_at=subject.last_seen_at,
            updated_at=subject.updated_at,
        )
    )


def list_subjects(
    conn: Connection, account_id: str, *, marker: str | None, max_items: int
) -> Page[Subject]:
    page = paginate(
        conn,
        select(_subjects).where(_subjects.c.account_id == account_id),
        order_by=[_subjects.c.subject_id],
        key=lambda row: [row.subject_id],
        marker=marker,
        max_items=max_items,
    )
    return Page(tuple(_subject(row) for row in page.items), page.is_truncated, page.marker)
