"""Statements of the request path, compiled once and run on the driver's own connection.

SQLAlchemy's ``Connection.execute`` of a statement built once still costs about 50 us per
call (execution context, result proxy, events, the compiled-cache key) where SQLite's
own ``execute`` and ``fetchone`` cost 10-15 us; a request runs several, so that machinery
was a third of a request's CPU. ``Query`` keeps SQLAlchemy for what it is good at
(the statement, written in Core; compiling it for SQLite or PostgreSQL; the column types'
conversions) and does the execution itself:

- the statement is compiled once per dialect into SQL text, the order of its bind
  parameters (positional drivers such as sqlite3) and each parameter's and result
  column's converter (e.g. SQLite keeps timestamps as text);
- it runs on the DB-API connection inside the Connection's transaction, which it begins
  first if need be (on SQLite on the driver, ``begin_sqlite``), so it mixes freely with
  ordinary ``conn.execute`` in one transaction;
- rows come back as plain tuples, read by position;
- a driver error is wrapped exactly as SQLAlchemy would wrap it (IntegrityError,
  OperationalError, ...), so ``store.db``'s conflict and retry handling sees no
  difference.

Statements with expanding (``IN``) or post-compile parameters are refused when compiled:
they need SQLAlchemy's per-call rendering. Use ``conn.execute`` for those, and for
anything off the request path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.expression import Executable

from iamd.store import writer_lock
from iamd.store.writer_lock import WriterLock

Row = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class _Plan:
    sql: str
    positional: bool
    names: tuple[str, ...]  # bind parameters, in the driver's order
    defaults: Mapping[str, Any]  # values of literal binds compiled into the statement
    bind: tuple[tuple[int, Callable[[Any], Any]], ...]  # (parameter, converter)
    result: tuple[tuple[int, Callable[[Any], Any]], ...] | None  # (column, converter)
    sqlite: bool


SQLITE_WRITE = "iamd_write"
"""``Connection.info`` key: whether SQLite's next BEGIN is IMMEDIATE (a write)."""


def begin_sqlite(conn: Connection) -> None:
    """Begin SQLite's transaction on the driver: ``BEGIN IMMEDIATE`` for a write, so that
    writers queue on the lock, plain ``BEGIN`` (a snapshot) for a read.

    A write first takes the database's ``WriterLock`` (``store.writer_lock``), when the
    connection has one: writers then queue in the kernel, not in SQLite's sleeps.

    SQLAlchemy's own begin goes through here too (``store.db``'s ``begin`` hook), but a
    transaction of Queries alone never involves it: it costs a request ~25 us to begin and
    as much to commit, more than a statement. ``store.db`` commits whichever began."""
    driver = conn.connection.driver_connection
    assert driver is not None  # INVARIANT: a checked-out connection has its driver's
    if not conn.info.get(SQLITE_WRITE, True):
        on_driver(conn, "BEGIN", driver.execute, "BEGIN")
        return
    lock: WriterLock | None = conn.info.get(writer_lock.INFO_KEY)
    if lock is not None:
        lock.acquire()  # released when the transaction ends (store.db)
    try:
        on_driver(conn, "BEGIN IMMEDIATE", driver.execute, "BEGIN IMMEDIATE")
    except BaseException:
        if lock is not None:
            lock.release()
        raise


def on_driver(
    conn: Connection, what: str, call: Callable[..., Any], *args: Any, params: Any = ()
) -> Any:
    """``call(*args)`` on the driver, its errors wrapped as SQLAlchemy wraps them
    (``database is locked`` becomes an OperationalError that ``Database.run`` retries, a
    duplicate key an IntegrityError)."""
    base: type[Exception] = conn.dialect.loaded_dbapi.Error
    try:
        return call(*args)
    except base as exc:
        raise DBAPIError.instance(what, params, exc, base, dialect=conn.dialect) from exc


class Query:
    """A Core statement, compiled per dialect on first use; see the module docstring."""

    __slots__ = ("_plans", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def all(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Row]:
        plan, cursor = self._run(conn, params)
        rows: list[Row] = cursor.fetchall()
        return rows if plan.result is None else [_convert(plan.result, r) for r in rows]

    def first(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Row | None:
        plan, cursor = self._run(conn, params)
        row: Row | None = cursor.fetchone()
        if row is None or plan.result is None:
            return row
        return _convert(plan.result, row)

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        row = self.first(conn, params)
        return None if row is None else row[0]

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement that returns no rows; the number of rows it changed."""
        _plan, cursor = self._run(conn, params)
        return int(cursor.rowcount)

    def execute_many(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement that returns no rows once per parameter set (``executemany``)."""
        if not rows:
            return
        plan, driver = self._prepare(conn)
        values = [_bind(plan, row) for row in rows]
        cursor = driver.cursor()
        on_driver(conn, plan.sql, cursor.executemany, plan.sql, values, params=values[:1])

    def _prepare(self, conn: Connection) -> tuple[_Plan, Any]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        driver = conn.connection.driver_connection
        assert driver is not None  # INVARIANT: a checked-out connection has its driver's
        if plan.sqlite:
            if not driver.in_transaction:
                begin_sqlite(conn)
        elif not conn.in_transaction():
            conn.begin()
        return plan, driver

    def _run(self, conn: Connection, params: Mapping[str, Any] | None) -> tuple[_Plan, Any]:
        dialect = conn.dialect
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _compile(self.statement, dialect)
        driver = conn.connection.driver_connection
        assert driver is not None  # INVARIANT: a checked-out connection has its driver's
        if plan.sqlite:
            if not driver.in_transaction:
                begin_sqlite(conn)
        elif not conn.in_transaction():
            conn.begin()
        values = _bind(plan, params or {})
        cursor = driver.cursor()
        on_driver(conn, plan.sql, cursor.execute, plan.sql, values, params=values)
        return plan, cursor


def _bind(plan: _Plan, params: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
    defaults = plan.defaults
    values = [params[n] if n in params else defaults[n] for n in plan.names]
    for index, convert in plan.bind:
        if values[index] is not None:
            values[index] = convert(values[index])
    return values if plan.positional else dict(zip(plan.names, values, strict=True))


def _convert(converters: tuple[tuple[int, Callable[[Any], Any]], ...], row: Row) -> Row:
    values = list(row)
    for index, convert in converters:
        value = values[index]
        if value is not None:
            values[index] = convert(value)
    return tuple(values)


def _compile(statement: Executable, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    sql: str = compiled.string
    if "POSTCOMPILE" in sql:
        raise ValueError(f"Query cannot run a statement with expanding parameters: {sql}")
    binds = {compiled.bind_names[b]: b for b in compiled.binds.values()}  # rendered names
    positional = bool(dialect.positional)
    names = tuple(compiled.positiontup) if positional else tuple(binds)
    bind = tuple(
        (i, p)
        for i, p in enumerate(
            binds[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
        )
        if p is not None
    )
    columns = getattr(statement, "selected_columns", None)
    returning = getattr(compiled, "returning", None) or ()
    result_columns = list(columns) if columns is not None else list(returning)
    processors = [
        c.type.dialect_impl(dialect).result_processor(dialect, None) for c in result_columns
    ]
    converters = tuple((i, p) for i, p in enumerate(processors) if p is not None)
    return _Plan(
        sql=sql,
        positional=positional,
        names=names,
        defaults=compiled.params,
        bind=bind,
        result=converters or None,
        sqlite=dialect.name == "sqlite",
    )
