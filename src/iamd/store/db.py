"""The database: one engine, transactions, and the locks that keep invariants across nodes.

Design:

- ``Database(url)`` wraps a SQLAlchemy 2 Core engine for SQLite (the default: one file in
  the data directory, WAL) or PostgreSQL (``postgresql+psycopg://...``, a connection pool).
- ``db.transaction(write)`` yields a Connection inside one transaction; it commits when the
  block ends normally and rolls back on any exception. ``db.run(write, fn)`` does the same
  for a function and retries it when the database reports a serialization failure or a
  deadlock, so callers never see those.
- SQLite: pysqlite's own transaction handling is switched off and iamd emits ``BEGIN``
  itself: ``BEGIN IMMEDIATE`` for writes, so writers from several processes queue on the
  database's write lock (bounded by ``busy_timeout``) instead of failing when a read
  transaction tries to upgrade; plain ``BEGIN`` for reads, which under WAL read a snapshot
  and never block or wait for writers. A request's write transaction may begin as a read
  (``reads_first``) and switch with ``start_writing`` once it has authenticated and
  authorized the caller: the write lock is then held only for the operation itself, so
  several processes check signatures and policies in parallel and queue only to write.
- PostgreSQL: writes run at READ COMMITTED. Invariants that span rows hold because
  (a) names are unique per account by unique indexes (a violation becomes ``RowConflict``)
  and (b) code that counts rows before inserting (at most five policy versions, quotas)
  first locks the parent row with ``lock_row`` (``SELECT ... FOR UPDATE``); after the lock
  is granted, every later statement in the transaction sees the rows other writers
  committed. ``touch_account`` updates the account row, so it also serializes writers of
  one account from the moment it is called: call it first in a write transaction when a
  whole-account invariant matters. Reads run at REPEATABLE READ, READ ONLY: one snapshot.
- ``accounts.change_counter`` goes up with every write that changes or removes something
  in an account (``touch_account``); caches of compiled policies key on it
  (``change_counter``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    Connection,
    Engine,
    Row,
    Table,
    bindparam,
    create_engine,
    event,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import StaticPool

from iamd import metrics
from iamd.store import migrate, schema, writer_lock
from iamd.store.sql import SQLITE_WRITE, Query, begin_sqlite, on_driver
from iamd.store.writer_lock import WriterLock

T = TypeVar("T")

# Serialization failure and deadlock: the transaction may succeed if run again.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
_SQLITE_BUSY = re.compile(r"database is locked|database table is locked|SQLITE_BUSY", re.I)
_SCHEMA_LOCK_KEY = 0x69616D64  # "iamd": pg_advisory_xact_lock around create_all
SQLITE_BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """Base of the store's own errors; the operations translate them to AWS errors."""


class RowConflict(StoreError):
    """A write broke a constraint: a duplicate key (``kind="unique"``) or a missing parent
    row (``kind="foreign_key"``). ``constraint`` names the index when the database says."""

    def __init__(self, kind: str, constraint: str | None, detail: str) -> None:
        self.kind = kind
        self.constraint = constraint
        self.detail = detail
        super().__init__(f"{kind} conflict on {constraint or 'a constraint'}: {detail}")


class StoreBusy(StoreError):
    """The database kept reporting conflicts or lock timeouts after every retry."""


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return str(state) if state else None


def is_retryable(exc: BaseException) -> bool:
    """A serialization failure, a deadlock, or SQLite still busy after its timeout."""
    if isinstance(exc, DBAPIError) and not isinstance(exc, IntegrityError):
        if _sqlstate(exc) in _RETRYABLE_SQLSTATES:
            return True
        if isinstance(exc, OperationalError) and _SQLITE_BUSY.search(str(exc.orig)):
            return True
    return False


def row_conflict(exc: IntegrityError) -> RowConflict:
    """The narrow store error for an IntegrityError from either database."""
    orig = exc.orig
    message = str(orig).strip().splitlines()[0] if orig is not None else str(exc)
    sqlstate = _sqlstate(exc)
    diag = getattr(orig, "diag", None)
    constraint = getattr(diag, "constraint_name", None)
    if sqlstate is not None:
        kind = {"23505": "unique", "23503": "foreign_key"}.get(sqlstate, "other")
    elif "UNIQUE constraint failed" in message or "PRIMARY KEY" in message:
        kind = "unique"
        constraint = constraint or message.split(":", 1)[-1].strip()
    elif "FOREIGN KEY constraint failed" in message:
        kind = "foreign_key"
    else:
        kind = "other"
    return RowConflict(kind, constraint, message)


@dataclass(slots=True)
class _Kept:
    """A thread's own SQLite connection, and whether a transaction is using it."""

    conn: Connection
    busy: bool = False


class Database:
    """An engine and its transactions. ``url`` is a SQLAlchemy URL (SQLite or PostgreSQL)."""

    def __init__(self, url: str, *, pool_size: int = 10, max_overflow: int = 20) -> None:
        parsed = make_url(url)
        self.url = url
        self.dialect = parsed.get_backend_name()
        in_memory = False
        if self.dialect == "sqlite":
            in_memory = parsed.database in (None, "", ":memory:")
            if not in_memory:
                Path(str(parsed.database)).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.engine = _sqlite_engine(url, in_memory=in_memory)
        elif self.dialect == "postgresql":
            self.engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_pre_ping=True,
                pool_recycle=1800,
                isolation_level="READ COMMITTED",
            )
        else:
            raise ValueError(f"unsupported database {self.dialect!r}: use sqlite or postgresql")
        self._schema_lock = threading.Lock()
        self._keep = self.dialect == "sqlite" and not in_memory
        self._local = threading.local()
        self._all_kept: list[_Kept] = []
        self._kept_lock = threading.Lock()

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    @property
    def is_postgresql(self) -> bool:
        return self.dialect == "postgresql"

    def __repr__(self) -> str:
        return f"Database({self.engine.url.render_as_string(hide_password=True)!r})"

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.dispose()

    def dispose(self) -> None:
        """Close every pooled connection, and each thread's kept one."""
        with self._kept_lock:
            kept, self._all_kept = self._all_kept, []
        for each in kept:
            each.conn.close()
        self._local = threading.local()
        self.engine.dispose()

    def create_schema(self, *, upgrade: bool = True) -> None:
        """Create or upgrade the schema to this version's (``migrate``); safe when several
        processes start at once. With ``upgrade=False`` a store that needs an upgrade is
        refused with ``migrate.SchemaError`` instead."""
        with self._schema_lock, self.transaction(write=True) as conn:
            if self.is_postgresql:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK_KEY})
            if upgrade or migrate.is_empty(conn):  # making a new store upgrades nothing
                migrate.upgrade(conn)
            elif migrate.pending(conn):
                raise migrate.SchemaError(
                    f"the store's schema is at revision {migrate.current(conn) or 'none'}, "
                    f"not {migrate.head()}: run `iamd db upgrade`"
                )

    @contextmanager
    def transaction(
        self, write: bool = True, *, deferred: bool = False, reads_first: bool = False
    ) -> Iterator[Connection]:
        """One transaction: commit when the block ends, roll back on an exception.

        IntegrityError becomes RowConflict. A read transaction must not write.
        ``deferred``: a write transaction that usually only reads; on SQLite it begins with
        a plain ``BEGIN`` and takes the write lock at its first write, which fails (and
        ``run`` retries) if another process wrote since it began reading.

        ``reads_first``: a write transaction that begins as a read one, until
        ``start_writing`` (see the module docstring).

        The transaction begins with the block's first statement (SQLAlchemy's autobegin,
        which runs the same ``begin`` hook), so a block that never touches the database
        (GetCallerIdentity with session credentials) costs no BEGIN and no COMMIT.
        """
        with self._open(write, deferred or reads_first) as conn:
            try:
                yield conn
                _end(conn, commit=True)
            except BaseException as exc:
                _end(conn, commit=False)
                if isinstance(exc, IntegrityError):
                    raise row_conflict(exc) from exc
                raise

    @contextmanager
    def _open(self, write: bool, deferred: bool) -> Iterator[Connection]:
        """A connection for one transaction: this thread's kept one when it is idle."""
        kept = self._kept_connection()
        if kept is None:
            with self._connect(write, deferred) as conn:
                yield conn
            return
        kept.busy = True
        kept.conn.info[SQLITE_WRITE] = write and not deferred
        try:
            yield kept.conn
        finally:
            kept.busy = False

    def _kept_connection(self) -> _Kept | None:
        """This thread's own SQLite connection when it is idle, else None (PostgreSQL, an
        in-memory database, or a transaction already open in this thread).

        Checking a connection out of the pool and back in costs SQLAlchemy more than a
        request's statements, so each thread keeps one for its SQLite transactions."""
        if not self._keep:
            return None
        kept: _Kept | None = getattr(self._local, "kept", None)
        if kept is None:
            kept = _Kept(self.engine.connect())
            self._local.kept = kept
            with self._kept_lock:
                self._all_kept.append(kept)
        return None if kept.busy else kept

    def run(
        self,
        write: bool,
        fn: Callable[[Connection], T],
        *,
        attempts: int = 6,
        deferred: bool = False,
        reads_first: bool = False,
    ) -> T:
        """``fn(conn)`` inside a transaction, run again on serialization failures/deadlocks.

        ``fn`` may run more than once, so it must not have side effects outside the database.
        """
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction(write, deferred=deferred, reads_first=reads_first) as conn:
                    return fn(conn)
            except DBAPIError as exc:
                if not is_retryable(exc):
                    raise
                if attempt == attempts:
                    raise StoreBusy(f"gave up after {attempts} attempts: {exc.orig}") from exc
                metrics.DB_RETRIES.inc()
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def start_writing(self, conn: Connection, account_id: str | None = None) -> None:
        """End the read part of a ``reads_first`` transaction and take the write lock.

        On SQLite the read snapshot is committed and the next statement begins the write
        transaction (``BEGIN IMMEDIATE``): one writer at a time. On PostgreSQL the
        account's row is locked (``FOR UPDATE``) until the transaction ends, so the
        writers of one account take turns from here on, on every node; in READ COMMITTED
        each later statement sees what the writer before committed, so a check made
        after this (exists? under the quota? the list as it is now?) still holds at the
        commit. Writers of different accounts do not wait for each other.
        """
        if self.is_sqlite:
            _end(conn, commit=True)
            conn.info[SQLITE_WRITE] = True
        elif account_id is not None:
            conn.execute(_LOCK_ACCOUNT, {"account": account_id})

    @contextmanager
    def _connect(self, write: bool, deferred: bool = False) -> Iterator[Connection]:
        with self.engine.connect() as raw:
            if self.is_sqlite:
                raw.info[SQLITE_WRITE] = write and not deferred
                conn = raw
            elif not write:
                conn = raw.execution_options(
                    isolation_level="REPEATABLE READ", postgresql_readonly=True
                )
            else:
                conn = raw
            yield conn


def _end(conn: Connection, *, commit: bool) -> None:
    """Commit or roll back the transaction, whichever began it: SQLAlchemy, or a Query on
    SQLite's driver (``store.sql.begin_sqlite``)."""
    if conn.in_transaction():
        if commit:
            conn.commit()
        else:
            conn.rollback()
    elif conn.dialect.name == "sqlite":
        driver = conn.connection.driver_connection
        if driver is not None and driver.in_transaction:
            if commit:
                on_driver(conn, "COMMIT", driver.commit)
            else:
                driver.rollback()
    lock: WriterLock | None = conn.info.get(writer_lock.INFO_KEY)
    if lock is not None:
        lock.release()


def _create_private(path: str | None) -> None:
    """Create a new SQLite file readable by its owner only (it holds encrypted keys and
    password hashes); SQLite gives its -wal and -shm files the same mode."""
    if not path:
        return
    # There already, or no folder for it: SQLite says why when it connects.
    with contextlib.suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _sqlite_engine(url: str, *, in_memory: bool) -> Engine:
    kwargs: dict[str, Any] = {
        "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    }
    if in_memory:
        kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_size"] = 8
        kwargs["max_overflow"] = 16
    if not in_memory:
        _create_private(make_url(url).database)
    engine = create_engine(url, **kwargs)

    lock_path = None if in_memory else f"{make_url(url).database}-writer.lock"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        if lock_path is not None:
            record.info[writer_lock.INFO_KEY] = WriterLock(lock_path)
        # iamd emits BEGIN itself (see the "begin" hook); pysqlite must not.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if not in_memory:
                _use_wal(cursor)
            cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, record: Any) -> None:
        lock = record.info.pop(writer_lock.INFO_KEY, None)
        if lock is not None:
            lock.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A Query may have begun the transaction on the driver already (store.sql).
        if not conn.connection.driver_connection.in_transaction:  # type: ignore[union-attr]
            begin_sqlite(conn)

    return engine


def _use_wal(cursor: Any) -> None:
    """Put a file database in WAL mode.

    Changing the journal mode needs the database to itself for a moment, and SQLite
    answers "database is locked" at once, without its busy handler, while another
    connection is opening or switching the same new file; so wait and try again, within
    the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.2)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A timestamp read back from the store, timezone-aware UTC.

    SQLite keeps no zone and hands back naive values; iamd only ever stores UTC.
    """
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _key_clause(table: Table, key: Mapping[str, object]) -> list[Any]:
    return [table.c[name] == value for name, value in key.items()]


def lock_row(conn: Connection, table: Table, key: Mapping[str, object]) -> Row[Any] | None:
    """Read a row and lock it until the transaction ends (``SELECT ... FOR UPDATE``).

    Used before counting children (at most five policy versions) so that concurrent
    writers of the same parent take turns. On SQLite the write transaction's
    ``BEGIN IMMEDIATE`` already serializes writers, so it is a plain read there.
    Returns None when no row has that key.
    """
    stmt = select(table).where(*_key_clause(table, key))
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    return conn.execute(stmt).first()


_LOCK_ACCOUNT = (
    select(schema.accounts.c.account_id)
    .where(schema.accounts.c.account_id == bindparam("account"))
    .with_for_update()
)


def touch_account(conn: Connection, account_id: str) -> int:
    """Count a write in ``account_id`` and return the new change counter.

    Every write that changes or removes something calls it (each node's caches of the
    account are keyed on the counter), and so does one that reads what it depends on
    and must not see it change before it commits: on PostgreSQL this locks the account
    row until the transaction ends, so writers of the account take turns from here.
    A write that only creates a new entity referring to nothing else needs neither:
    nothing cached refers to it, and the unique name index and the kept count
    (``iam.naming.count_created``) settle concurrent creators.
    """
    value = _TOUCH.scalar(conn, {"account": account_id})
    return int(value) if value is not None else 0


# Writes that change or remove run it; on the driver (store.sql), as reads of the counter are.
_TOUCH = Query(
    update(schema.accounts)
    .where(schema.accounts.c.account_id == bindparam("account"))
    .values(change_counter=schema.accounts.c.change_counter + 1)
    .returning(schema.accounts.c.change_counter)
)


def change_counter(conn: Connection, account_id: str) -> int:
    """The account's change counter (0 for an account that does not exist)."""
    value = _COUNTER.scalar(conn, {"account": account_id})
    return int(value) if value is not None else 0


_COUNTER = Query(
    select(schema.accounts.c.change_counter).where(
        schema.accounts.c.account_id == bindparam("account")
    )
)


def insert_ignore(conn: Connection, table: Table, values: Mapping[str, object]) -> bool:
    """Insert a row unless one with the same key already exists; True if it was inserted.

    For seeding that several processes may do at once (no error, no aborted transaction).
    """
    if conn.dialect.name == "postgresql":
        stmt: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        stmt = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    # RETURNING rather than rowcount: psycopg reports no rowcount for these inserts.
    key = next(iter(table.primary_key.columns))
    return conn.execute(stmt.returning(key)).first() is not None


@contextmanager
def savepoint(conn: Connection) -> Iterator[None]:
    """Run a block in a savepoint, turning IntegrityError into RowConflict there.

    After a conflict the enclosing transaction stays usable (PostgreSQL otherwise aborts
    the whole transaction on the first error), so an operation can insert and fall back.
    """
    try:
        with conn.begin_nested():
            yield
    except IntegrityError as exc:
        raise row_conflict(exc) from exc
