"""IAM groups and their members."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.pagination import Page, page_by_name, paginate

g = schema.groups
gm = schema.group_members


@dataclass(frozen=True, slots=True)
class Group:
    group_id: str
    account_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime


def group_from_row(row: Row[Any]) -> Group:
    return Group(
        group_id=row.group_id,
        account_id=row.account_id,
        name=row.name,
        path=row.path,
        arn=row.arn,
        created_at=as_utc(row.created_at),
    )


def list_groups(
    conn: Connection,
    account_id: str,
    *,
    path_prefix: str = "/",
    marker: str | None = None,
    max_items: int | None = None,
) -> Page[Row[Any]]:
    """One page of the account's groups under ``path_prefix``, by name ignoring case."""
    return page_by_name(
        conn, g, account_id, path_prefix=path_prefix, marker=marker, max_items=max_items
    )


def all_groups(conn: Connection, account_id: str) -> list[Group]:
    rows = conn.execute(select(g).where(g.c.account_id == account_id).order_by(g.c.name_lower))
    return [group_from_row(row) for row in rows]


def groups_by_id(conn: Connection, group_ids: list[str]) -> dict[str, Group]:
    if not group_ids:
        return {}
    rows = conn.execute(select(g).where(g.c.group_id.in_(group_ids)))
    return {row.group_id: group_from_row(row) for row in rows}


def update_group(conn: Connection, group_id: str, *, name: str, path: str, arn: str) -> None:
    conn.execute(
        update(g)
        .where(g.c.group_id == group_id)
        .values(name=name, name_lower=name.lower(), path=path, arn=arn)
    )


def delete_group(conn: Connection, group_id: str) -> None:
    conn.execute(delete(g).where(g.c.group_id == group_id))


def count_groups(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(g).where(g.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())


# --- members ---------------------------------------------------------------------------


def is_member(conn: Connection, group_id: str, user_id: str) -> bool:
    stmt = select(gm.c.user_id).where(gm.c.group_id == group_id, gm.c.user_id == user_id)
    return conn.execute(stmt).first() is not None


def add_member(conn: Connection, group_id: str, user_id: str) -> None:
    conn.execute(insert(gm).values(group_id=group_id, user_id=user_id))


def remove_member(conn: Connection, group_id: str, user_id: str) -> bool:
    result = conn.execute(delete(gm).where(gm.c.group_id == group_id, gm.c.user_id == user_id))
    return bool(result.rowcount == 1)


def member_rows(
    conn: Connection, group_id: str, *, marker: str | None = None, max_items: int | None = None
) -> Page[Row[Any]]:
    """One page of the group's users (user rows), by name ignoring case."""
    u = schema.users
    stmt = select(u).join(gm, gm.c.user_id == u.c.user_id).where(gm.c.group_id == group_id)
    return paginate(
        conn,
        stmt,
        order_by=[u.c.name_lower],
        key=lambda row: [row.name_lower],
        marker=marker,
        max_items=max_items,
    )


def count_members(conn: Connection, group_id: str) -> int:
    stmt = select(func.count()).select_from(gm).where(gm.c.group_id == group_id)
    return int(conn.execute(stmt).scalar_one())


def groups_of_user(conn: Connection, user_id: str) -> list[Group]:
    """The user's groups by name ignoring case."""
    stmt = (
        select(g)
        .join(gm, gm.c.group_id == g.c.group_id)
        .where(gm.c.user_id == user_id)
        .order_by(g.c.name_lower)
    )
    return [group_from_row(row) for row in conn.execute(stmt)]


def member_ids(conn: Connection, group_id: str) -> list[str]:
    return [row[0] for row in conn.execute(select(gm.c.user_id).where(gm.c.group_id == group_id))]


def count_memberships(conn: Connection, user_id: str) -> int:
    stmt = select(func.count()).select_from(gm).where(gm.c.user_id == user_id)
    return int(conn.execute(stmt).scalar_one())
