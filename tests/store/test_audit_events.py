"""The audit trail's store and recorder, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from iamd.audit.event import Facts, draft
from iamd.audit.recorder import Recorder
from iamd.model.caller import Caller, CallerKind
from iamd.store import audit_events
from iamd.store.audit_events import StoredEvent
from iamd.store.db import Database

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ROOT = Caller(
    kind=CallerKind.ROOT,
    account_id="111111111111",
    arn="arn:aws:iam::111111111111:root",
    user_id="111111111111",
    access_key_id="AKIAROOT",
)


def event(n: int, account: str = "111111111111", **kw: object) -> StoredEvent:
    values: dict[str, object] = {
        "event_id": f"00000000-0000-7000-8000-{n:012d}",
        "account_id": account,
        "event_time": T0 + dt.timedelta(minutes=n),
        "event_name": "GetRole" if n % 2 else "CreateRole",
        "event_source": "iam.amazonaws.com",
        "read_only": bool(n % 2),
        "username": "alice" if n % 3 else "bob",
        "access_key_id": f"AKIA{n % 4}",
        "principal_arn": None,
        "text": json.dumps({"n": n}),
        "resource_lines": f"AWS::IAM::Role\trole_{n}\nAWS::IAM::User\tu%_\n",
    }
    values.update(kw)
    return StoredEvent(**values)  # type: ignore[arg-type]


def lookup(db: Database, account: str | None = "111111111111", **kw: object) -> list[int]:
    found = db.run(False, lambda conn: audit_events.lookup(conn, account, **kw))  # type: ignore[arg-type]
    return [json.loads(f.event.record)["n"] for f in found]


def test_lookup_by_each_attribute_newest_first(db: Database) -> None:
    db.run(True, lambda conn: audit_events.append(conn, [event(n) for n in range(12)]))
    db.run(True, lambda conn: audit_events.append(conn, [event(99, account="222222222222")]))
    assert lookup(db) == list(range(11, -1, -1))
    assert lookup(db, attribute=("EventName", "CreateRole")) == [10, 8, 6, 4, 2, 0]
    assert lookup(db, attribute=("ReadOnly", "true")) == [11, 9, 7, 5, 3, 1]
    assert lookup(db, attribute=("Username", "bob")) == [9, 6, 3, 0]
    assert lookup(db, attribute=("AccessKeyId", "AKIA1")) == [9, 5, 1]
    assert lookup(db, attribute=("EventId", event(4).event_id)) == [4]
    assert lookup(db, attribute=("ResourceName", "role_1")) == [1]  # not role_10, role_11
    assert lookup(db, attribute=("ResourceName", "u%_")) == list(range(11, -1, -1))
    assert lookup(db, attribute=("ResourceName", "u__")) == []  # no wildcards
    assert lookup(db, attribute=("ResourceType", "AWS::IAM::Role")) == list(range(11, -1, -1))
    assert lookup(db, attribute=("EventSource", "sts.amazonaws.com")) == []
    assert lookup(db, start=T0 + dt.timedelta(minutes=3), end=T0 + dt.timedelta(minutes=5)) == [
        5, 4, 3,
    ]  # fmt: skip
    assert lookup(db, account="222222222222") == [99]
    assert lookup(db, account=None, limit=2) == [99, 11]


def test_pages_and_following(db: Database) -> None:
    db.run(True, lambda conn: audit_events.append(conn, [event(n) for n in range(5)]))
    first = db.run(False, lambda conn: audit_events.lookup(conn, "111111111111", limit=2))
    key = (first[-1].event.event_time, first[-1].seq)
    assert lookup(db, before=key, limit=2) == [2, 1]
    newer_than = first[0].seq
    db.run(True, lambda conn: audit_events.append(conn, [event(7)]))
    assert lookup(db, after=newer_than) == [7]


def test_forgetting_takes_the_oldest_first(db: Database) -> None:
    db.run(True, lambda conn: audit_events.append(conn, [event(n) for n in range(10)]))
    cutoff = T0 + dt.timedelta(minutes=4)
    gone = db.run(True, lambda conn: audit_events.forget_before(conn, cutoff, batch=3))
    assert gone == 3
    assert db.run(True, lambda conn: audit_events.forget_before(conn, cutoff)) == 1
    assert db.run(True, lambda conn: audit_events.forget_before(conn, cutoff)) == 0
    assert lookup(db) == list(range(9, 3, -1))


def _facts(n: int, **kw: object) -> Facts:
    values: dict[str, object] = {
        "request_id": f"r{n}",
        "time": T0 + dt.timedelta(seconds=n),
        "service": "iam",
        "action": "GetUser",
        "caller": ROOT,
        "params": {"UserName": "alice", "Password": "hunter2-secret"},
    }
    values.update(kw)
    return Facts(**values)  # type: ignore[arg-type]


def test_the_recorder_stores_queued_events_writes_its_file_and_forgets(
    db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    now = [T0 + dt.timedelta(days=90)]
    recorder = Recorder(db, log_path=str(log), retention_days=90, now=lambda: now[0], interval=60)
    try:
        for n in range(3):
            recorder.submit(_facts(n))
        db.run(True, lambda conn: recorder.after_commit(recorder.in_transaction(conn, _facts(3))))
        recorder.flush()
        found = db.run(False, lambda conn: audit_events.lookup(conn, None))
        assert sorted(f.event.event_time.second for f in found) == [0, 1, 2, 3]
        lines = log.read_text().splitlines()
        assert len(lines) == 4 and "hunter2" not in log.read_text()
        assert {json.loads(line)["requestID"] for line in lines} == {"r0", "r1", "r2", "r3"}
        assert oct(log.stat().st_mode & 0o777) == "0o600"
        assert recorder.forget_expired(now[0]) == 0  # 90 days after the first: all kept
        now[0] = T0 + dt.timedelta(days=90, seconds=2)
        assert recorder.forget_expired(now[0]) == 2
        assert len(db.run(False, lambda conn: audit_events.lookup(conn, None))) == 2
    finally:
        recorder.close()


def test_without_reads_only_writes_and_refusals_are_kept(db: Database) -> None:
    recorder = Recorder(db, reads=False, interval=60)
    try:
        recorder.submit(_facts(1))  # a successful read: dropped
        recorder.submit(_facts(2, error_code="AccessDenied", error_message="no"))
        recorder.submit(_facts(3, read_only=False, error_code="NoSuchEntity", error_message="x"))
    finally:
        recorder.close()  # drains the queue
    found = db.run(False, lambda conn: audit_events.lookup(conn, None))
    assert sorted(json.loads(f.event.record)["requestID"] for f in found) == ["r2", "r3"]


def test_queued_events_are_stored_by_the_event_loop(db: Database) -> None:
    """In a server the loop stores a batch INTERVAL after its first event, or at once when
    BATCH are waiting; nothing else runs it."""
    import asyncio

    from iamd.audit import recorder as recorder_module

    recorder = Recorder(db, interval=0.05)

    def stored() -> int:
        return len(db.run(False, lambda conn: audit_events.lookup(conn, None, limit=2000)))

    async def scenario() -> tuple[int, int, int]:
        recorder.submit(_facts(1))
        before = stored()
        await asyncio.sleep(0.3)
        after_timer = stored()
        for n in range(recorder_module.BATCH):
            recorder.submit(_facts(n + 2))
        await asyncio.sleep(0)  # one turn of the loop: the full batch goes now
        return before, after_timer, stored()

    try:
        before, after_timer, after_batch = asyncio.run(scenario())
        assert (before, after_timer) == (0, 1)
        assert after_batch == 1 + recorder_module.BATCH
        assert asyncio.run(_one_more(recorder)) == 0  # a new loop schedules its own flush
        assert stored() == 2 + recorder_module.BATCH
    finally:
        recorder.close()


async def _one_more(recorder: Recorder) -> int:
    import asyncio

    recorder.submit(_facts(9999))
    await asyncio.sleep(0.3)
    return len(recorder._queue)


def test_nul_and_overlong_text_are_stored(db: Database) -> None:
    """PostgreSQL's text refuses NUL, which a client can put in an Action: it is replaced;
    a lookup column too short for a value gets the value's start."""
    recorder = Recorder(db, interval=60)
    try:
        recorder.submit(_facts(1, action="Get\x00User", error_code="InvalidAction"))
        recorder.submit(_facts(2))
        recorder.flush()
        found = db.run(False, lambda conn: audit_events.lookup(conn, None))
        assert sorted(f.event.event_name for f in found) == ["GetUser", "Get\ufffdUser"]
        assert json.loads(found[-1].event.record)["requestID"] in ("r1", "r2")
        long = _facts(3, action="x" * 5000)  # longer than its column: cut there
        recorder.submit(long)
        recorder.submit(_facts(4))
        recorder.flush()
        names = [
            f.event.event_name for f in db.run(False, lambda conn: audit_events.lookup(conn, None))
        ]
        assert "x" * 128 in names and len(recorder._queue) == 0
    finally:
        recorder.close()


def test_an_event_the_database_refuses_is_dropped_alone(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import DataError

    from iamd.audit import recorder as recorder_module

    real = recorder_module._append

    def refusing(rows: list[StoredEvent], *rest: Any) -> None:
        if any(row.event_name == "Poison" for row in rows):
            raise DataError("INSERT", None, ValueError("refused"))
        real(rows, *rest)

    monkeypatch.setattr(recorder_module, "_append", refusing)
    recorder = Recorder(db, interval=60)
    try:
        for n, action in enumerate(["GetUser", "Poison", "ListUsers"]):
            recorder.submit(_facts(n, action=action))
        recorder.flush()
        assert len(recorder._queue) == 0 and recorder.dropped == 1
        found = db.run(False, lambda conn: audit_events.lookup(conn, None))
        assert sorted(f.event.event_name for f in found) == ["GetUser", "ListUsers"]
    finally:
        recorder.close()


def test_times_are_kept_to_the_microsecond_and_bound_lookups_exactly(db: Database) -> None:
    """SQLite's rows are written on the driver, the time as text: it must read back, and
    compare with a lookup's bounds, as the column's own type writes them."""
    at = dt.datetime(2026, 12, 4, 5, 9, 19, 123456, tzinfo=dt.UTC)
    db.run(True, lambda conn: audit_events.append(conn, [event(1, event_time=at)]))
    db.run(
        True,
        lambda conn: audit_events.append(
            conn, [event(2, event_time=at + dt.timedelta(microseconds=1))]
        ),
    )
    (first,) = db.run(False, lambda conn: audit_events.lookup(conn, None, end=at))
    assert first.event.event_time == at and first.event.read_only is True
    assert lookup(db, start=at) == [2, 1]
    assert lookup(db, start=at + dt.timedelta(microseconds=1)) == [2]
    assert lookup(db, end=at - dt.timedelta(microseconds=1)) == []


def test_an_event_that_cannot_be_built_is_logged_and_the_others_stored(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    class Unprintable:
        def __str__(self) -> str:
            raise ValueError("no text")

    recorder = Recorder(db, interval=60)
    try:
        recorder.submit(_facts(1, params={"UserName": Unprintable()}))  # does not raise
        recorder.submit(_facts(2))
        recorder.flush()
    finally:
        recorder.close()
    found = db.run(False, lambda conn: audit_events.lookup(conn, None))
    assert [json.loads(f.event.record)["requestID"] for f in found] == ["r2"]
    assert "could not draft the audit event of r1" in caplog.text


def test_a_received_draft_that_cannot_be_composed_is_logged_and_the_others_stored(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """A frame's drafts are plain values: one whose time is not a number decodes, and
    only its own event is lost."""
    good = [draft(_facts(n)) for n in (1, 2)]
    bad = good[0]._replace(request_id="r9", time="yesterday")  # type: ignore[arg-type]
    recorder = Recorder(db, interval=60)
    try:
        recorder.accept([good[0], bad, good[1]])
        recorder.flush()
    finally:
        recorder.close()
    found = db.run(False, lambda conn: audit_events.lookup(conn, None))
    assert sorted(json.loads(f.event.record)["requestID"] for f in found) == ["r1", "r2"]
    assert "could not compose the audit event of r9" in caplog.text


@pytest.mark.parametrize("every", [1, 10**9])
def test_after_batches_the_log_is_checkpointed_off_the_loop(
    db: Database, monkeypatch: pytest.MonkeyPatch, every: int
) -> None:
    """On SQLite the batches' pages reach the database file itself by a checkpoint in the
    loop's executor once they hold enough records, not when a commit on the loop finds
    the log long."""
    import asyncio

    from iamd.audit import recorder as recorder_module

    monkeypatch.setattr(recorder_module, "CHECKPOINT_BYTES", every)
    database_file = Path(db.engine.url.database or "") if db.is_sqlite else None
    size = database_file.stat().st_size if database_file else 0
    recorder = Recorder(db, interval=0.01)

    async def scenario() -> None:
        for n in range(200):
            recorder.submit(_facts(n, params={"UserName": "u" * 200}))
        await asyncio.sleep(0.3)

    try:
        asyncio.run(scenario())  # which waits for the executor's threads
        assert len(recorder._queue) == 0
    finally:
        recorder.close()
    assert len(db.run(False, lambda conn: audit_events.lookup(conn, None, limit=500))) == 200
    if database_file is not None:  # a checkpoint grows the database file
        assert (database_file.stat().st_size > size) is (every == 1)


def _origins(db: Database) -> list[tuple[str, dt.datetime]]:
    from sqlalchemy import select

    from iamd.store.db import as_utc
    from iamd.store.schema import audit_origins

    rows = db.run(False, lambda conn: conn.execute(select(audit_origins)).all())
    return sorted((row.client, as_utc(row.last_used)) for row in rows)


def test_a_callers_identity_and_client_are_stored_once_and_records_read_back_whole(
    db: Database, tmp_path: Path
) -> None:
    log = tmp_path / "audit.jsonl"
    now = [T0 + dt.timedelta(minutes=30)]
    recorder = Recorder(db, log_path=str(log), retention_days=1, now=lambda: now[0], interval=60)
    boto3 = ',"sourceIPAddress":"192.0.2.1","userAgent":"boto3"'
    try:
        for n in range(5):  # one caller from two user agents on one address
            agent = "boto3" if n % 2 else "cli"
            recorder.submit(_facts(n, user_agent=agent, source_ip="192.0.2.1"))
        # and a refusal from no address
        recorder.submit(_facts(5, user_agent="boto3", error_code="NoSuchEntity", error_message="x"))
        recorder.flush()
        recorder.submit(_facts(6, user_agent="boto3", source_ip="192.0.2.1"))
        recorder.flush()  # the same hour: its origin is not stored again

        # The JSON-lines file has each record as it was built; the store gives back the same.
        written = {json.loads(line)["requestID"]: line for line in log.read_text().splitlines()}
        found = db.run(False, lambda conn: audit_events.lookup(conn, None))
        assert {json.loads(f.event.record)["requestID"]: f.event.record for f in found} == written
        assert sorted(written) == [f"r{n}" for n in range(7)]
        record = json.loads(written["r3"])
        assert record["userIdentity"]["arn"] == ROOT.arn
        assert (record["sourceIPAddress"], record["userAgent"]) == ("192.0.2.1", "boto3")
        assert _origins(db) == [
            (',"sourceIPAddress":"","userAgent":"boto3"', T0),
            (boto3, T0),
            (',"sourceIPAddress":"192.0.2.1","userAgent":"cli"', T0),
        ]

        # Hours on, an origin used again is marked used in its new hour.
        now[0] = T0 + dt.timedelta(hours=5, minutes=5)
        recorder.submit(_facts(7, time=now[0], user_agent="boto3", source_ip="192.0.2.1"))
        recorder.flush()
        assert (boto3, T0 + dt.timedelta(hours=5)) in _origins(db)

        # Past retention the events go, then (hours later) the origins they named.
        now[0] = T0 + dt.timedelta(days=1, hours=1)
        assert recorder.forget_expired(now[0]) == 7
        assert len(_origins(db)) == 3  # a queued event of the hour before could name them
        now[0] = T0 + dt.timedelta(days=1, hours=4)
        assert recorder.forget_expired(now[0]) == 0
        assert _origins(db) == [(boto3, T0 + dt.timedelta(hours=5))]
        found = db.run(False, lambda conn: audit_events.lookup(conn, None))
        assert [json.loads(f.event.record)["requestID"] for f in found] == ["r7"]
    finally:
        recorder.close()


@pytest.mark.parametrize("count", [1, 5, 21, 337])
def test_a_batch_of_any_size_is_stored_whole_and_in_order(db: Database, count: int) -> None:
    """SQLite takes a batch in statements of a few fixed sizes: every row lands once."""
    db.run(True, lambda conn: audit_events.append(conn, [event(n) for n in range(count)]))
    found = lookup(db, limit=1000)
    assert found == list(range(count - 1, -1, -1))
