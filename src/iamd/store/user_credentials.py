"""A user's credentials besides access keys: SSH public keys, signing certificates and
service-specific credentials. One repository shape for the three tables: rows keyed by
their id, owned by a user (or, for signing certificates, the account root: ``user_id``
None), each Active or Inactive."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Row, Table, delete, func, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc

STATUSES = ("Active", "Inactive")


@dataclass(frozen=True, slots=True)
class Credential:
    """One row, whatever its table: the id, owner, status and the table's own fields."""

    credential_id: str
    account_id: str
    user_id: str | None
    status: str
    created_at: dt.datetime
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Kind:
    table: Table
    id_column: str

    @property
    def _id(self) -> Column[Any]:
        return self.table.c[self.id_column]

    def _owned(self, account_id: str, user_id: str | None) -> list[Any]:
        owner = self.table.c.user_id
        return [
            self.table.c.account_id == account_id,
            owner.is_(None) if user_id is None else owner == user_id,
        ]

    def _row(self, row: Row[Any]) -> Credential:
        values = row._asdict()
        return Credential(
            credential_id=values.pop(self.id_column),
            account_id=values.pop("account_id"),
            user_id=values.pop("user_id"),
            status=values.pop("status"),
            created_at=as_utc(values.pop("created_at")),
            fields=values,
        )

    def insert(
        self,
        conn: Connection,
        credential_id: str,
        *,
        account_id: str,
        user_id: str | None,
        now: dt.datetime,
        **fields: Any,
    ) -> Credential:
        values = {
            self.id_column: credential_id,
            "account_id": account_id,
            "user_id": user_id,
            "status": "Active",
            "created_at": now,
            **fields,
        }
        conn.execute(insert(self.table).values(values))
        return Credential(credential_id, account_id, user_id, "Active", now, fields)

    def list(
        self, conn: Connection, account_id: str, user_id: str | None, **where: Any
    ) -> list[Credential]:
        stmt = select(self.table).where(*self._owned(account_id, user_id))
        for column, value in where.items():
            stmt = stmt.where(self.table.c[column] == value)
        rows = conn.execute(stmt.order_by(self.table.c.created_at, self._id))
        return [self._row(row) for row in rows]

    def count(self, conn: Connection, account_id: str, user_id: str | None, **where: Any) -> int:
        stmt = select(func.count()).select_from(self.table).where(*self._owned(account_id, user_id))
        for column, value in where.items():
            stmt = stmt.where(self.table.c[column] == value)
        return int(conn.execute(stmt).scalar_one())

    def count_of_user(self, conn: Connection, user_id: str) -> int:
        stmt = select(func.count()).select_from(self.table).where(self.table.c.user_id == user_id)
        return int(conn.execute(stmt).scalar_one())

    def get(
        self, conn: Connection, account_id: str, user_id: str | None, credential_id: str
    ) -> Credential | None:
        stmt = select(self.table).where(
            self._id == credential_id, *self._owned(account_id, user_id)
        )
        row = conn.execute(stmt).first()
        return None if row is None else self._row(row)

    def change(
        self,
        conn: Connection,
        account_id: str,
        user_id: str | None,
        credential_id: str,
        **values: Any,
    ) -> bool:
        """Set ``values`` on the credential; False when the owner has no such credential."""
        stmt = (
            update(self.table)
            .where(self._id == credential_id, *self._owned(account_id, user_id))
            .values(**values)
        )
        return conn.execute(stmt).rowcount == 1

    def delete(
        self, conn: Connection, account_id: str, user_id: str | None, credential_id: str
    ) -> bool:
        stmt = delete(self.table).where(
            self._id == credential_id, *self._owned(account_id, user_id)
        )
        return conn.execute(stmt).rowcount == 1


SSH_KEYS = Kind(schema.ssh_public_keys, "key_id")
SIGNING_CERTIFICATES = Kind(schema.signing_certificates, "certificate_id")
SERVICE_CREDENTIALS = Kind(schema.service_specific_credentials, "credential_id")


def has_login_profile(conn: Connection, user_id: str) -> bool:
    t = schema.login_profiles
    return conn.execute(select(t.c.user_id).where(t.c.user_id == user_id)).first() is not None


def find(kind: Kind, conn: Connection, **where: Any) -> list[Credential]:
    """Credentials of ``kind`` in any account matching ``where`` (column = value)."""
    stmt = select(kind.table)
    for column, value in where.items():
        stmt = stmt.where(kind.table.c[column] == value)
    return [kind._row(row) for row in conn.execute(stmt)]
