"""IAM users: rows and the few counts the operations check before deleting one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, select, update

from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.pagination import Page, page_by_name

u = schema.users


@dataclass(frozen=True, slots=True)
class User:
    user_id: str
    account_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime
    permissions_boundary_arn: str | None
    password_last_used: dt.datetime | None


def user_from_row(row: Row[Any]) -> User:
    return User(
        user_id=row.user_id,
        account_id=row.account_id,
        name=row.name,
        path=row.path,
        arn=row.arn,
        created_at=as_utc(row.created_at),
        permissions_boundary_arn=row.permissions_boundary_arn,
        password_last_used=as_utc(row.password_last_used) if row.password_last_used else None,
    )


def get_user_by_id(conn: Connection, user_id: str) -> User | None:
    row = conn.execute(select(u).where(u.c.user_id == user_id)).first()
    return user_from_row(row) if row is not None else None


def users_by_id(conn: Connection, user_ids: list[str]) -> dict[str, User]:
    if not user_ids:
        return {}
    rows = conn.execute(select(u).where(u.c.user_id.in_(user_ids)))
    return {row.user_id: user_from_row(row) for row in rows}


def list_users(
    conn: Connection,
    account_id: str,
    *,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Row[Any]]:
    """One page of the account's users under ``path_prefix``, by name ignoring case."""
    return page_by_name(
        conn, u, account_id, path_prefix=path_prefix, marker=marker, max_items=max_items
    )


def all_users(conn: Connection, account_id: str) -> list[User]:
    rows = conn.execute(select(u).where(u.c.account_id == account_id).order_by(u.c.name_lower))
    return [user_from_row(row) for row in rows]


def update_user(conn: Connection, user_id: str, *, name: str, path: str, arn: str) -> None:
    conn.execute(
        update(u)
        .where(u.c.user_id == user_id)
        .values(name=name, name_lower=name.lower(), path=path, arn=arn)
    )


def set_boundary(conn: Connection, user_id: str, arn: str | None) -> None:
    conn.execute(update(u).where(u.c.user_id == user_id).values(permissions_boundary_arn=arn))


def delete_user(conn: Connection, user_id: str) -> None:
    conn.execute(delete(u).where(u.c.user_id == user_id))


def count_users(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(u).where(u.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())


def count_mfa_devices(conn: Connection, user_id: str) -> int:
    """MFA devices enabled for the user (they block DeleteUser)."""
    m = schema.mfa_devices
    stmt = select(func.count()).select_from(m).where(m.c.user_id == user_id)
    return int(conn.execute(stmt).scalar_one())
