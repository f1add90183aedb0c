"""``entity_counts``: how many entities of a kind each account holds (see ``schema``).

No rules here: ``iam.naming.count_created`` decides when a count is trusted.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection, Integer, Table, bindparam, func, select, update

from iamd.store import schema
from iamd.store.db import insert_ignore
from iamd.store.sql import Query

_counts = schema.entity_counts
_KEY = (_counts.c.account_id == bindparam("account_id"), _counts.c.kind == bindparam("kind"))

_ADD = Query(update(_counts).where(*_KEY).values(count=_counts.c.count + bindparam("delta")))
_BUMP = Query(
    update(_counts).where(*_KEY).values(count=_counts.c.count + 1).returning(_counts.c.count)
)
_SET = Query(update(_counts).where(*_KEY).values(count=bindparam("count", type_=Integer)))
_LOCK = Query(update(_counts).where(*_KEY).values(count=_counts.c.count))


def bump(conn: Connection, account_id: str, kind: str) -> int | None:
    """Add one to a kept count and return the new count; None when none is kept."""
    value = _BUMP.scalar(conn, {"account_id": account_id, "kind": kind})
    return None if value is None else int(value)


def add(conn: Connection, account_id: str, kind: str, delta: int) -> None:
    """Change a kept count (nothing when none is kept: the next check counts the rows)."""
    _ADD.execute(conn, {"account_id": account_id, "kind": kind, "delta": delta})


def recount(conn: Connection, account_id: str, kind: str, table: Table) -> int:
    """Count the account's rows of ``table``, keep the number and return it.

    The kept count's row is locked first (created if missing), and the rows are counted
    after: on PostgreSQL a creator that has bumped the count holds that lock until it
    commits, so its row is counted, and creators that recount take turns. SQLite's
    writers take turns anyway.
    """
    key = {"account_id": account_id, "kind": kind}
    insert_ignore(conn, _counts, {**key, "count": 0})
    _LOCK.execute(conn, key)
    value = int(_count(table).scalar(conn, {"account_id": account_id}))
    _SET.execute(conn, {**key, "count": value})
    return value


@functools.cache
def _count(table: Table) -> Query:
    return Query(
        select(func.count()).select_from(table).where(table.c.account_id == bindparam("account_id"))
    )
