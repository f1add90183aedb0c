"""One SQLite writer at a time, handed over by the kernel rather than by SQLite's sleeps.

SQLite lets one connection write at a time. A connection that finds the write lock taken
waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25... ms between tries;
a write request holds the lock for a few hundred microseconds, so under concurrent writes
the waiters mostly sleep past the moment it is free (two workers doing CreateRole ran no
faster than one, with a p99 of 75 ms). So a write transaction on a SQLite file first takes
an exclusive ``flock`` on a file next to the database (``<database>-writer.lock``): the
kernel queues the waiters and wakes the next one as soon as the holder lets go.

A ``WriterLock`` belongs to one DB-API connection, with its own open file: ``flock``
locks belong to an open file, so threads of one process queue like processes do. SQLite's
own lock still guards the data; this only orders the writers that ask for it, and a
process that does not take it (the ``sqlite3`` shell) still waits in the busy handler.
The lock is held from ``BEGIN IMMEDIATE`` to the commit or rollback, never longer, and
the kernel drops it if the process dies.
"""

from __future__ import annotations

import os
import threading
import time

from iamd import metrics

try:
    import fcntl
except ImportError:  # pragma: no cover - not a POSIX system: SQLite's busy handler alone
    fcntl = None  # type: ignore[assignment]

INFO_KEY = "iamd_writer_lock"  # Connection.info: the connection's WriterLock, if any

_held_here = threading.local()  # .paths: the locks this thread holds, by file


class WriterLock:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self.held = False

    def acquire(self) -> None:
        """Wait for the lock. A thread that holds it already through another connection
        (a write transaction opened inside another) does not wait for itself: that one is
        left to SQLite's busy handler and its timeout, as without this lock."""
        if fcntl is None or self.held:
            return
        paths: set[str] = _held_here.__dict__.setdefault("paths", set())
        if self.path in paths:
            return
        started = time.perf_counter()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        metrics.WRITER_LOCK_WAIT.observe(time.perf_counter() - started)
        self.held = True
        paths.add(self.path)

    def release(self) -> None:
        if fcntl is not None and self.held:
            self.held = False
            _held_here.__dict__.setdefault("paths", set()).discard(self.path)
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self.release()
        os.close(self._fd)
