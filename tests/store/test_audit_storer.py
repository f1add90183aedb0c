"""The server's audit storing process (``server.audit_storer``), a real child process, with
a worker's recorder shipping to it, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from iamd.audit import shipping
from iamd.audit.event import Facts
from iamd.audit.recorder import Recorder
from iamd.config import Settings
from iamd.model.caller import Caller, CallerKind
from iamd.server import audit_storer
from iamd.store import audit_events
from iamd.store.db import Database

T0 = dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC)


def caller(n: int) -> Caller:
    account = f"{n % 3 + 1:012d}"
    return Caller(
        kind=CallerKind.USER,
        account_id=account,
        arn=f"arn:aws:iam::{account}:user/u{n % 3}",
        user_id=f"AIDA{n % 3:017d}",
        access_key_id=f"AKIA{n % 3:016d}",
        name=f"u{n % 3}",
    )


CALLERS = [caller(n) for n in range(3)]


def facts(n: int) -> Facts:
    return Facts(
        request_id=f"r{n}",
        time=T0 + dt.timedelta(seconds=n, microseconds=n * 7 + 1),
        service="iam",
        action="GetRole",
        source_ip=f"10.0.0.{n % 2}",
        user_agent="test-agent",
        caller=CALLERS[n % 3],
        params={"RoleName": f"role-{n}"},
    )


@pytest.fixture
def storer(db: Database, db_url: str, tmp_path: Path) -> Iterator[str]:
    settings = Settings(db_url=db_url, audit_log=str(tmp_path / "audit.jsonl"))
    with audit_storer.running(settings) as address:
        assert address is not None
        yield address


def process() -> multiprocessing.Process:
    (found,) = [p for p in multiprocessing.active_children() if p.name == "iamd-audit-storer"]
    return found


def stored(db: Database) -> list[audit_events.Found]:
    return db.run(False, lambda conn: audit_events.lookup(conn, None, limit=10_000))


def wait_for(db: Database, count: int) -> None:
    """Until ``count`` events are stored, each request's once."""
    deadline = time.monotonic() + 30
    while len(stored(db)) < count:
        assert time.monotonic() < deadline, f"{len(stored(db))} of {count} events stored"
        time.sleep(0.05)
    time.sleep(0.3)  # a batch the storing process still holds would show up now
    assert sorted(requests(db)) == sorted(f"r{n}" for n in range(count))


def requests(db: Database) -> list[str]:
    return [json.loads(f.event.record)["requestID"] for f in stored(db)]


async def ship(recorder: Recorder, numbers: range) -> None:
    """Submit ``numbers``' events on a running loop, as a worker does, until all are sent."""
    for n in numbers:
        recorder.submit(facts(n))
    recorder.flush()
    deadline = time.monotonic() + 30
    while recorder._pending():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


def test_shipped_events_are_stored_whole_by_the_process_and_written_to_its_file(
    db: Database, db_url: str, tmp_path: Path
) -> None:
    settings = Settings(db_url=db_url, audit_log=str(tmp_path / "audit.jsonl"))
    with audit_storer.running(settings) as address:
        assert address is not None
        directory = os.path.dirname(address)
        assert oct(os.stat(directory).st_mode & 0o777) == "0o700"
        recorder = Recorder(db, storer=address, interval=0.01)
        asyncio.run(ship(recorder, range(600)))
        os.kill(process().pid, signal.SIGINT)  # a terminal's CTRL+C: it waits for its workers
        asyncio.run(ship(recorder, range(600, 700)))
        recorder.close()
    assert not os.path.exists(directory)  # the process and its socket are gone
    found = stored(db)
    assert len(found) == 700
    by_request = {json.loads(f.event.record)["requestID"]: f.event for f in found}
    for n in range(700):
        event = by_request[f"r{n}"]
        assert event.event_time == facts(n).time  # to the microsecond, across the process
        record = json.loads(event.record)
        assert record["userIdentity"]["arn"] == CALLERS[n % 3].arn
        assert record["sourceIPAddress"] == f"10.0.0.{n % 2}"
        assert record["requestParameters"] == {"roleName": f"role-{n}"}
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert sorted(lines) == sorted(f.event.record for f in found)  # byte for byte
    compact = select(func.count()).where(audit_events.audit_events.c.origin.is_not(None))
    assert db.run(False, lambda conn: conn.execute(compact).scalar()) == 700
    origins = db.run(False, lambda conn: conn.execute(audit_events.audit_origins.select()).all())
    assert len(origins) == 6  # kept once: 3 callers x 2 addresses


def test_a_worker_stores_its_events_itself_once_the_process_is_gone(
    db: Database, storer: str, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder(db, storer=storer, interval=0.01)
    asyncio.run(ship(recorder, range(100)))
    wait_for(db, 100)
    storing = process()
    os.kill(storing.pid, signal.SIGKILL)
    storing.join(10)
    with caplog.at_level(logging.ERROR, logger="iamd.audit"):
        asyncio.run(ship(recorder, range(100, 250)))
    recorder.close()
    assert "stores its audit events itself" in caplog.text
    assert sorted(requests(db)) == sorted(f"r{n}" for n in range(250))  # each once


def test_a_stalled_process_never_blocks_the_worker(db: Database, storer: str) -> None:
    """The socket fills while the process is stopped: the worker's flush returns at once,
    what waits goes from the event loop when the process reads again."""
    recorder = Recorder(db, storer=storer, interval=0.01)
    pid = process().pid

    async def scenario() -> int:
        os.kill(pid, signal.SIGSTOP)
        try:
            for n in range(4000):
                recorder.submit(facts(n))
            recorder.flush()  # would hang here if it waited for the socket
            waiting = recorder._pending()
        finally:
            os.kill(pid, signal.SIGCONT)
        deadline = time.monotonic() + 30
        while recorder._pending():
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        return waiting

    assert asyncio.run(scenario()) > 0
    recorder.close()
    wait_for(db, 4000)


def test_a_connection_that_sends_no_frame_is_closed_and_the_process_goes_on(
    db: Database, storer: str
) -> None:
    for junk in (
        (shipping.FRAME_LIMIT + 1).to_bytes(4, "big"),  # longer than a frame may be
        (8).to_bytes(4, "big") + b"\xffnotmarsh",  # not a frame of events
    ):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as peer:
            peer.settimeout(10)
            peer.connect(storer)
            peer.sendall(junk)
            assert peer.recv(1) == b""  # closed by the process
    recorder = Recorder(db, storer=storer, interval=0.01)
    asyncio.run(ship(recorder, range(5)))
    recorder.close()
    wait_for(db, 5)
    assert process().is_alive()


def test_a_process_that_does_not_listen_in_time_is_stopped_and_not_named(
    db: Database, db_url: str
) -> None:
    with audit_storer.running(Settings(db_url=db_url), start_timeout=0) as address:
        assert address is None  # the workers store their events themselves
        assert not [p for p in multiprocessing.active_children() if p.name == "iamd-audit-storer"]


def test_no_process_when_the_trail_or_its_process_is_off(db_url: str) -> None:
    for settings in (Settings(db_url=db_url, audit=False), Settings(audit_process=False)):
        with audit_storer.running(settings) as address:
            assert address is None


def test_a_hung_process_is_given_up_on_and_the_worker_stores_what_it_did_not_take(
    db: Database, storer: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from iamd.audit import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "STALLED_AFTER", 0.3)
    recorder = Recorder(db, storer=storer, interval=0.01)
    pid = process().pid
    assert pid is not None

    async def scenario() -> None:
        os.kill(pid, signal.SIGSTOP)
        try:
            for n in range(4000):  # more than the socket holds
                recorder.submit(facts(n))
            recorder.flush()
            assert recorder._pending()
            await asyncio.sleep(0.5)
            for n in range(4000, 4010):
                recorder.submit(facts(n))
            with caplog.at_level(logging.ERROR, logger="iamd.audit"):
                recorder.flush()  # nothing taken for 0.5 s: this worker stores them
            assert recorder._storer is None and recorder._pending() == 0
        finally:
            os.kill(pid, signal.SIGCONT)  # it stores the frames it had taken whole

    asyncio.run(scenario())
    recorder.close()
    assert "taken nothing for 0.3 s" in caplog.text
    wait_for(db, 4010)


def test_a_batch_that_cannot_be_shipped_is_stored_here_and_shipping_goes_on(
    db: Database, storer: str, caplog: pytest.LogCaptureFixture
) -> None:
    class Name(str):
        """A str subclass: marshal takes only plain values."""

    recorder = Recorder(db, storer=storer, interval=60)
    recorder.submit(dataclasses.replace(facts(0), action=Name("GetRole")))
    with caplog.at_level(logging.ERROR, logger="iamd.audit"):
        recorder.flush()
    assert "could not ship 1 audit events" in caplog.text
    assert recorder._storer is not None  # still shipping
    asyncio.run(ship(recorder, range(1, 3)))
    recorder.close()
    wait_for(db, 3)
