"""Roles: rows of the ``roles`` table and the queries the role operations need.

No business rules here: names are looked up ignoring case (``name_lower``), lists are
pages in ``name_lower`` order read from the ``(account_id, name_lower)`` unique index, so a
page costs the same with a hundred roles or a hundred thousand.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, delete, select, update

from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.sql import Query

_roles = schema.roles


@dataclass(frozen=True, slots=True)
class Role:
    role_id: str
    account_id: str
    name: str
    path: str
    arn: str
    assume_role_policy: str
    trust_principal_ids: dict[str, str]
    description: str | None
    max_session_duration: int
    created_at: dt.datetime
    permissions_boundary_arn: str | None
    last_used_at: dt.datetime | None
    last_used_region: str | None
    linked_service: str | None


# A Role's columns in the order of its fields: rows are unpacked by position, which
# costs a ListRoles page a fraction of looking each of 1,400 values up by name.
_COLUMNS = tuple(_roles.c[f.name] for f in fields(Role))


def _role(row: tuple[Any, ...]) -> Role:
    (
        role_id,
        account_id,
        name,
        path,
        arn,
        policy,
        principal_ids,
        description,
        duration,
        created_at,
        boundary,
        last_used_at,
        last_used_region,
        linked_service,
    ) = tuple(row)
    return Role(
        role_id=role_id,
        account_id=account_id,
        name=name,
        path=path,
        arn=arn,
        assume_role_policy=policy,
        trust_principal_ids=dict(_principal_ids(principal_ids or "{}")),
        description=description,
        max_session_duration=int(duration),
        created_at=as_utc(created_at),
        permissions_boundary_arn=boundary,
        last_used_at=as_utc(last_used_at) if last_used_at else None,
        last_used_region=last_used_region,
        linked_service=linked_service,
    )


@functools.lru_cache(maxsize=1024)
def _principal_ids(text: str) -> dict[str, str]:
    """Parsed once per text: most roles of a page trust the same few principals. Callers
    get a copy (``_role``), never this cached dict."""
    parsed: dict[str, str] = json.loads(text)
    return parsed


# Statements of the request path, built once and run on the driver (``store.sql``): a
# SQLAlchemy execute costs several times what running the statement on SQLite does.
_BY_NAME = Query(
    select(*_COLUMNS).where(
        _roles.c.account_id == bindparam("account_id"), _roles.c.name_lower == bindparam("name")
    )
)
_FIRST_PAGE = Query(
    select(*_COLUMNS)
    .where(_roles.c.account_id == bindparam("account_id"))
    .order_by(_roles.c.name_lower)
    .limit(bindparam("limit", type_=Integer))
)
_NEXT_PAGE = Query(
    select(*_COLUMNS)
    .where(_roles.c.account_id == bindparam("account_id"), _roles.c.name_lower > bindparam("after"))
    .order_by(_roles.c.name_lower)
    .limit(bindparam("limit", type_=Integer))
)
_ROLE_ARNS = select(_roles.c.role_id, _roles.c.arn).where(
    _roles.c.role_id.in_(bindparam("ids", expanding=True))
)
_USER_ARNS = select(schema.users.c.user_id, schema.users.c.arn).where(
    schema.users.c.user_id.in_(bindparam("ids", expanding=True))
)
_ROLE_ARN = Query(select(_roles.c.role_id, _roles.c.arn).where(_roles.c.role_id == bindparam("id")))
_USER_ARN = Query(
    select(schema.users.c.user_id, schema.users.c.arn).where(
        schema.users.c.user_id == bindparam("id")
    )
)
_ROLE_ID_BY_NAME = Query(
    select(_roles.c.role_id, _roles.c.arn).where(
        _roles.c.account_id == bindparam("account_id"), _roles.c.name_lower == bindparam("name")
    )
)
_USER_ID_BY_NAME = Query(
    select(schema.users.c.user_id, schema.users.c.arn).where(
        schema.users.c.account_id == bindparam("account_id"),
        schema.users.c.name_lower == bindparam("name"),
    )
)
_ACCOUNT = Query(
    select(schema.accounts.c.account_id).where(
        schema.accounts.c.account_id == bindparam("account_id")
    )
)


def get_by_name(conn: Connection, account_id: str, name: str) -> Role | None:
    row = _BY_NAME.first(conn, {"account_id": account_id, "name": name.lower()})
    return _role(row) if row is not None else None


def get_by_id(conn: Connection, role_id: str) -> Role | None:
    row = conn.execute(select(*_COLUMNS).where(_roles.c.role_id == role_id)).first()
    return _role(row) if row is not None else None


def row_values(role: Role) -> dict[str, object]:
    """The ``roles`` row of a new role."""
    return {
        "role_id": role.role_id,
        "account_id": role.account_id,
        "name": role.name,
        "name_lower": role.name.lower(),
        "path": role.path,
        "arn": role.arn,
        "assume_role_policy": role.assume_role_policy,
        "trust_principal_ids": json.dumps(role.trust_principal_ids),
        "description": role.description,
        "max_session_duration": role.max_session_duration,
        "created_at": role.created_at,
        "permissions_boundary_arn": role.permissions_boundary_arn,
        "linked_service": role.linked_service,
    }


def update_role(conn: Connection, role_id: str, **values: object) -> None:
    """Set columns of one role; ``trust_principal_ids`` may be given as a dict."""
    if isinstance(values.get("trust_principal_ids"), Mapping):
        values["trust_principal_ids"] = json.dumps(values["trust_principal_ids"])
    conn.execute(update(_roles).where(_roles.c.role_id == role_id).values(**values))


def delete_role(conn: Connection, role_id: str) -> None:
    conn.execute(delete(_roles).where(_roles.c.role_id == role_id))


def list_page(
    conn: Connection, account_id: str, path_prefix: str, after: str | None, limit: int
) -> list[Role]:
    """Up to ``limit`` roles whose path starts with ``path_prefix``, by name, after ``after``."""
    if path_prefix == "/":
        params = {"account_id": account_id, "limit": limit, "after": after}
        rows = (_FIRST_PAGE if after is None else _NEXT_PAGE).all(conn, params)
        return [_role(row) for row in rows]
    stmt = select(*_COLUMNS).where(_roles.c.account_id == account_id)
    if path_prefix != "/":
        stmt = stmt.where(_roles.c.path.startswith(path_prefix, autoescape=True))
    if after is not None:
        stmt = stmt.where(_roles.c.name_lower > after)
    stmt = stmt.order_by(_roles.c.name_lower).limit(limit)
    return [_role(row) for row in conn.execute(stmt)]


def arns_by_id(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """``{unique id: ARN}`` of the users and roles among ``ids`` that exist (any account)."""
    wanted = set(ids)
    found: dict[str, str] = {}
    role_ids = [i for i in wanted if i.startswith("AROA")]
    user_ids = [i for i in wanted if i.startswith("AIDA")]
    # One id (a trust policy naming one principal, the usual case) skips the expanding IN,
    # whose SQL SQLAlchemy renders anew on every execution.
    for one, many, wanted_ids in (
        (_ROLE_ARN, _ROLE_ARNS, role_ids),
        (_USER_ARN, _USER_ARNS, user_ids),
    ):
        if len(wanted_ids) == 1:
            found.update((row[0], row[1]) for row in one.all(conn, {"id": wanted_ids[0]}))
        elif wanted_ids:
            found.update((row[0], row[1]) for row in conn.execute(many, {"ids": wanted_ids}))
    return found


def entity_id_by_arn(
    conn: Connection, account_id: str, kind: str, name: str
) -> tuple[str, str] | None:
    """``(unique id, ARN)`` of the user or role ``name`` in ``account_id`` (ignoring case)."""
    stmt = _ROLE_ID_BY_NAME if kind == "role" else _USER_ID_BY_NAME
    row = stmt.first(conn, {"account_id": account_id, "name": name.lower()})
    return (str(row[0]), str(row[1])) if row is not None else None


def account_exists(conn: Connection, account_id: str) -> bool:
    return _ACCOUNT.first(conn, {"account_id": account_id}) is not None


def record_use(conn: Connection, role_id: str, when: dt.datetime, region: str) -> None:
    """Remember the role was used (AssumeRole): GetRole's ``RoleLastUsed``."""
    update_role(conn, role_id, last_used_at=when, last_used_region=region)
