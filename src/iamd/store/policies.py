"""Managed policies and their versions, attachments, and inline policies.

Rows only: no business rules. Managed policies live under their account, AWS managed ones
under ``aws`` (schema.AWS_MANAGED_ACCOUNT) and are visible from every account. Attachments
and inline policies hang off a principal named by ``(principal_type, principal_id)`` where
the type is ``user``, ``group`` or ``role`` and the id is the entity's unique id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc

mp = schema.managed_policies
pv = schema.policy_versions
pa = schema.policy_attachments
ip = schema.inline_policies


@dataclass(frozen=True, slots=True)
class ManagedPolicy:
    policy_id: str
    account_id: str
    name: str
    path: str
    arn: str
    description: str | None
    default_version_id: str
    next_version_number: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def aws_managed(self) -> bool:
        return self.account_id == schema.AWS_MANAGED_ACCOUNT


@dataclass(frozen=True, slots=True)
class PolicyVersion:
    policy_id: str
    version_id: str
    document: str
    is_default: bool
    created_at: dt.datetime


def _policy(row: Row[Any]) -> ManagedPolicy:
    return ManagedPolicy(
        policy_id=row.policy_id,
        account_id=row.account_id,
        name=row.name,
        path=row.path,
        arn=row.arn,
        description=row.description,
        default_version_id=row.default_version_id,
        next_version_number=int(row.next_version_number),
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def _version(row: Row[Any]) -> PolicyVersion:
    return PolicyVersion(
        policy_id=row.policy_id,
        version_id=row.version_id,
        document=row.document,
        is_default=bool(row.is_default),
        created_at=as_utc(row.created_at),
    )


def visible_accounts(account_id: str) -> tuple[str, str]:
    """The owners whose policies ``account_id`` sees: its own and AWS's."""
    return (account_id, schema.AWS_MANAGED_ACCOUNT)


# --- managed policies ----------------------------------------------------------------


def get_policy(conn: Connection, arn: str) -> ManagedPolicy | None:
    row = conn.execute(select(mp).where(mp.c.arn == arn)).first()
    return _policy(row) if row is not None else None


def get_policy_by_id(conn: Connection, policy_id: str) -> ManagedPolicy | None:
    row = conn.execute(select(mp).where(mp.c.policy_id == policy_id)).first()
    return _policy(row) if row is not None else None


def policies_by_arn(conn: Connection, arns: Iterable[str]) -> dict[str, ManagedPolicy]:
    wanted = list(set(arns))
    if not wanted:
        return {}
    rows = conn.execute(select(mp).where(mp.c.arn.in_(wanted)))
    return {row.arn: _policy(row) for row in rows}


def name_taken(conn: Connection, account_id: str, name: str) -> bool:
    stmt = select(mp.c.policy_id).where(
        mp.c.account_id == account_id, mp.c.name_lower == name.lower()
    )
    return conn.execute(stmt).first() is not None


def count_policies(conn: Connection, account_id: str) -> int:
    stmt = select(func.count()).select_from(mp).where(mp.c.account_id == account_id)
    return int(conn.execute(stmt).scalar_one())


def insert_policy(
    conn: Connection,
    *,
    policy_id: str,
    account_id: str,
    name: str,
    path: str,
    arn: str,
    description: str | None,
    document: str,
    now: dt.datetime,
) -> ManagedPolicy:
    """A new policy with its default version ``v1``."""
    conn.execute(
        insert(mp).values(
            policy_id=policy_id,
            account_id=account_id,
            name=name,
            name_lower=name.lower(),
            path=path,
            arn=arn,
            description=description,
            default_version_id="v1",
            next_version_number=2,
            created_at=now,
            updated_at=now,
        )
    )
    insert_version(conn, policy_id, "v1", document, is_default=True, now=now)
    return ManagedPolicy(policy_id, account_id, name, path, arn, description, "v1", 2, now, now)


def list_policies(
    conn: Connection,
    owners: Iterable[str],
    *,
    path_prefix: str = "/",
    policy_ids: Iterable[str] | None = None,
) -> list[ManagedPolicy]:
    """Policies of ``owners`` under ``path_prefix``, by path then name."""
    stmt = select(mp).where(mp.c.account_id.in_(list(owners)))
    if path_prefix != "/":
        stmt = stmt.where(mp.c.path.startswith(path_prefix, autoescape=True))
    if policy_ids is not None:
        stmt = stmt.where(mp.c.policy_id.in_(list(policy_ids)))
    rows = conn.execute(stmt.order_by(mp.c.account_id, mp.c.path, mp.c.name_lower))
    return [_policy(row) for row in rows]


def delete_policy(conn: Connection, policy_id: str) -> None:
    conn.execute(delete(pv).where(pv.c.policy_id == policy_id))
    conn.execute(delete(mp).where(mp.c.policy_id == policy_id))


def set_default_version(
    conn: Connection, policy_id: str, version_id: str, now: dt.datetime
) -> None:
    conn.execute(update(pv).where(pv.c.policy_id == policy_id).values(is_default=False))
    conn.execute(
        update(pv)
        .where(pv.c.policy_id == policy_id, pv.c.version_id == version_id)
        .values(is_default=True)
    )
    conn.execute(
        update(mp)
        .where(mp.c.policy_id == policy_id)
        .values(default_version_id=version_id, updated_at=now)
    )


def bump_version_number(conn: Connection, policy_id: str, next_number: int) -> None:
    conn.execute(
        update(mp).where(mp.c.policy_id == policy_id).values(next_version_number=next_number)
    )


# --- versions --------------------------------------------------------------------------


def insert_version(
    conn: Connection,
    policy_id: str,
    version_id: str,
    document: str,
    *,
    is_default: bool,
    now: dt.datetime,
) -> PolicyVersion:
    conn.execute(
        insert(pv).values(
            policy_id=policy_id,
            version_id=version_id,
            document=document,
            is_default=is_default,
            created_at=now,
        )
    )
    return PolicyVersion(policy_id, version_id, document, is_default, now)


def get_version(conn: Connection, policy_id: str, version_id: str) -> PolicyVersion | None:
    row = conn.execute(
        select(pv).where(pv.c.policy_id == policy_id, pv.c.version_id == version_id)
    ).first()
    return _version(row) if row is not None else None


def default_version(conn: Connection, policy_id: str) -> PolicyVersion | None:
    row = conn.execute(select(pv).where(pv.c.policy_id == policy_id, pv.c.is_default)).first()
    return _version(row) if row is not None else None


def list_versions(conn: Connection, policy_id: str) -> list[PolicyVersion]:
    """Versions newest first, as AWS lists them."""
    rows = conn.execute(select(pv).where(pv.c.policy_id == policy_id))
    versions = [_version(row) for row in rows]
    return sorted(versions, key=lambda v: _version_number(v.version_id), reverse=True)


def _version_number(version_id: str) -> int:
    digits = version_id[1:].split(".", 1)[0]
    return int(digits) if digits.isdigit() else 0


def count_versions(conn: Connection, policy_id: str) -> int:
    stmt = select(func.count()).select_from(pv).where(pv.c.policy_id == policy_id)
    return int(conn.execute(stmt).scalar_one())


def delete_version(conn: Connection, policy_id: str, version_id: str) -> bool:
    result = conn.execute(
        delete(pv).where(pv.c.policy_id == policy_id, pv.c.version_id == version_id)
    )
    return bool(result.rowcount == 1)


def default_documents(conn: Connection, arns: Iterable[str]) -> dict[str, str]:
    """The default version's document of each existing policy in ``arns``."""
    wanted = list(set(arns))
    if not wanted:
        return {}
    stmt = (
        select(mp.c.arn, pv.c.document)
        .join(pv, (pv.c.policy_id == mp.c.policy_id) & (pv.c.version_id == mp.c.default_version_id))
        .where(mp.c.arn.in_(wanted))
    )
    return {row.arn: row.document for row in conn.execute(stmt)}


# --- attachments -----------------------------------------------------------------------


def attached_arns(conn: Connection, principal_type: str, principal_id: str) -> list[str]:
    """ARNs attached to the principal, in ARN order."""
    stmt = (
        select(pa.c.policy_arn)
        .where(pa.c.principal_type == principal_type, pa.c.principal_id == principal_id)
        .order_by(pa.c.policy_arn)
    )
    return [row.policy_arn for row in conn.execute(stmt)]


def is_attached(conn: Connection, principal_type: str, principal_id: str, arn: str) -> bool:
    stmt = select(pa.c.policy_arn).where(
        pa.c.principal_type == principal_type,
        pa.c.principal_id == principal_id,
        pa.c.policy_arn == arn,
    )
    return conn.execute(stmt).first() is not None


def attach(
    conn: Connection, account_id: str, principal_type: str, principal_id: str, arn: str
) -> None:
    conn.execute(
        insert(pa).values(
            account_id=account_id,
            principal_type=principal_type,
            principal_id=principal_id,
            policy_arn=arn,
        )
    )


def detach(conn: Connection, principal_type: str, principal_id: str, arn: str) -> bool:
    result = conn.execute(
        delete(pa).where(
            pa.c.principal_type == principal_type,
            pa.c.principal_id == principal_id,
            pa.c.policy_arn == arn,
        )
    )
    return bool(result.rowcount == 1)


def attachments_of_policy(conn: Connection, account_id: str, arn: str) -> list[tuple[str, str]]:
    """``(principal_type, principal_id)`` of every attachment of ``arn`` in the account."""
    stmt = select(pa.c.principal_type, pa.c.principal_id).where(
        pa.c.account_id == account_id, pa.c.policy_arn == arn
    )
    return [(row.principal_type, row.principal_id) for row in conn.execute(stmt)]


def attachment_counts(conn: Connection, account_id: str) -> dict[str, int]:
    """How many entities of the account each policy ARN is attached to."""
    stmt = (
        select(pa.c.policy_arn, func.count())
        .where(pa.c.account_id == account_id)
        .group_by(pa.c.policy_arn)
    )
    return {row[0]: int(row[1]) for row in conn.execute(stmt)}


def boundary_counts(conn: Connection, account_id: str) -> dict[str, int]:
    """How many users and roles of the account use each policy ARN as their boundary."""
    counts: dict[str, int] = {}
    for table in (schema.users, schema.roles):
        col = table.c.permissions_boundary_arn
        stmt = (
            select(col, func.count())
            .where(table.c.account_id == account_id, col.is_not(None))
            .group_by(col)
        )
        for row in conn.execute(stmt):
            counts[row[0]] = counts.get(row[0], 0) + int(row[1])
    return counts


def boundary_users(conn: Connection, account_id: str, arn: str) -> list[tuple[str, str]]:
    """``(principal_type, principal_id)`` of users and roles with ``arn`` as boundary."""
    found: list[tuple[str, str]] = []
    for kind, table, id_col in (
        ("user", schema.users, schema.users.c.user_id),
        ("role", schema.roles, schema.roles.c.role_id),
    ):
        stmt = select(id_col).where(
            table.c.account_id == account_id, table.c.permissions_boundary_arn == arn
        )
        found.extend((kind, row[0]) for row in conn.execute(stmt))
    return found


def roles_by_id(conn: Connection, role_ids: list[str]) -> dict[str, Row[Any]]:
    """Role rows (id, name, path...) by id, for listing a policy's entities."""
    if not role_ids:
        return {}
    r = schema.roles
    return {row.role_id: row for row in conn.execute(select(r).where(r.c.role_id.in_(role_ids)))}


def detach_all(conn: Connection, principal_type: str, principal_id: str) -> None:
    conn.execute(
        delete(pa).where(pa.c.principal_type == principal_type, pa.c.principal_id == principal_id)
    )


# --- inline policies -------------------------------------------------------------------


def inline_documents(conn: Connection, principal_type: str, principal_id: str) -> dict[str, str]:
    """Name -> document of the principal's inline policies, by name."""
    stmt = (
        select(ip.c.name, ip.c.document)
        .where(ip.c.principal_type == principal_type, ip.c.principal_id == principal_id)
        .order_by(ip.c.name)
    )
    return {row.name: row.document for row in conn.execute(stmt)}


def get_inline(conn: Connection, principal_type: str, principal_id: str, name: str) -> str | None:
    stmt = select(ip.c.document).where(
        ip.c.principal_type == principal_type,
        ip.c.principal_id == principal_id,
        ip.c.name == name,
    )
    value = conn.execute(stmt).scalar_one_or_none()
    return str(value) if value is not None else None


def put_inline(
    conn: Connection, principal_type: str, principal_id: str, name: str, document: str
) -> None:
    """Insert or replace the named inline policy."""
    where = (
        ip.c.principal_type == principal_type,
        ip.c.principal_id == principal_id,
        ip.c.name == name,
    )
    if conn.execute(update(ip).where(*where).values(document=document)).rowcount == 0:
        conn.execute(
            insert(ip).values(
                principal_type=principal_type,
                principal_id=principal_id,
                name=name,
                document=document,
            )
        )


def delete_inline(conn: Connection, principal_type: str, principal_id: str, name: str) -> bool:
    result = conn.execute(
        delete(ip).where(
            ip.c.principal_type == principal_type,
            ip.c.principal_id == principal_id,
            ip.c.name == name,
        )
    )
    return bool(result.rowcount == 1)


def count_inline(conn: Connection, principal_type: str, principal_id: str) -> int:
    stmt = (
        select(func.count())
        .select_from(ip)
        .where(ip.c.principal_type == principal_type, ip.c.principal_id == principal_id)
    )
    return int(conn.execute(stmt).scalar_one())


def delete_all_inline(conn: Connection, principal_type: str, principal_id: str) -> None:
    conn.execute(
        delete(ip).where(ip.c.principal_type == principal_type, ip.c.principal_id == principal_id)
    )


def principals_with_inline(conn: Connection, principal_type: str, ids: Iterable[str]) -> set[str]:
    wanted = list(ids)
    if not wanted:
        return set()
    stmt = select(ip.c.principal_id).where(
        ip.c.principal_type == principal_type, ip.c.principal_id.in_(wanted)
    )
    return {row[0] for row in conn.execute(stmt)}
