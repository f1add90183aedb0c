"""SAML 2.0 identity providers (``saml_providers``). No business rules: metadata parsing,
the quota and the name rules are the operations' (``iamd.iam.saml_providers``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from iamd.store import schema
from iamd.store.db import as_utc

_providers = schema.saml_providers


@dataclass(frozen=True, slots=True)
class SamlProvider:
    provider_uuid: str
    account_id: str
    name: str
    arn: str
    metadata_document: str
    valid_until: dt.datetime | None
    created_at: dt.datetime


def _provider(row: Row[Any]) -> SamlProvider:
    m = row._mapping
    valid_until = m["valid_until"]
    return SamlProvider(
        provider_uuid=m["provider_uuid"],
        account_id=m["account_id"],
        name=m["name"],
        arn=m["arn"],
        metadata_document=m["metadata_document"],
        valid_until=as_utc(valid_until) if valid_until is not None else None,
        created_at=as_utc(m["created_at"]),
    )


def row_values(provider: SamlProvider) -> dict[str, object]:
    """The ``saml_providers`` row of a new provider."""
    return {
        "provider_uuid": provider.provider_uuid,
        "account_id": provider.account_id,
        "name": provider.name,
        "name_lower": provider.name.lower(),
        "arn": provider.arn,
        "metadata_document": provider.metadata_document,
        "valid_until": provider.valid_until,
        "created_at": provider.created_at,
    }


def get_by_name(conn: Connection, account_id: str, name: str) -> SamlProvider | None:
    row = conn.execute(
        select(_providers).where(
            _providers.c.account_id == account_id, _providers.c.name_lower == name.lower()
        )
    ).first()
    return _provider(row) if row is not None else None


def list_all(conn: Connection, account_id: str) -> list[SamlProvider]:
    """Every provider of the account, by name (AWS caps them at 100, so no pages)."""
    stmt = (
        select(_providers)
        .where(_providers.c.account_id == account_id)
        .order_by(_providers.c.name_lower)
    )
    return [_provider(row) for row in conn.execute(stmt)]


def count(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(_providers).where(_providers.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())


def update_metadata(
    conn: Connection, provider_uuid: str, document: str, valid_until: dt.datetime | None
) -> None:
    conn.execute(
        update(_providers)
        .where(_providers.c.provider_uuid == provider_uuid)
        .values(metadata_document=document, valid_until=valid_until)
    )


def delete_provider(conn: Connection, provider_uuid: str) -> None:
    conn.execute(delete(_providers).where(_providers.c.provider_uuid == provider_uuid))
