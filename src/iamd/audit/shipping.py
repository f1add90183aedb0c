"""Queued events on their way from a worker to the server's storing process.

``iamd serve`` runs one process whose job is to store the trail's queued events (reads,
refusals: ``server.audit_storer``), so that a worker answering reads only builds each
record and hands it over; the store's insert, its write-ahead log and checkpoints, the
JSON-lines file and retention all run in that process, on another core. A committed
write's event is not shipped: it is stored in the write's own transaction, in the worker.

The wire is a Unix stream socket in a directory only the server's user can enter (0700):
whoever can connect to it could also read the store. Each frame is a 4-byte big-endian
length and a ``marshal`` payload (C-speed, plain values only): ``(origins, rows)``, the
origins the rows name (digest, identity, client), each row a tuple of ``StoredEvent``'s
fields with its time as a POSIX timestamp and its origin as a digest. A float timestamp
keeps the microsecond exactly for any date before the year 2200 (its spacing there is
0.24 us, and ``datetime.fromtimestamp`` rounds to the nearest microsecond).

``Shipper`` is the worker's end: it never blocks the event loop while the storer keeps up
(what the socket does not take waits, whole frames with their rows, and goes when it can);
when the storer is gone, ``send`` raises ``OSError`` and ``unsent`` gives back the rows
of every frame that did not reach it whole, for the worker to store itself.
"""

from __future__ import annotations

import datetime as dt
import marshal
import socket
from collections import deque
from collections.abc import Sequence
from typing import Any

from iamd.store.audit_events import Origin, StoredEvent

FRAME_LIMIT = 64 << 20  # bytes of one frame's payload; a longer one is refused
HEADER_BYTES = 4
CONNECT_TIMEOUT = 5.0
CLOSE_TIMEOUT = 10.0  # seconds the last frames may take to go when the worker stops


def encode(rows: Sequence[StoredEvent]) -> bytes:
    """One frame holding ``rows`` and the origins they name."""
    origins: dict[bytes, Origin] = {}
    wire: list[tuple[Any, ...]] = []
    for e in rows:
        o = e.origin
        if o is not None:
            origins[o.digest] = o
        wire.append(
            (*e[:2], e.event_time.timestamp(), *e[3:11], None if o is None else o.digest, e.cut)
        )
    payload = marshal.dumps(([tuple(o) for o in origins.values()], wire))
    return len(payload).to_bytes(HEADER_BYTES, "big") + payload


def frames(rows: Sequence[StoredEvent]) -> list[tuple[bytes, Sequence[StoredEvent]]]:
    """``rows`` as frames of at most ``FRAME_LIMIT`` bytes, each with the rows it holds;
    a row that alone is longer (impossible within a request's size limit) is left out."""
    frame = encode(rows)
    if len(frame) - HEADER_BYTES <= FRAME_LIMIT:
        return [(frame, rows)]
    if len(rows) == 1:
        return []
    half = len(rows) // 2
    return frames(rows[:half]) + frames(rows[half:])


def decode(payload: bytes) -> list[StoredEvent]:
    """A frame's payload -> its rows (ValueError when it is not one)."""
    try:
        origin_values, wire = marshal.loads(payload)
        origins = {o[0]: Origin(*o) for o in origin_values}
        return [
            StoredEvent(
                w[0],
                w[1],
                dt.datetime.fromtimestamp(w[2], dt.UTC),
                w[3],
                w[4],
                w[5],
                w[6],
                w[7],
                w[8],
                w[9],
                w[10],
                None if w[11] is None else origins[w[11]],
                w[12],
            )
            for w in wire
        ]
    except (EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"not a frame of audit events: {exc}") from exc


def frame_length(header: bytes) -> int:
    """A frame's payload length, from its first ``HEADER_BYTES``."""
    return int.from_bytes(header, "big")


class Shipper:
    """A worker's connection to the storing process at ``address``."""

    def __init__(self, address: str) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(CONNECT_TIMEOUT)
            sock.connect(address)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        self._sock = sock
        # Frames not yet written whole: (frame, its rows); the first may be part written.
        self._pending: deque[tuple[bytes, Sequence[StoredEvent]]] = deque()
        self._sent = 0  # bytes of the first pending frame already written
        self.pending_rows = 0

    def queue(self, rows: Sequence[StoredEvent]) -> None:
        """Hold ``rows`` to be written, in frames (ValueError, a value that is not plain,
        before any is held)."""
        for frame, held in frames(rows):
            self._pending.append((frame, held))
            self.pending_rows += len(held)

    def write(self) -> bool:
        """Write what the socket takes without waiting; whether all has gone (OSError:
        the storer is gone, and ``unsent`` has every row it did not receive whole)."""
        while self._pending:
            frame, held = self._pending[0]
            try:
                self._sent += self._sock.send(memoryview(frame)[self._sent :])
            except (BlockingIOError, InterruptedError):
                return False
            if self._sent < len(frame):
                return False
            self._pending.popleft()
            self.pending_rows -= len(held)
            self._sent = 0
        return True

    @property
    def fileno(self) -> int:
        return self._sock.fileno()

    def drain(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Write every pending frame, waiting up to ``timeout`` (the worker is stopping)."""
        if not self._pending:
            return
        self._sock.settimeout(timeout)
        try:
            while self._pending:
                frame, held = self._pending[0]
                self._sock.sendall(memoryview(frame)[self._sent :])
                self._pending.popleft()
                self.pending_rows -= len(held)
                self._sent = 0
        finally:
            if self._sock.fileno() >= 0:
                self._sock.setblocking(False)

    def unsent(self) -> list[StoredEvent]:
        """The rows of every frame not written whole, now forgotten here."""
        rows = [row for _, held in self._pending for row in held]
        self._pending.clear()
        self._sent = 0
        self.pending_rows = 0
        return rows

    def close(self) -> None:
        self._sock.close()
