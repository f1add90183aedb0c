"""Instance profiles and the roles in them (``instance_profiles``,
``instance_profile_roles``). No business rules: the one-role limit is the operations'."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select

from iamd.store import schema
from iamd.store.db import as_utc

_profiles = schema.instance_profiles
_links = schema.instance_profile_roles


@dataclass(frozen=True, slots=True)
class InstanceProfile:
    instance_profile_id: str
    account_id: str
    name: str
    path: str
    arn: str
    created_at: dt.datetime


def _profile(row: Row[Any]) -> InstanceProfile:
    m = row._mapping
    return InstanceProfile(
        instance_profile_id=m["instance_profile_id"],
        account_id=m["account_id"],
        name=m["name"],
        path=m["path"],
        arn=m["arn"],
        created_at=as_utc(m["created_at"]),
    )


def row_values(profile: InstanceProfile) -> dict[str, object]:
    """The ``instance_profiles`` row of a new profile."""
    return {
        "instance_profile_id": profile.instance_profile_id,
        "account_id": profile.account_id,
        "name": profile.name,
        "name_lower": profile.name.lower(),
        "path": profile.path,
        "arn": profile.arn,
        "created_at": profile.created_at,
    }


def get_by_name(conn: Connection, account_id: str, name: str) -> InstanceProfile | None:
    row = conn.execute(
        select(_profiles).where(
            _profiles.c.account_id == account_id, _profiles.c.name_lower == name.lower()
        )
    ).first()
    return _profile(row) if row is not None else None


def delete_profile(conn: Connection, profile_id: str) -> None:
    conn.execute(delete(_profiles).where(_profiles.c.instance_profile_id == profile_id))


def list_page(
    conn: Connection, account_id: str, path_prefix: str, after: str | None, limit: int
) -> list[InstanceProfile]:
    """Up to ``limit`` profiles under ``path_prefix``, by name, after ``after``."""
    stmt = select(_profiles).where(_profiles.c.account_id == account_id)
    if path_prefix != "/":
        stmt = stmt.where(_profiles.c.path.startswith(path_prefix, autoescape=True))
    if after is not None:
        stmt = stmt.where(_profiles.c.name_lower > after)
    stmt = stmt.order_by(_profiles.c.name_lower).limit(limit)
    return [_profile(row) for row in conn.execute(stmt)]


def role_ids(conn: Connection, profile_id: str) -> list[str]:
    """The roles in a profile (AWS allows one)."""
    stmt = select(_links.c.role_id).where(_links.c.instance_profile_id == profile_id)
    ids: list[str] = list(conn.execute(stmt).scalars())
    return ids


def add_role(conn: Connection, profile_id: str, role_id: str) -> None:
    conn.execute(insert(_links).values(instance_profile_id=profile_id, role_id=role_id))


def remove_role(conn: Connection, profile_id: str, role_id: str) -> bool:
    result = conn.execute(
        delete(_links).where(
            _links.c.instance_profile_id == profile_id, _links.c.role_id == role_id
        )
    )
    return bool(result.rowcount)


def profiles_for_role(conn: Connection, role_id: str) -> list[InstanceProfile]:
    """The profiles a role is in, by name."""
    stmt = (
        select(_profiles)
        .join(_links, _links.c.instance_profile_id == _profiles.c.instance_profile_id)
        .where(_links.c.role_id == role_id)
        .order_by(_profiles.c.name_lower)
    )
    return [_profile(row) for row in conn.execute(stmt)]
