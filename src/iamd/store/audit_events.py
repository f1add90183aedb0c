"""The audit trail's rows: append, look up newest first, forget past retention.

An event is stored once per recipient account with its lookup columns (LookupEvents'
attributes) beside the CloudTrail record's JSON text, in a table with one index (account,
time): a write request appends its event in its own transaction, and every index would be
one more page written with it. A lookup reads the account's events in the time range
through that index and compares the attribute on each row (LookupEvents is a search over
one account's recent trail, not a point query). Pages are keyed on ``(event_time, seq)``
from the newest down, so events appended while a caller pages never repeat or vanish from
the pages still to come.

A queued event is stored compact: most of a read's record is who called (its
``userIdentity``) and from where (``sourceIPAddress``, ``userAgent``), the same for every
request of a session, so that part, its ``Origin``, is kept once in ``audit_origins`` and
the event's row names it by digest and holds the rest of the text (half a session's row,
and SQLite's insert costs by the byte). Each batch stores the origins it names that this
process has not stored in the same hour, in the batch's own transaction; an origin's
``last_used`` is that hour, and retention forgets an origin only hours after the events
that could name it. A lookup puts every record back together, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from iamd.store.db import as_utc
from iamd.store.schema import audit_events, audit_origins
from iamd.store.sql import Query, begin_sqlite, on_driver

# LookupEvents' attribute keys -> the column each one compares with.
_COLUMNS = {
    "EventId": audit_events.c.event_id,
    "EventName": audit_events.c.event_name,
    "Username": audit_events.c.username,
    "EventSource": audit_events.c.event_source,
    "AccessKeyId": audit_events.c.access_key_id,
}


# Every record starts so; its userIdentity follows.
RECORD_START = '{"eventVersion":"1.09","userIdentity":'


class Origin(NamedTuple):
    """Who made a request and from where: the parts of its record that every request of
    one session (or key) from one client shares."""

    digest: bytes  # 16 bytes of BLAKE2b over both texts
    identity: str  # the userIdentity value, as JSON
    client: str  # ',"sourceIPAddress":...,"userAgent":...'


class StoredEvent(NamedTuple):
    """One event as stored for one account (immutable; a named tuple rather than a frozen
    dataclass because every request makes one, and a frozen dataclass's ``__init__``
    costs three times as much)."""

    event_id: str
    account_id: str
    event_time: dt.datetime
    event_name: str
    event_source: str
    read_only: bool
    username: str | None
    access_key_id: str | None
    principal_arn: str | None
    resource_lines: str  # "type<TAB>name" lines, as the resources column holds them
    text: str  # the record as JSON; with an origin, the rest of it
    origin: Origin | None = None
    cut: int = 0  # where in ``text`` the origin's client part goes

    @property
    def resources(self) -> tuple[tuple[str, str], ...]:
        """(resource type, resource name) of each resource LookupEvents names."""
        return tuple(
            (kind, name)
            for kind, _, name in (line.partition("\t") for line in self.resource_lines.splitlines())
        )

    @property
    def record(self) -> str:
        """The CloudTrail record, as JSON text."""
        o = self.origin
        if o is None:
            return self.text
        return f"{RECORD_START}{o.identity}{self.text[: self.cut]}{o.client}{self.text[self.cut :]}"

    def whole(self) -> StoredEvent:
        """This event with its whole record in its text, naming no origin."""
        return self if self.origin is None else self._replace(text=self.record, origin=None, cut=0)


@dataclass(frozen=True, slots=True)
class Found:
    seq: int
    event: StoredEvent


_EVENT_COLUMNS = (
    "event_id",
    "account_id",
    "event_time",
    "event_name",
    "event_source",
    "read_only",
    "username",
    "access_key_id",
    "principal_arn",
    "resources",
    "record",
    "origin",
    "cut",
)
_INSERT_EVENT = Query(
    insert(audit_events).values({name: bindparam(name) for name in _EVENT_COLUMNS})
)


def append(conn: Connection, events: Sequence[StoredEvent]) -> None:
    """Insert ``events`` (one ``executemany`` on the driver)."""
    if not events:
        return
    if conn.dialect.name == "sqlite":
        _append_sqlite(conn, events)
        return
    _INSERT_EVENT.execute_many(
        conn, [dict(zip(_EVENT_COLUMNS, _values(e), strict=True)) for e in events]
    )


def _values(e: StoredEvent) -> tuple[Any, ...]:
    """``e``'s column values, in ``_EVENT_COLUMNS``' order (its builder made each one as
    its column holds it: cut to length, no NUL)."""
    origin = e.origin
    if origin is None:
        return (*e[:11], None, None)
    return (*e[:11], origin.digest, e.cut)


# Rows per INSERT statement on SQLite, largest first: a batch goes in a few statements of
# these sizes (a handful of texts in the driver's statement cache, whatever the batch),
# each one step of SQLite's, run without the GIL.
_CHUNKS = (256, 64, 16, 4, 1)
_SQLITE_INSERTS = {
    size: f"INSERT INTO audit_events ({', '.join(_EVENT_COLUMNS)}) VALUES "
    + ", ".join(["(" + ", ".join("?" * len(_EVENT_COLUMNS)) + ")"] * size)
    for size in _CHUNKS
}


def _sqlite_row(e: StoredEvent) -> tuple[Any, ...]:
    """``e``'s column values as SQLite keeps them, in ``_EVENT_COLUMNS``' order."""
    origin = e.origin
    time = _sqlite_time(e.event_time)
    if origin is None:
        return (e[0], e[1], time, e[3], e[4], 1 if e[5] else 0, *e[6:11], None, None)
    return (e[0], e[1], time, e[3], e[4], 1 if e[5] else 0, *e[6:11], origin.digest, e.cut)


def _append_sqlite(conn: Connection, events: Sequence[StoredEvent]) -> None:
    """The rows as SQLite keeps them (the time as text, the flag as 0 or 1, as the
    columns' types would write them), inserted on the driver in positional form:
    SQLAlchemy's per-value conversions and the named parameters' binding cost twice as
    much as SQLite's insert. Many rows to a statement: the driver releases the GIL for
    each step of a statement, and a batch of one-row steps would take it back, from
    whichever thread holds it, once a row."""
    values = list(itertools.chain.from_iterable(map(_sqlite_row, events)))
    driver = conn.connection.driver_connection
    assert driver is not None  # INVARIANT: a checked-out connection has its driver's
    if not driver.in_transaction:
        begin_sqlite(conn)
    width, start, left = len(_EVENT_COLUMNS), 0, len(events)
    while left:
        size = next(size for size in _CHUNKS if size <= left)
        insert = _SQLITE_INSERTS[size]
        end = start + size * width
        on_driver(conn, insert, driver.execute, insert, values[start:end], params=values[start:end])
        start, left = end, left - size


def store_origins(conn: Connection, origins: Iterable[Origin], hour: dt.datetime) -> None:
    """Insert ``origins``, or mark them used in ``hour`` (an hour's start) where they are
    stored already. The row is written only when its ``last_used`` is older, but a
    conflicting row is locked either way on PostgreSQL, so a retention that would delete
    it waits for this transaction and then finds it used."""
    rows = [
        {"digest": o.digest, "identity": o.identity, "client": o.client, "last_used": hour}
        for o in origins
    ]
    if not rows:
        return
    insert_origin = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
    stmt = insert_origin(audit_origins)
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[audit_origins.c.digest],
            set_={"last_used": stmt.excluded.last_used},
            where=audit_origins.c.last_used < stmt.excluded.last_used,
        ),
        rows,
    )


def _sqlite_time(moment: dt.datetime) -> str:
    """``moment`` as SQLAlchemy's SQLite DateTime writes it: its own fields (no zone
    conversion), to the microsecond; the events of one second share its first part."""
    second = moment.toordinal() * 86400 + moment.hour * 3600 + moment.minute * 60 + moment.second
    last = _last_second[0]  # one (second, text) pair, replaced whole: safe across threads
    if second != last[0]:
        last = _last_second[0] = (second, moment.replace(microsecond=0).isoformat(" ")[:19])
    return f"{last[1]}.{moment.microsecond:06d}"


_last_second: list[tuple[int, str]] = [(-1, "")]


def checkpoint(conn: Connection) -> None:
    """SQLite: copy what the write-ahead log holds into the database file, as far as no
    reader still needs it (PASSIVE: it waits for no one, and no one waits for it). Run
    outside any transaction."""
    driver = conn.connection.driver_connection
    assert driver is not None  # INVARIANT: a checked-out connection has its driver's
    on_driver(conn, _CHECKPOINT, driver.execute, _CHECKPOINT)


_CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"


def lookup(
    conn: Connection,
    account_id: str | None,
    *,
    attribute: tuple[str, str] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    before: tuple[dt.datetime, int] | None = None,
    limit: int = 50,
    after: int | None = None,
) -> list[Found]:
    """Events of ``account_id`` (every account when None), newest first.

    ``attribute`` is one LookupEvents attribute (key, value); ``before`` is the key of the
    last event of the previous page; ``after`` keeps only the events stored after the one
    numbered ``after``, in the order they were stored (to follow the trail as it grows: a
    queued event can be stored after a newer one).
    """
    t = audit_events.c
    o = audit_origins.c
    query = select(audit_events, o.identity, o.client).outerjoin(
        audit_origins, t.origin == o.digest
    )
    # A compact event whose origin is gone (retention forgets origins hours after the
    # events that could name them) has no record to show.
    clauses = [or_(t.origin.is_(None), o.digest.is_not(None))]
    if account_id is not None:
        clauses.append(t.account_id == account_id)
    if start is not None:
        clauses.append(t.event_time >= start)
    if end is not None:
        clauses.append(t.event_time <= end)
    if attribute is not None:
        key, value = attribute
        if key == "ReadOnly":
            clauses.append(t.read_only == (value.lower() == "true"))
        elif key == "ResourceName":
            clauses.append(t.resources.contains(f"\t{value}\n", autoescape=True))
        elif key == "ResourceType":
            clauses.append(t.resources.contains(f"{value}\t", autoescape=True))
        else:
            clauses.append(_COLUMNS[key] == value)
    if before is not None:
        at, seq = before
        clauses.append(or_(t.event_time < at, and_(t.event_time == at, t.seq < seq)))
    if after is not None:
        clauses.append(t.seq > after)
        query = query.order_by(t.seq)
    else:
        query = query.order_by(t.event_time.desc(), t.seq.desc())
    rows = conn.execute(query.where(*clauses).limit(limit)).all()
    return [
        Found(
            row.seq,
            StoredEvent(
                event_id=row.event_id,
                account_id=row.account_id,
                event_time=as_utc(row.event_time),
                event_name=row.event_name,
                event_source=row.event_source,
                read_only=row.read_only,
                username=row.username,
                access_key_id=row.access_key_id,
                principal_arn=row.principal_arn,
                resource_lines=row.resources,
                text=_record_of(row),
            ),
        )
        for row in rows
    ]


def _record_of(row: Any) -> str:
    """A stored row's whole record: its text, or its origin's parts put back in it."""
    text: str = row.record
    if row.origin is None:
        return text
    cut = row.cut
    return f"{RECORD_START}{row.identity}{text[:cut]}{row.client}{text[cut:]}"


def last_access(
    conn: Connection, account_id: str, principal_arns: Iterable[str], *, by_action: bool = False
) -> list[tuple[str, str, str | None, dt.datetime]]:
    """(principal ARN, event source, event name or None, newest time) of the events of
    ``principal_arns`` in ``account_id``: what the access advisor reports."""
    t = audit_events.c
    arns = list(principal_arns)
    if not arns:
        return []
    columns = [t.principal_arn, t.event_source] + ([t.event_name] if by_action else [])
    rows = conn.execute(
        select(*columns, func.max(t.event_time))
        .where(t.account_id == account_id, t.principal_arn.in_(arns))
        .group_by(*columns)
    ).all()
    return [(str(r[0]), str(r[1]), str(r[2]) if by_action else None, as_utc(r[-1])) for r in rows]


# How much older than the events stored before it a queued event can be: far more than a
# recorder's queue ever holds one.
_STORED_LATE = dt.timedelta(hours=1)


def forget_before(conn: Connection, cutoff: dt.datetime, batch: int = 5000) -> int:
    """Delete up to ``batch`` of the oldest events older than ``cutoff``; how many went.

    The oldest events are among the first by ``seq`` (the primary key; a queued event is
    stored at most moments after newer ones), so the scan stops as soon as it has found
    them; no index on the time alone is needed."""
    t = audit_events.c
    first = conn.execute(select(t.event_time).order_by(t.seq).limit(1)).scalar()
    if first is None or as_utc(first) >= cutoff + _STORED_LATE:
        return 0  # the first stored is recent (bar a queue's delay): nothing to scan for
    oldest = select(t.seq).where(t.event_time < cutoff).order_by(t.seq).limit(batch)
    seqs = [row.seq for row in conn.execute(oldest)]
    if not seqs:
        return 0
    conn.execute(delete(audit_events).where(t.seq.in_(seqs)))
    return len(seqs)


def forget_origins_before(conn: Connection, cutoff: dt.datetime, batch: int = 5000) -> int:
    """Delete up to ``batch`` origins not used since well before ``cutoff`` (a queue's
    delay and the hour ``last_used`` is kept to); how many went."""
    o = audit_origins.c
    unused = o.last_used < cutoff - _STORED_LATE - dt.timedelta(hours=1)
    digests = [row.digest for row in conn.execute(select(o.digest).where(unused).limit(batch))]
    if not digests:
        return 0
    # ``unused`` again: a batch that has just marked one used (and holds its row) wins.
    return conn.execute(delete(audit_origins).where(o.digest.in_(digests), unused)).rowcount
