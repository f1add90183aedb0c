"""Queued events on their way from a worker to the server's storing process.

``iamd serve`` runs one process whose job is to store the trail's queued events (reads,
refusals: ``server.audit_storer``), so that a worker answering a read only drafts its
event (``event.draft``: what needs the request's own objects, its caller and the secrets
to hide) and hands it over; the record's assembly, the store's insert, its write-ahead log
and checkpoints, the JSON-lines file and retention all run in that process, on another
core. A committed write's event is not shipped: it is stored in the write's own
transaction, in the worker.

The wire is a Unix stream socket in a directory only the server's user can enter (0700):
whoever can connect to it could also read the store. Each frame is a 4-byte big-endian
length and a ``marshal`` payload (C-speed, plain values only): ``(origins, fields,
digests)``, the origins the drafts name (digest, identity, client), each draft's fields
but its origin, and each one's origin's digest. A draft's time is a POSIX timestamp,
which keeps the microsecond exactly until the year 2242 (a float's spacing stays under a
microsecond, 0.95 us from 2106, and ``datetime.fromtimestamp`` rounds to the nearest
one). A draft's texts are already free of secrets: nothing secret leaves the worker.

``Shipper`` is the worker's end: it never blocks the event loop while the storer keeps up
(what the socket does not take waits, whole frames with their drafts, and goes when it
can); when the storer is gone, ``write`` raises ``OSError`` and ``unsent`` gives back the
drafts of every frame that did not reach it whole, for the worker to store itself. A
frame written whole is the storer's: it stores it, or, killed, loses it.
"""

from __future__ import annotations

import marshal
import select
import socket
import time
from collections import deque
from collections.abc import Sequence

from iamd.audit.event import Draft
from iamd.store.audit_events import Origin

FRAME_LIMIT = 64 << 20  # bytes of one frame's payload; a longer one is refused
HEADER_BYTES = 4
CONNECT_TIMEOUT = 5.0
CLOSE_TIMEOUT = 10.0  # seconds the last frames may take to go when the worker stops


def encode(drafts: Sequence[Draft]) -> bytes:
    """One frame holding ``drafts`` and the origins they name."""
    origins = {d[-1].digest: d[-1] for d in drafts}
    payload = marshal.dumps(
        (
            [tuple(o) for o in origins.values()],
            [d[:-1] for d in drafts],  # a named tuple's slice is a plain tuple
            [d[-1].digest for d in drafts],
        )
    )
    return len(payload).to_bytes(HEADER_BYTES, "big") + payload


def frames(drafts: Sequence[Draft]) -> list[tuple[bytes, Sequence[Draft]]]:
    """``drafts`` as frames of at most ``FRAME_LIMIT`` bytes, each with the drafts it
    holds (ValueError: one that alone is longer, impossible within a request's size
    limit, or a value marshal does not take)."""
    frame = encode(drafts)
    if len(frame) - HEADER_BYTES <= FRAME_LIMIT:
        return [(frame, drafts)]
    if len(drafts) == 1:
        raise ValueError(f"an audit event of {len(frame)} bytes is longer than a frame")
    half = len(drafts) // 2
    return frames(drafts[:half]) + frames(drafts[half:])


def decode(payload: bytes) -> list[Draft]:
    """A frame's payload -> its drafts (ValueError when it is not one)."""
    try:
        origin_values, fields, digests = marshal.loads(payload)
        origins = {o[0]: Origin(*o) for o in origin_values}
        drafts = [
            _new_draft(Draft, (*values, origins[digest]))
            for values, digest in zip(fields, digests, strict=True)
        ]
    except (EOFError, ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ValueError(f"not a frame of audit events: {exc}") from exc
    if not all(len(d) == _FIELDS for d in drafts):
        raise ValueError("not a frame of audit events: a draft of the wrong length")
    return drafts


_FIELDS = len(Draft._fields)
_new_draft = tuple.__new__


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
        # Frames not yet written whole: (frame, its drafts); the first may be part written.
        self._pending: deque[tuple[bytes, Sequence[Draft]]] = deque()
        self._sent = 0  # bytes of the first pending frame already written
        self.pending = 0  # drafts in those frames
        self._moved = time.monotonic()  # when the socket last took bytes, or had none to take

    def queue(self, drafts: Sequence[Draft]) -> None:
        """Hold ``drafts`` to be written, in frames (ValueError, before any is held: see
        ``frames``)."""
        if not self._pending:
            self._moved = time.monotonic()  # the wait starts now
        for frame, held in frames(drafts):
            self._pending.append((frame, held))
            self.pending += len(held)

    def write(self) -> bool:
        """Write what the socket takes without waiting; whether all has gone (OSError:
        the storer is gone, and ``unsent`` has every draft it did not receive whole)."""
        while self._pending:
            frame, held = self._pending[0]
            try:
                self._sent += self._sock.send(memoryview(frame)[self._sent :])
            except (BlockingIOError, InterruptedError):
                return False
            self._moved = time.monotonic()
            if self._sent < len(frame):
                return False
            self._pending.popleft()
            self.pending -= len(held)
            self._sent = 0
        return True

    def stalled(self, seconds: float) -> bool:
        """Whether frames have waited ``seconds`` without the socket taking a byte."""
        return bool(self._pending) and time.monotonic() - self._moved > seconds

    @property
    def fileno(self) -> int:
        return self._sock.fileno()

    def drain(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Write every pending frame within ``timeout`` seconds in all (the worker is
        stopping); TimeoutError, an OSError, when they have not all gone."""
        deadline = time.monotonic() + timeout
        while not self.write():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"audit events not handed over in {timeout:g} s")
            select.select([], [self._sock], [], left)

    def unsent(self) -> list[Draft]:
        """The drafts of every frame not written whole, now forgotten here."""
        drafts = [d for _, held in self._pending for d in held]
        self._pending.clear()
        self._sent = 0
        self.pending = 0
        return drafts

    def close(self) -> None:
        self._sock.close()
