"""Transactions, constraint errors, locks and the change counter, on both databases."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.exc import OperationalError

from iamd.store import schema
from iamd.store.db import (
    Database,
    RowConflict,
    StoreBusy,
    as_utc,
    change_counter,
    insert_ignore,
    is_retryable,
    lock_row,
    savepoint,
    touch_account,
)

from .rows import ACCOUNT, add_account, add_role, add_user


def _roles(db: Database) -> list[str]:
    with db.transaction(write=False) as conn:
        return list(
            conn.execute(select(schema.roles.c.name).order_by(schema.roles.c.name)).scalars()
        )


def test_schema_is_created_and_create_schema_is_idempotent(db: Database) -> None:
    db.create_schema()
    db.create_schema()
    with db.transaction(write=False) as conn:
        assert conn.execute(select(schema.accounts)).all() == []
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


def test_create_schema_from_many_threads_at_once(db_url: str) -> None:
    errors: list[BaseException] = []
    databases = [Database(db_url) for _ in range(6)]
    barrier = threading.Barrier(len(databases))

    def create(database: Database) -> None:
        try:
            barrier.wait()
            database.create_schema()
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create, args=(d,)) for d in databases]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for d in databases:
        d.dispose()
    assert errors == []


def test_transaction_commits(db: Database, account: str) -> None:
    with db.transaction() as conn:
        add_role(conn, "Committed")
    assert _roles(db) == ["Committed"]


def test_transaction_rolls_back_on_exception(db: Database, account: str) -> None:
    with pytest.raises(RuntimeError), db.transaction() as conn:
        add_role(conn, "Lost")
        touch_account(conn, account)
        raise RuntimeError("boom")
    assert _roles(db) == []
    with db.transaction(write=False) as conn:
        assert change_counter(conn, account) == 0


def test_run_returns_the_function_result_and_rolls_back_on_error(
    db: Database, account: str
) -> None:
    assert db.run(True, lambda conn: add_role(conn, "Run")).startswith("AROA")

    def fail(conn: Connection) -> None:
        add_role(conn, "Nope")
        raise ValueError("bad input")

    with pytest.raises(ValueError):
        db.run(True, fail)
    assert _roles(db) == ["Run"]


@pytest.mark.parametrize("second", ["admins", "ADMINS", "Admins"])
def test_names_unique_per_account_ignoring_case(db: Database, account: str, second: str) -> None:
    db.run(True, lambda conn: add_role(conn, "Admins"))
    with pytest.raises(RowConflict) as info:
        db.run(True, lambda conn: add_role(conn, second))
    assert info.value.kind == "unique"
    assert info.value.constraint is not None
    assert _roles(db) == ["Admins"]


def test_same_name_in_another_account_is_fine(db: Database, account: str) -> None:
    def setup(conn: Connection) -> None:
        add_account(conn, "999988887777")
        add_role(conn, "Admins")
        add_role(conn, "admins", account_id="999988887777")

    db.run(True, setup)
    assert _roles(db) == ["Admins", "admins"]


def test_missing_parent_row_is_a_foreign_key_conflict(db: Database) -> None:
    with pytest.raises(RowConflict) as info:
        db.run(True, lambda conn: add_role(conn, "Orphan", account_id="000000000000"))
    assert info.value.kind == "foreign_key"


def test_savepoint_keeps_the_transaction_usable_after_a_conflict(
    db: Database, account: str
) -> None:
    with db.transaction() as conn:
        add_role(conn, "First")
        with pytest.raises(RowConflict), savepoint(conn):
            add_role(conn, "FIRST")
        add_role(conn, "Second")
    assert _roles(db) == ["First", "Second"]


def test_insert_ignore(db: Database) -> None:
    row = {"key": "k", "value": b"one"}
    assert db.run(True, lambda conn: insert_ignore(conn, schema.server_meta, row)) is True
    again = {"key": "k", "value": b"two"}
    assert db.run(True, lambda conn: insert_ignore(conn, schema.server_meta, again)) is False
    with db.transaction(write=False) as conn:
        assert conn.execute(select(schema.server_meta.c.value)).scalar_one() == b"one"


def test_change_counter_counts_writes(db: Database, account: str) -> None:
    with db.transaction(write=False) as conn:
        assert change_counter(conn, account) == 0
    assert db.run(True, lambda conn: touch_account(conn, account)) == 1
    assert db.run(True, lambda conn: touch_account(conn, account)) == 2
    with db.transaction(write=False) as conn:
        assert change_counter(conn, account) == 2
        assert change_counter(conn, "000000000000") == 0
    assert db.run(True, lambda conn: touch_account(conn, "000000000000")) == 0


def test_change_counter_loses_no_update_under_concurrent_threads(
    db: Database, account: str
) -> None:
    threads = [
        threading.Thread(
            target=lambda: [db.run(True, lambda c: touch_account(c, account)) for _ in range(10)]
        )
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.transaction(write=False) as conn:
        assert change_counter(conn, account) == 80


def test_lock_row_returns_the_row_or_none(db: Database, account: str) -> None:
    with db.transaction() as conn:
        row = lock_row(conn, schema.accounts, {"account_id": account})
        assert row is not None and row.account_id == account
        assert lock_row(conn, schema.accounts, {"account_id": "000000000000"}) is None


def test_read_transaction_sees_one_snapshot(db: Database, account: str) -> None:
    def count(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(schema.roles)).scalar_one())

    with db.transaction(write=False) as reader:
        assert count(reader) == 0
        db.run(True, lambda conn: add_role(conn, "Meanwhile"))
        assert count(reader) == 0
    with db.transaction(write=False) as reader:
        assert count(reader) == 1


def test_read_transaction_does_not_wait_for_a_writer(db: Database, account: str) -> None:
    with db.transaction() as writer:
        add_role(writer, "Pending")
        # The write lock is held (BEGIN IMMEDIATE / row locks); a reader still answers.
        assert _roles(db) == []
    assert _roles(db) == ["Pending"]


def test_timestamps_come_back_aware_utc(db: Database) -> None:
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, 6000, tzinfo=dt.UTC)
    db.run(True, lambda conn: add_account(conn, "123412341234"))
    with db.transaction() as conn:
        conn.execute(schema.accounts.update().values(created_at=stamp))
        value: dt.datetime = conn.execute(select(schema.accounts.c.created_at)).scalar_one()
    assert as_utc(value) == stamp
    assert as_utc(dt.datetime(2024, 1, 1)).tzinfo is dt.UTC


def test_users_and_keys_share_the_account(db: Database, account: str) -> None:
    user_id = db.run(True, lambda conn: add_user(conn, "alice"))
    with pytest.raises(RowConflict):
        db.run(True, lambda conn: add_user(conn, "ALICE"))
    assert user_id.startswith("AIDA")


class _Orig(Exception):
    def __init__(self, sqlstate: str | None) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


def _operational(sqlstate: str | None, message: str = "x") -> OperationalError:
    orig: Any = _Orig(sqlstate) if sqlstate else Exception(message)
    return OperationalError("SELECT 1", {}, orig)


def test_retryable_errors() -> None:
    assert is_retryable(_operational("40001"))
    assert is_retryable(_operational("40P01"))
    assert is_retryable(_operational(None, "database is locked"))
    assert not is_retryable(_operational("42P01"))
    assert not is_retryable(ValueError("x"))


def test_run_retries_serialization_failures(db: Database, account: str) -> None:
    attempts = []

    def flaky(conn: Connection) -> str:
        attempts.append(1)
        add_role(conn, f"Try{len(attempts)}")
        if len(attempts) < 3:
            raise _operational("40001")
        return "done"

    assert db.run(True, flaky) == "done"
    assert len(attempts) == 3
    assert _roles(db) == ["Try3"]  # the failed attempts were rolled back


def test_run_gives_up_after_its_attempts(db: Database) -> None:
    def always(conn: Connection) -> None:
        raise _operational("40P01")

    with pytest.raises(StoreBusy):
        db.run(True, always, attempts=2)


def test_run_does_not_retry_other_database_errors(db: Database) -> None:
    calls = []

    def broken(conn: Connection) -> None:
        calls.append(1)
        conn.execute(text("SELECT * FROM no_such_table"))

    with pytest.raises(Exception, match="no_such_table"):
        db.run(True, broken)
    assert calls == [1]


def test_unsupported_url() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        Database("mysql://localhost/x")


def test_in_memory_sqlite_and_repr() -> None:
    with Database("sqlite://") as memory:
        memory.create_schema()
        memory.run(True, add_account)
        with memory.transaction(write=False) as conn:
            assert conn.execute(select(schema.accounts.c.account_id)).scalar_one() == ACCOUNT
        assert memory.is_sqlite and not memory.is_postgresql
    assert "password" not in repr(Database("postgresql+psycopg://u:password@localhost/x"))


def test_sqlite_pragmas(tmp_path: Any) -> None:
    with Database(f"sqlite:///{tmp_path / 'p.sqlite3'}") as sqlite, sqlite.transaction() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar_one() == 30000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1  # NORMAL


def test_insert_into_the_aws_account_needs_no_account_row(db: Database) -> None:
    # AWS managed policies live under account "aws", which has no accounts row.
    mp = schema.managed_policies
    values = {
        "policy_id": "ANPAXXXXXXXXXXXXXXXXX",
        "account_id": schema.AWS_MANAGED_ACCOUNT,
        "name": "P",
        "name_lower": "p",
        "path": "/",
        "arn": "arn:aws:iam::aws:policy/P",
        "default_version_id": "v1",
        "next_version_number": 2,
        "created_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
        "updated_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    }
    db.run(True, lambda conn: conn.execute(insert(mp).values(**values)))
