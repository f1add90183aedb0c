"""The console's sign-in state: root passwords and failed attempts (no business rules).

Failures are counted per subject (a digest of ``<account>/<user name>`` or
``<account>/root``) in one row that every node updates with a single upsert, so two
nodes failing at once both count. Each failure also deletes a few of the rows whose
count is forgotten (through the index on their time), so that names tried once do not
pile up: more go than each failure adds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, case, delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from iamd.store import schema

_ROOT = schema.root_login_profiles
_FAIL = schema.sign_in_failures
SWEEP = 8  # forgotten rows deleted with each failure


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def root_password_hash(conn: Connection, account_id: str) -> str | None:
    row = conn.execute(select(_ROOT.c.password_hash).where(_ROOT.c.account_id == account_id))
    found = row.first()
    return str(found[0]) if found is not None else None


def set_root_password(
    conn: Connection, account_id: str, password_hash: str, now: dt.datetime
) -> None:
    values = {"account_id": account_id, "password_hash": password_hash, "created_at": now}
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = pg_insert(_ROOT).values(**values)
    else:
        stmt = sqlite_insert(_ROOT).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_ROOT.c.account_id], set_={"password_hash": password_hash}
    )
    conn.execute(stmt)


def note_root_sign_in(conn: Connection, account_id: str, now: dt.datetime) -> None:
    conn.execute(
        update(_ROOT).where(_ROOT.c.account_id == account_id).values(password_last_used_at=now)
    )


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    last_at: dt.datetime


def failures(conn: Connection, subject: str) -> Failures | None:
    row = conn.execute(
        select(_FAIL.c.failures, _FAIL.c.last_failure_at).where(_FAIL.c.subject == subject)
    ).first()
    return Failures(int(row[0]), _utc(row[1])) if row is not None else None


def record_failure(
    conn: Connection, subject: str, now: dt.datetime, forget_before: dt.datetime
) -> None:
    """One more failure for ``subject``; a count last bumped before ``forget_before``
    starts again at one."""
    values = {"subject": subject, "failures": 1, "last_failure_at": now}
    stmt: Any
    if conn.dialect.name == "postgresql":
        stmt = pg_insert(_FAIL).values(**values)
    else:
        stmt = sqlite_insert(_FAIL).values(**values)
    count = case((_FAIL.c.last_failure_at < forget_before, 1), else_=_FAIL.c.failures + 1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[_FAIL.c.subject], set_={"failures": count, "last_failure_at": now}
    )
    conn.execute(stmt)
    stale = (
        select(_FAIL.c.subject)
        .where(_FAIL.c.last_failure_at < forget_before)
        .order_by(_FAIL.c.last_failure_at)
        .limit(SWEEP)
        .scalar_subquery()
    )
    conn.execute(delete(_FAIL).where(_FAIL.c.subject.in_(stale)))


def clear_failures(conn: Connection, subject: str) -> None:
    conn.execute(delete(_FAIL).where(_FAIL.c.subject == subject))
