"""Where events go: the store (always) and a JSON-lines file (when one is set).

A committed write's event is appended in the write's own transaction, so the two commit
or vanish together (``in_transaction``). Every other event (reads, refusals, failed
authentication) is drafted when it is submitted (``submit``, ``event.draft``), while the
request's objects it needs are at hand, queued, and composed and stored in batches:
``INTERVAL`` after the first event of a batch, or as soon as ``BATCH`` are waiting, by a
callback on the server's event loop, the thread that serves requests. Not a thread of
its own: under CPython's GIL a second busy thread makes the event loop wait for it after
every I/O wait, which cost more requests per second than the work itself. A read pays
for its record and for its row in one batch of many, not for a write transaction of its
own. Queued drafts are plain text in a tuple: the request's objects are let go at once,
not carried through the garbage collector's generations until their batch is stored.

On SQLite the write-ahead log is checkpointed in a thread of the loop's executor (the copy
runs in SQLite, without the GIL) once the batches since the last copy hold
``CHECKPOINT_BYTES`` of records, so that no commit on the loop ever reaches the log's size
at which SQLite checkpoints it there, fsyncs included. (A thread that stored the batches
too was measured again in session 7, with the batches in many-row statements that SQLite
runs without the GIL: it still cost a fifth more requests per second than the loop.)

``close`` (server shutdown) drains the queue; only a process killed outright can lose
queued events, the reads and refusals it has not stored yet (the last ``INTERVAL`` of
them, more while the database is slow to take them); a write's event is never among
them. Without a running event loop (a script, a test) the queue is stored when ``flush``
or ``close`` is called.

Retention (``IAMD_AUDIT_RETENTION_DAYS``) runs hourly in the loop's default executor, in
batches, so a large backlog is forgotten without a long transaction.

Under ``iamd serve`` a worker's recorder is given the address of the server's storing
process (``storer``): its drafts are then shipped there (``audit.shipping``) rather than
stored, and that process's own recorder composes and stores them (``accept``),
checkpoints and applies retention. A read then costs its worker its draft and a share of
one send per batch: the record's assembly, the insert, its write-ahead log and the
checkpoints run on another core. Should the storing process be gone, or take nothing for
``STALLED_AFTER``, the worker logs it and stores its events itself from then on, those
that had not reached it whole included. A frame that has reached it whole is its to
store: if it is killed, it loses what it has received and not stored, as a killed worker
loses its own queue.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import operator
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from iamd import metrics
from iamd.audit.event import Draft, Facts, compose, draft
from iamd.audit.shipping import Shipper
from iamd.store import audit_events
from iamd.store.audit_events import Origin, StoredEvent
from iamd.store.db import Database, StoreError

log = logging.getLogger("iamd.audit")

INTERVAL = 0.2  # seconds from a batch's first event to its flush
BATCH = 500
MAX_QUEUED = 100_000  # beyond this, new queued events are counted as dropped and logged
MAX_ORIGINS_KEPT = 100_000  # origins known stored this hour, before the set starts again
# Records stored between two checkpoints of SQLite's write-ahead log: with their lookup
# columns and index entries, well under the 1,000 pages at which a commit checkpoints.
CHECKPOINT_BYTES = 1_500_000
RETENTION_EVERY = dt.timedelta(hours=1)
# Seconds a storing process may take nothing that waits for it before a worker stores its
# events itself (the process is alive but hung: a database that does not answer, a stop).
STALLED_AFTER = 10.0


class Recorder:
    def __init__(
        self,
        database: Database,
        *,
        log_path: str | None = None,
        retention_days: int | None = None,
        now: Callable[[], dt.datetime] | None = None,
        interval: float = INTERVAL,
        reads: bool = True,
        storer: str | None = None,
    ) -> None:
        self.database = database
        self._storer = storer  # the storing process's address: batches are shipped there
        self._shipper: Shipper | None = None
        self._watched: asyncio.AbstractEventLoop | None = None  # watching the shipper's socket
        self.reads = reads
        self.retention_days = retention_days
        self.interval = interval
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._queue: deque[Draft] = deque()
        self._scheduled: asyncio.Handle | None = None  # the batch's flush, once asked for
        self._soon = False  # the flush asked for is the immediate one
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lock = threading.Lock()  # one flush at a time
        self._sink_lock = threading.Lock()
        self._sink = _open_sink(log_path) if log_path else None
        self._last_retention: dt.datetime | None = None
        # A SQLite file has a write-ahead log to checkpoint; an in-memory database is one
        # connection shared by every thread, which a thread's checkpoint must not touch.
        self._checkpoints = database.is_sqlite and database.engine.url.database not in (
            None,
            "",
            ":memory:",
        )
        self._since_checkpoint = 0  # bytes of records stored since the last checkpoint
        self._checkpoint_done = threading.Event()  # clear while one runs in the executor
        self._checkpoint_done.set()
        self.dropped = 0
        self._origins_hour: dt.datetime | None = None
        self._origins_stored: set[bytes] = set()  # digests stored in _origins_hour

    # -- the request path -------------------------------------------------------------

    def in_transaction(self, conn: Connection, facts: Facts) -> list[StoredEvent]:
        """Append ``facts``' events in ``conn``'s transaction; the rows, to pass to
        ``after_commit`` once it has committed."""
        rows = [row.whole() for row in compose(draft(facts))]  # whole: no origin to store
        audit_events.append(conn, rows)
        return rows

    def after_commit(self, rows: Sequence[StoredEvent]) -> None:
        self._write_sink(rows)

    def submit(self, facts: Facts) -> None:
        """Draft ``facts``' event now, while what it needs is at hand, and queue it to be
        stored with the rest of its batch; a read that succeeded is dropped when reads are
        not recorded. Never raises: a request's answer does not depend on it."""
        if not self.reads and facts.read_only and facts.error_code is None:
            return
        shipper = self._shipper
        if len(self._queue) + (shipper.pending if shipper else 0) >= MAX_QUEUED:
            self._drop(1)
            return
        try:
            self._queue.append(draft(facts))
        except Exception:  # an event that cannot be drafted must not fail the request
            log.exception("could not draft the audit event of %s", facts.request_id)
            return
        self._schedule()

    def accept(self, drafts: Sequence[Draft]) -> None:
        """Queue ``drafts``, a worker's, to be stored with the rest of their batch (the
        storing process's side of ``audit.shipping``)."""
        if len(self._queue) + len(drafts) > MAX_QUEUED:
            self._drop(len(drafts))
            return
        self._queue.extend(drafts)
        self._schedule()

    def _drop(self, count: int) -> None:
        """Count ``count`` events dropped, the queue being full, and log it now and then."""
        self.dropped += count
        metrics.AUDIT_DROPPED.inc(count)
        if self.dropped % 10_000 < count:
            log.error("audit queue full: %d events dropped so far", self.dropped)

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: stored by flush() or close()
        if self._loop is not loop:  # a new loop (tests run one per call): the old one's
            self._loop, self._scheduled, self._soon = loop, None, False  # timer is gone
        if len(self._queue) >= BATCH and not self._soon:
            if self._scheduled is not None:
                self._scheduled.cancel()  # the timer: a full batch goes now
            self._scheduled, self._soon = loop.call_soon(self._flush_on_loop), True
        elif self._scheduled is None:
            self._scheduled = loop.call_later(self.interval, self._flush_on_loop)

    def _flush_on_loop(self) -> None:
        self._scheduled, self._soon = None, False
        self.flush()
        if self._storer is None:  # the storing process does both for the events it stores
            self._checkpoint()
            self._apply_retention()

    def _checkpoint(self) -> None:
        """On SQLite, copy the write-ahead log into the database file from a thread of the
        loop's executor once the batches since the last copy hold ``CHECKPOINT_BYTES`` of
        records, so that the log never grows to the size at which a commit does it itself
        (1,000 pages of 4 KiB): a batch's commit would then hold the event loop for the
        copy and its fsyncs, tens of milliseconds. The thread spends that time in SQLite,
        without the GIL. Not after every batch: each copy has its fsyncs and copies again
        the pages every batch touches (the last leaves, the index's), and one copy every
        few batches cost a quarter less CPU per event."""
        if not self._checkpoints or not self._checkpoint_done.is_set():
            return
        if self._since_checkpoint < CHECKPOINT_BYTES:
            return
        self._since_checkpoint = 0
        self._checkpoint_done.clear()
        try:
            asyncio.get_running_loop().run_in_executor(None, self._checkpoint_now)
        except RuntimeError:  # the loop's executor is shut down: the loop is ending
            self._checkpoint_done.set()

    def _checkpoint_now(self) -> None:
        try:
            self.database.run(False, audit_events.checkpoint)
        except (SQLAlchemyError, StoreError):
            log.exception("could not checkpoint the database's write-ahead log")
        finally:
            self._checkpoint_done.set()

    # -- storing ----------------------------------------------------------------------

    def flush(self) -> None:
        """Store every queued event now (ship it, when a storing process stores them)."""
        with self._lock:
            if self._storer is not None and self._ship():
                metrics.AUDIT_QUEUED.set(len(self._queue) + self._pending())
                return
            while self._queue:
                batch: list[Draft] = []
                while self._queue and len(batch) < BATCH:
                    batch.append(self._queue.popleft())
                rows = self._composed(batch)
                hour = self._now().replace(minute=0, second=0, microsecond=0)
                origins = self._origins_to_store(rows, hour)
                try:
                    self.database.run(True, functools.partial(_append, rows, origins, hour))
                except (OperationalError, StoreError):  # the database is away or busy
                    log.exception("could not store %d audit events; will try again", len(rows))
                    self._queue.extendleft(reversed(batch))
                    break
                except SQLAlchemyError:  # one of them is refused: store the others
                    log.exception("a batch of audit events was refused; storing one by one")
                    try:
                        rows = self._one_by_one(rows)
                    except (OperationalError, StoreError):
                        log.exception("could not store audit events; will try again")
                        self._queue.extendleft(reversed(batch))
                        break
                else:
                    self._stored_origins(origins, hour)
                self._since_checkpoint += sum(map(len, map(_text_of, rows)))
                self._write_sink(rows)
            metrics.AUDIT_QUEUED.set(len(self._queue))
            if self._queue:
                self._schedule()  # a failed batch is tried again later

    # -- shipping to the storing process ------------------------------------------------

    def _ship(self) -> bool:
        """Hand the queue to the storing process; False when the queue is to be stored
        here: it cannot be reached (and this recorder stores its events itself from then
        on), or this batch cannot be shipped."""
        assert self._storer is not None  # INVARIANT: called only when shipping
        if self._shipper is None and not self._queue:
            return True  # nothing to hand over: no connection yet
        queue = self._queue
        try:
            if self._shipper is None:
                self._shipper = Shipper(self._storer)
            if queue:
                batch = [queue.popleft() for _ in range(len(queue))]
                try:
                    self._shipper.queue(batch)
                except ValueError:  # a value marshal does not take, or a draft too long
                    log.exception("could not ship %d audit events; storing them here", len(batch))
                    queue.extendleft(reversed(batch))
                    return False  # this batch only: the next one is shipped
            self._shipper.write()
            if self._shipper.stalled(STALLED_AFTER):
                raise OSError(f"the storing process has taken nothing for {STALLED_AFTER:g} s")
        except OSError:
            self._stop_shipping("cannot hand audit events to the storing process")
            return False
        if self._shipper.pending:
            self._watch()
        return True

    def _watch(self) -> None:
        """Write the rest when the socket takes it, from the event loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: the next flush, or close, writes it
        if self._watched is None and self._shipper is not None:
            loop.add_writer(self._shipper.fileno, self._on_writable)
            self._watched = loop

    def _on_writable(self) -> None:
        with self._lock:
            if self._shipper is None:
                return
            try:
                done = self._shipper.write()
            except OSError:
                self._stop_shipping("cannot hand audit events to the storing process")
                self._schedule()
                return
            if done:
                self._unwatch()

    def _unwatch(self) -> None:
        if self._watched is not None and self._shipper is not None:
            if not self._watched.is_closed():
                self._watched.remove_writer(self._shipper.fileno)
            self._watched = None

    def _stop_shipping(self, why: str) -> None:
        """Store from now on what this recorder queues, and what did not reach the
        storing process whole."""
        log.exception("%s; this process stores its audit events itself from now on", why)
        if self._shipper is not None:
            self._unwatch()
            self._queue.extendleft(reversed(self._shipper.unsent()))
            self._shipper.close()
            self._shipper = None
        self._storer = None

    def _pending(self) -> int:
        return self._shipper.pending if self._shipper is not None else 0

    def _composed(self, batch: Sequence[Draft]) -> list[StoredEvent]:
        """``batch``'s rows, those of a draft that cannot be composed left out (logged)."""
        rows = []
        for d in batch:
            try:
                rows.extend(compose(d))
            except Exception:
                log.exception("could not compose the audit event of %s", d.request_id)
        return rows

    def _origins_to_store(self, rows: Sequence[StoredEvent], hour: dt.datetime) -> list[Origin]:
        """The origins ``rows`` name that this process has not stored in ``hour``: once an
        origin is marked used in an hour, retention keeps it for days."""
        if self._origins_hour != hour:
            self._origins_hour = hour
            self._origins_stored.clear()
        stored = self._origins_stored
        found = {o.digest: o for row in rows if (o := row.origin) is not None}
        return [o for digest, o in found.items() if digest not in stored]

    def _stored_origins(self, origins: Sequence[Origin], hour: dt.datetime) -> None:
        if self._origins_hour != hour:
            return
        if len(self._origins_stored) > MAX_ORIGINS_KEPT:
            self._origins_stored.clear()  # bounded: they are stored again, no more
        self._origins_stored.update(o.digest for o in origins)

    def _one_by_one(self, rows: list[StoredEvent]) -> list[StoredEvent]:
        """Store each of ``rows`` on its own; those refused are dropped (and counted), so
        that one bad event cannot hold back the trail."""
        stored = []
        for row in rows:
            try:
                self.database.run(True, functools.partial(_append, [row.whole()], [], None))
            except (OperationalError, StoreError):
                raise
            except SQLAlchemyError:
                self.dropped += 1
                metrics.AUDIT_DROPPED.inc()
                log.exception("audit event %s refused by the database; dropped", row.event_id)
                continue
            stored.append(row)
        return stored

    def _apply_retention(self) -> None:
        if not self.retention_days:
            return
        now = self._now()
        if self._last_retention is not None and now - self._last_retention < RETENTION_EVERY:
            return
        self._last_retention = now
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.forget_expired(now)
            return
        loop.run_in_executor(None, self.forget_expired, now)

    def forget_expired(self, now: dt.datetime) -> int:
        """Delete the events older than the retention period; how many went."""
        if not self.retention_days:
            return 0
        cutoff = now - dt.timedelta(days=self.retention_days)
        total = 0
        try:
            while True:
                gone = self.database.run(
                    True, lambda conn: audit_events.forget_before(conn, cutoff)
                )
                total += gone
                if gone == 0:
                    break
            while self.database.run(
                True, lambda conn: audit_events.forget_origins_before(conn, cutoff)
            ):
                pass
            return total
        except (SQLAlchemyError, StoreError):
            log.exception("could not apply the audit retention period")
            return total

    def close(self) -> None:
        if self._scheduled is not None:
            self._scheduled.cancel()
            self._scheduled, self._soon = None, False
        self.flush()
        if self._shipper is not None:
            with self._lock:
                try:
                    self._shipper.drain()
                except OSError:
                    self._stop_shipping("could not hand the last audit events over")
                else:
                    self._unwatch()
                    self._shipper.close()
                    self._shipper = None
            self._storer = None  # closed: anything queued after this is stored here
            self.flush()  # what could not be handed over (the storer being gone)
        self._checkpoint_done.wait(timeout=10)  # not under a database being closed
        if self._sink is not None:
            os.close(self._sink)
            self._sink = None

    # -- the JSON-lines sink ----------------------------------------------------------

    def _write_sink(self, rows: Sequence[StoredEvent]) -> None:
        if self._sink is None or not rows:
            return
        data = "".join(row.record + "\n" for row in rows).encode("utf-8")
        with self._sink_lock:
            try:  # O_APPEND: whole lines, even with several workers on one file
                while data:
                    data = data[os.write(self._sink, data) :]
            except OSError:
                log.exception("could not write the audit log file")


def _append(
    rows: list[StoredEvent], origins: Sequence[Origin], hour: dt.datetime | None, conn: Connection
) -> None:
    if origins and hour is not None:
        audit_events.store_origins(conn, origins, hour)
    audit_events.append(conn, rows)


_text_of = operator.attrgetter("text")


def _open_sink(path: str) -> int:
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
