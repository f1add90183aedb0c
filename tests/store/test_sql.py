"""store.sql.Query: driver-level statements agree with SQLAlchemy on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, func, insert, select, update

from iamd.store import schema
from iamd.store.db import Database, RowConflict, as_utc
from iamd.store.sql import Query

from .rows import ACCOUNT, NOW

_accounts = schema.accounts

BY_ID = Query(
    select(_accounts.c.account_id, _accounts.c.created_at, _accounts.c.change_counter).where(
        _accounts.c.account_id == bindparam("account")
    )
)
ADD = Query(
    insert(_accounts).values(
        account_id=bindparam("account"), created_at=bindparam("created"), change_counter=0
    )
)
BUMP = Query(
    update(_accounts)
    .where(_accounts.c.account_id == bindparam("account"))
    .values(change_counter=_accounts.c.change_counter + 1)
    .returning(_accounts.c.change_counter)
)
COUNT = Query(select(func.count()).select_from(_accounts))


def test_rows_come_back_converted_as_sqlalchemy_reads_them(db: Database, account: str) -> None:
    with db.transaction(write=False) as conn:
        fast = BY_ID.first(conn, {"account": account})
        slow = conn.execute(BY_ID.statement, {"account": account}).one()
    assert fast == tuple(slow)
    assert fast is not None and isinstance(fast[1], dt.datetime)
    assert as_utc(fast[1]) == NOW


def test_absent_row_is_none(db: Database, account: str) -> None:
    with db.transaction(write=False) as conn:
        assert BY_ID.first(conn, {"account": "999999999999"}) is None
        assert BY_ID.all(conn, {"account": "999999999999"}) == []
        assert COUNT.scalar(conn) == 1


def test_writes_join_the_transaction_and_commit_with_it(db: Database, account: str) -> None:
    with db.transaction() as conn:
        ADD.execute(conn, {"account": "222222222222", "created": NOW})
        assert BUMP.scalar(conn, {"account": "222222222222"}) == 1
        conn.execute(  # an ordinary statement in the same transaction sees the row
            update(_accounts)
            .where(_accounts.c.account_id == "222222222222")
            .values(change_counter=_accounts.c.change_counter + 1)
        )
    with db.transaction(write=False) as conn:
        row = BY_ID.first(conn, {"account": "222222222222"})
    assert row is not None and row[2] == 2


def test_a_failed_transaction_keeps_nothing(db: Database, account: str) -> None:
    with pytest.raises(RuntimeError), db.transaction() as conn:
        ADD.execute(conn, {"account": "333333333333", "created": NOW})
        raise RuntimeError("abandon")
    with db.transaction(write=False) as conn:
        assert BY_ID.first(conn, {"account": "333333333333"}) is None


def test_duplicate_key_is_a_row_conflict(db: Database, account: str) -> None:
    with pytest.raises(RowConflict) as caught, db.transaction() as conn:
        ADD.execute(conn, {"account": ACCOUNT, "created": NOW})
    assert caught.value.kind == "unique"


def test_expanding_parameters_are_refused(db: Database) -> None:
    query = Query(
        select(_accounts.c.account_id).where(
            _accounts.c.account_id.in_(bindparam("ids", expanding=True))
        )
    )
    with db.transaction(write=False) as conn, pytest.raises(ValueError, match="expanding"):
        query.all(conn, {"ids": ["x"]})
