"""IAM OIDC identity providers (``oidc_providers``). No business rules: URL, client-id and
thumbprint checks and the quotas are the operations' (``iamd.iam.oidc_providers``)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from iamd.store import schema
from iamd.store.db import as_utc

_providers = schema.oidc_providers


@dataclass(frozen=True, slots=True)
class OidcProvider:
    arn: str
    account_id: str
    url: str  # as created, with its scheme: https://host/path
    client_ids: tuple[str, ...]
    thumbprints: tuple[str, ...]
    created_at: dt.datetime


def _provider(row: Row[Any]) -> OidcProvider:
    m = row._mapping
    return OidcProvider(
        arn=m["arn"],
        account_id=m["account_id"],
        url=m["url"],
        client_ids=tuple(json.loads(m["client_ids"])),
        thumbprints=tuple(json.loads(m["thumbprints"])),
        created_at=as_utc(m["created_at"]),
    )


def insert_provider(conn: Connection, provider: OidcProvider) -> None:
    """Insert a new provider; ``RowConflict`` (unique) if its ARN or URL is taken."""
    conn.execute(
        _providers.insert().values(
            arn=provider.arn,
            account_id=provider.account_id,
            url=provider.url,
            client_ids=json.dumps(list(provider.client_ids)),
            thumbprints=json.dumps(list(provider.thumbprints)),
            created_at=provider.created_at,
        )
    )


def get_by_arn(conn: Connection, arn: str) -> OidcProvider | None:
    row = conn.execute(select(_providers).where(_providers.c.arn == arn)).first()
    return _provider(row) if row is not None else None


def get_by_url(conn: Connection, account_id: str, url: str) -> OidcProvider | None:
    """The provider of ``account_id`` created with exactly ``url`` (scheme included)."""
    row = conn.execute(
        select(_providers).where(_providers.c.account_id == account_id, _providers.c.url == url)
    ).first()
    return _provider(row) if row is not None else None


def list_providers(conn: Connection, account_id: str) -> list[OidcProvider]:
    """Every provider of the account, by ARN (AWS returns them all, unpaginated)."""
    stmt = select(_providers).where(_providers.c.account_id == account_id)
    return [_provider(row) for row in conn.execute(stmt.order_by(_providers.c.arn))]


def count_providers(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(_providers)
    return int(conn.execute(stmt.where(_providers.c.account_id == account_id)).scalar_one())


def set_client_ids(conn: Connection, arn: str, client_ids: tuple[str, ...]) -> None:
    conn.execute(
        update(_providers)
        .where(_providers.c.arn == arn)
        .values(client_ids=json.dumps(list(client_ids)))
    )


def set_thumbprints(conn: Connection, arn: str, thumbprints: tuple[str, ...]) -> None:
    conn.execute(
        update(_providers)
        .where(_providers.c.arn == arn)
        .values(thumbprints=json.dumps(list(thumbprints)))
    )


def delete_provider(conn: Connection, arn: str) -> None:
    conn.execute(delete(_providers).where(_providers.c.arn == arn))
