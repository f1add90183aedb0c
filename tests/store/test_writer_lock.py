"""SQLite's writers queue on a flock next to the database, held only inside a write."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from iamd.store.db import Database, change_counter, touch_account

from .rows import ACCOUNT, add_account


def lock_is_free(path: Path) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'iamd.sqlite3'}")
    db.create_schema()
    with db.transaction() as conn:
        add_account(conn)
    return db


def test_held_from_the_first_write_statement_to_the_commit(
    sqlite_db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "iamd.sqlite3-writer.lock"
    with sqlite_db.transaction(write=True) as conn:
        assert lock_is_free(path)  # nothing has begun yet
        touch_account(conn, ACCOUNT)
        assert not lock_is_free(path)
    assert lock_is_free(path)


def test_released_when_the_transaction_fails(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "iamd.sqlite3-writer.lock"
    with pytest.raises(RuntimeError), sqlite_db.transaction(write=True) as conn:
        touch_account(conn, ACCOUNT)
        raise RuntimeError("abandon")
    assert lock_is_free(path)
    with sqlite_db.transaction(write=False) as conn:
        assert change_counter(conn, ACCOUNT) == 0


def test_reads_do_not_take_it(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "iamd.sqlite3-writer.lock"
    with sqlite_db.transaction(write=False) as conn:
        change_counter(conn, ACCOUNT)
        assert lock_is_free(path)


def test_threads_take_turns_and_lose_nothing(sqlite_db: Database) -> None:
    def writer() -> None:
        for _ in range(200):
            with sqlite_db.transaction(write=True) as conn:
                touch_account(conn, ACCOUNT)

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with sqlite_db.transaction(write=False) as conn:
        assert change_counter(conn, ACCOUNT) == 800


def test_a_write_opened_inside_another_does_not_wait_for_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The inner transaction gets a second connection: it must fail on SQLite's own lock
    # after the busy timeout, not hang on the writer lock its own thread holds.
    import iamd.store.db as db_module

    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 100)
    db = Database(f"sqlite:///{tmp_path / 'nested.sqlite3'}")
    db.create_schema()
    with db.transaction() as conn:
        add_account(conn)
    with db.transaction(write=True) as outer:
        touch_account(outer, ACCOUNT)
        with pytest.raises(OperationalError, match="locked"), db.transaction() as inner:
            touch_account(inner, ACCOUNT)
    db.dispose()


def test_a_busy_begin_is_retried_by_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A writer outside iamd (no writer lock) holds SQLite's lock for a moment: BEGIN
    # IMMEDIATE times out with "database is locked", which Database.run tries again.
    import sqlite3

    import iamd.store.db as db_module

    monkeypatch.setattr(db_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    path = tmp_path / "busy.sqlite3"
    db = Database(f"sqlite:///{path}")
    db.create_schema()
    with db.transaction() as conn:
        add_account(conn)
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    threading.Timer(0.15, other.rollback).start()
    assert db.run(True, lambda conn: touch_account(conn, ACCOUNT)) == 1
    other.close()
    db.dispose()
