"""The server's process that stores the audit trail's queued events, off the workers.

A worker that answers a read drafts its event and ships it (``audit.shipping``); this
process receives the frames of every worker, and its ``Recorder`` composes their records,
stores them in batches, checkpoints SQLite's write-ahead log, writes the JSON-lines file
and applies retention, as a worker's recorder otherwise would. It is ``iamd serve``'s
(``running``), started before the workers and stopped after them:

- It listens on a Unix socket in a fresh directory of mode 0700; the workers find the
  socket in ``IAMD_AUDIT_STORER``. A frame that is too long or not a frame ends its
  connection (logged), and is lost with whatever followed it in the socket; the worker
  stores its later events itself. (Workers send neither: the test that sends them is
  the only source.)
- It ignores SIGINT: a terminal's CTRL+C reaches every process of the server, and the
  workers hand over their last events as they stop. On SIGTERM (sent once the workers
  have stopped), or when the process that started it is gone, it stops accepting, reads
  what its connections still bring (``STOP_TIMEOUT`` at most), stores it and exits.
- If it does not start, or dies, the workers store their events themselves, as
  ``IAMD_AUDIT_PROCESS=off`` has them do from the start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from multiprocessing.connection import Connection

from iamd.audit.recorder import Recorder
from iamd.audit.shipping import FRAME_LIMIT, HEADER_BYTES, decode, frame_length
from iamd.config import Settings
from iamd.server import logs
from iamd.store.db import Database

log = logging.getLogger("iamd.audit")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
PARENT_CHECK = 1.0  # seconds between two looks at whether the parent is still there


@contextlib.contextmanager
def running(settings: Settings, start_timeout: float = START_TIMEOUT) -> Iterator[str | None]:
    """The storing process for ``settings``' store, while the block runs: its socket's
    address, or None when the trail, or its process, is off or it did not listen within
    ``start_timeout`` seconds."""
    if not (settings.audit and settings.audit_process):
        yield None
        return
    directory = tempfile.mkdtemp(prefix="iamd-audit-")  # mode 0700: the server's user only
    address = os.path.join(directory, "storer.sock")
    context = multiprocessing.get_context("spawn")
    listening, ready = context.Pipe(duplex=False)
    process = context.Process(
        target=main, args=(settings, address, ready), name="iamd-audit-storer"
    )
    try:
        process.start()
        ready.close()
        started = _started(listening, start_timeout)
        if not started:
            log.error("the audit storing process did not start; workers store their events")
            _stop(process)
        yield address if started else None
    finally:
        listening.close()
        _stop(process)
        shutil.rmtree(directory, ignore_errors=True)


def _started(listening: Connection, timeout: float) -> bool:
    try:
        return listening.poll(timeout) and listening.recv() is True
    except (EOFError, OSError):  # it exited before it listened
        return False


def _stop(process: multiprocessing.process.BaseProcess) -> None:
    if process.pid is None or process.exitcode is not None:
        return  # not started, or already ended
    process.terminate()  # SIGTERM: it stores what it holds and exits
    process.join(STOP_TIMEOUT + 5)
    if process.is_alive():
        process.kill()
        process.join()


def main(settings: Settings, address: str, ready: Connection) -> None:
    """The process: store what the workers ship to ``address`` until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logs.configure()
    database = Database(settings.database_url)
    recorder = Recorder(
        database,
        log_path=settings.audit_log,
        retention_days=settings.audit_retention_days or None,
    )
    try:
        asyncio.run(_serve(address, recorder, ready))
    finally:
        database.dispose()
        # Its directory goes with it, also when the server that made it was killed.
        shutil.rmtree(os.path.dirname(address), ignore_errors=True)


async def _serve(address: str, recorder: Recorder, ready: Connection) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    connections: set[asyncio.Task[None]] = set()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # INVARIANT: a connection's callback runs as a task
        connections.add(task)
        try:
            await _frames(reader, recorder)
        finally:
            connections.discard(task)
            writer.close()

    server = await asyncio.start_unix_server(receive, path=address)
    ready.send(True)
    ready.close()
    parent = os.getppid()
    while not stopping.is_set() and os.getppid() == parent:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), PARENT_CHECK)
    server.close()
    if connections:
        await asyncio.wait(set(connections), timeout=STOP_TIMEOUT)
    if connections:  # a worker that has not stopped: what it has sent is stored
        log.warning(
            "%d workers still connected after %g s; stopping", len(connections), STOP_TIMEOUT
        )
        for task in connections:
            task.cancel()
        await asyncio.gather(*connections, return_exceptions=True)
    recorder.close()


async def _frames(reader: asyncio.StreamReader, recorder: Recorder) -> None:
    """Hand each frame of one worker's connection to ``recorder`` until it ends."""
    while True:
        try:
            header = await reader.readexactly(HEADER_BYTES)
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                log.error("a connection to the audit storing process ended within a frame")
            return
        length = frame_length(header)
        if length > FRAME_LIMIT:
            log.error("refused a frame of %d bytes of audit events; connection closed", length)
            return
        try:
            payload = await reader.readexactly(length)
            drafts = decode(payload)
        except asyncio.IncompleteReadError:
            log.error("a connection to the audit storing process ended within a frame")
            return
        except ValueError:
            log.exception("refused a frame that holds no audit events; connection closed")
            return
        recorder.accept(drafts)
