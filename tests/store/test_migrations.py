"""Schema migrations, on SQLite and on a real PostgreSQL.

- The revisions, run one by one from nothing, build exactly the schema the code declares:
  a change to ``schema.py`` without its revision fails here.
- A store made before migrations existed (the baseline's tables, no version table) is
  upgraded in place with every row it held.
- A store written by a newer iamd, or one that needs an upgrade when upgrading is off, is
  refused and left as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import (
    BigInteger,
    Boolean,
    Connection,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)

from iamd.store import migrate, schema
from iamd.store.db import Database

STAMP = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


@pytest.fixture
def raw(db_url: str) -> Iterator[Database]:
    """A Database on an empty store, the schema not yet created."""
    database = Database(db_url)
    yield database
    database.dispose()


def _run(db: Database, *steps: str) -> None:
    """Run alembic commands (``upgrade:REV``, ``stamp:REV``) on the store, in one transaction."""
    with db.transaction(write=True) as conn:
        config = migrate._config(conn)
        for step in steps:
            verb, revision = step.split(":")
            getattr(command, verb)(config, revision)


def _differences(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn)
    return list(compare_metadata(context, schema.metadata))


def test_the_revisions_build_exactly_the_declared_schema(raw: Database) -> None:
    _run(raw, "upgrade:head")
    with raw.transaction() as conn:
        assert _differences(conn) == []
        assert migrate.current(conn) == migrate.head()


def test_a_new_store_is_made_at_the_newest_revision(raw: Database) -> None:
    raw.create_schema()
    with raw.transaction() as conn:
        assert migrate.current(conn) == migrate.head()
        assert _differences(conn) == []
        assert not migrate.pending(conn)


def _value(column: Any) -> object:
    kind = column.type
    if isinstance(kind, Boolean):
        return True
    if isinstance(kind, (Integer, BigInteger)):
        return 7
    if isinstance(kind, DateTime):
        return STAMP
    if isinstance(kind, LargeBinary):
        return b"\x00secret\xff"
    if isinstance(kind, (String, Text)):
        return "v"
    raise AssertionError(f"no sample value for {column.table.name}.{column.name}: {kind!r}")


def _legacy_store(db: Database) -> dict[str, dict[str, object]]:
    """What iamd before migrations made: the baseline's tables, one row in each."""
    _run(db, "upgrade:" + migrate.BASELINE)
    rows: dict[str, dict[str, object]] = {}
    with db.transaction(write=True) as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        old = MetaData()
        old.reflect(conn)
        for table in old.sorted_tables:
            row = {column.name: _value(column) for column in table.columns}
            conn.execute(insert(table).values(row))
            rows[table.name] = row
    return rows


def _normalized(row: dict[str, object]) -> dict[str, object]:
    return {
        k: (v.astimezone(dt.UTC).replace(tzinfo=dt.UTC) if isinstance(v, dt.datetime) else v)
        for k, v in row.items()
    }


def _read_back(conn: Connection, table: Table) -> dict[str, object]:
    found = conn.execute(select(table)).mappings().all()
    assert len(found) == 1, table.name
    row = dict(found[0])
    for key, value in row.items():
        if isinstance(value, dt.datetime) and value.tzinfo is None:  # SQLite keeps naive UTC
            row[key] = value.replace(tzinfo=dt.UTC)
        if isinstance(value, memoryview):
            row[key] = bytes(value)
    return row


def test_a_store_made_before_migrations_is_upgraded_with_every_row(raw: Database) -> None:
    rows = _legacy_store(raw)
    assert len(rows) >= 20
    with raw.transaction() as conn:
        assert migrate.current(conn) is None
        assert migrate.pending(conn)

    raw.create_schema()

    with raw.transaction() as conn:
        assert migrate.current(conn) == migrate.head()
        assert _differences(conn) == []
        for name, row in rows.items():
            table = schema.metadata.tables[name]
            found = _read_back(conn, table)
            assert _normalized({k: found[k] for k in row}) == _normalized(row), name


def test_upgrading_twice_changes_nothing(raw: Database) -> None:
    raw.create_schema()
    raw.create_schema()
    with raw.transaction() as conn:
        assert migrate.current(conn) == migrate.head()


def test_a_store_that_needs_an_upgrade_is_refused_when_upgrading_is_off(raw: Database) -> None:
    _legacy_store(raw)
    with pytest.raises(migrate.SchemaError, match="iamd db upgrade"):
        raw.create_schema(upgrade=False)
    with raw.transaction() as conn:
        assert migrate.current(conn) is None


def test_a_store_written_by_a_newer_iamd_is_refused_and_left_alone(raw: Database) -> None:
    raw.create_schema()
    with raw.transaction(write=True) as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    with pytest.raises(migrate.SchemaError, match="newer iamd"):
        raw.create_schema()
    with raw.transaction() as conn:
        assert migrate.current(conn) == "ffff"
        assert set(schema.metadata.tables) <= set(inspect(conn).get_table_names())


def test_a_trail_stored_before_compact_rows_reads_back_the_same_after_upgrading(
    raw: Database,
) -> None:
    """Revision 0010 adds compact rows beside the whole records already stored: the old
    events keep their text, byte for byte, and new compact ones are found with them."""
    from iamd.store import audit_events

    record = '{"eventVersion":"1.09","userIdentity":{"type":"Root"},"eventName":"GetRole"}'
    _run(raw, "upgrade:0009")
    with raw.transaction(write=True) as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (event_id, account_id, event_time, event_name,"
                " event_source, read_only, resources, record) VALUES ('e-old', '111111111111',"
                " :t, 'GetRole', 'iam.amazonaws.com', :yes, '', :record)"
            ),
            {"t": STAMP, "yes": True, "record": record},
        )
    raw.create_schema()

    origin = audit_events.Origin(b"\x01" * 16, '{"type":"IAMUser"}', ',"userAgent":"a"')
    new = audit_events.StoredEvent(
        "e-new", "111111111111", STAMP + dt.timedelta(seconds=1), "GetUser",
        "iam.amazonaws.com", True, None, None, None, "", ',"eventName":"GetUser"}',
        origin=origin, cut=0,
    )  # fmt: skip
    with raw.transaction(write=True) as conn:
        audit_events.store_origins(conn, [origin], STAMP)
        audit_events.append(conn, [new])
    with raw.transaction() as conn:
        found = audit_events.lookup(conn, "111111111111")
    assert [(f.event.event_id, f.event.record) for f in found] == [
        ("e-new", new.record),
        ("e-old", record),
    ]
    assert new.record == (
        '{"eventVersion":"1.09","userIdentity":{"type":"IAMUser"},"userAgent":"a"'
        ',"eventName":"GetUser"}'
    )
