"""Invariants that span rows hold with many writers: threads in one process, and several
processes on one database (as several ``iamd serve`` nodes would be)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy import Connection, func, select

from iamd.config import Quotas
from iamd.errors import LimitExceeded
from iamd.iam.naming import ROLE, count_created
from iamd.store import counts, schema
from iamd.store.db import Database, RowConflict, change_counter

from .procs import run_workers
from .rows import MAX_VERSIONS, add_policy, add_role, add_version_if_room, count_versions


def _in_threads(count: int, target: Callable[[int], None]) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait()
            target(i)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def _role_names(db: Database) -> list[str]:
    with db.transaction(write=False) as conn:
        return list(conn.execute(select(schema.roles.c.name_lower)).scalars())


def test_threads_creating_one_name_in_any_case_make_one_role(db: Database, account: str) -> None:
    outcomes: list[str] = []

    def create(i: int) -> None:
        name = ["Deploy", "DEPLOY", "deploy", "dePloy"][i % 4]
        try:
            db.run(True, lambda conn: add_role(conn, name))
            outcomes.append("ok")
        except RowConflict:
            outcomes.append("conflict")

    _in_threads(12, create)
    assert outcomes.count("ok") == 1
    assert outcomes.count("conflict") == 11
    assert _role_names(db) == ["deploy"]


@pytest.mark.parametrize("kept", [False, True], ids=["count-missing", "count-kept"])
def test_threads_creating_roles_never_exceed_the_quota(
    db: Database, account: str, kept: bool
) -> None:
    """Creators do not take the account's lock: the kept count's row orders them, and a
    recount (the count missing, or at the quota) counts every committed creation."""
    quotas = Quotas(roles_per_account=5)
    db.run(True, lambda conn: add_role(conn, "existing"))
    if kept:
        db.run(True, lambda conn: counts.recount(conn, account, "role", schema.roles))
    outcomes: list[str] = []

    def create(conn: Connection, i: int) -> None:
        add_role(conn, f"r{i}")
        count_created(conn, ROLE, account, quotas)

    def run(i: int) -> None:
        try:
            db.run(True, lambda conn: create(conn, i))
            outcomes.append("ok")
        except LimitExceeded:
            outcomes.append("full")

    _in_threads(12, run)
    assert outcomes.count("ok") == 4
    with db.transaction(write=False) as conn:
        rows = conn.execute(select(func.count()).select_from(schema.roles)).scalar_one()
        kept_count = conn.execute(select(schema.entity_counts.c.count)).scalar_one()
    assert rows == 5
    assert kept_count == 5  # the kept count agrees with the rows


def test_threads_adding_versions_never_exceed_five(db: Database, account: str) -> None:
    policy_id = db.run(True, lambda conn: add_policy(conn, "Shared"))
    added: list[str | None] = []

    def add(i: int) -> None:
        for _ in range(3):
            added.append(db.run(True, lambda conn: add_version_if_room(conn, policy_id)))

    _in_threads(8, add)
    with db.transaction(write=False) as conn:
        assert count_versions(conn, policy_id) == MAX_VERSIONS
    created = [v for v in added if v is not None]
    assert len(created) == MAX_VERSIONS - 1
    assert sorted(created) == ["v2", "v3", "v4", "v5"]  # no version id handed out twice


def test_processes_creating_one_name_make_one_role(db: Database, db_url: str, account: str) -> None:
    results = run_workers(db_url, "role", "Builders", count=5, processes=4)
    assert sum(r["ok"] for r in results) == 1
    assert sum(r["conflict"] for r in results) == 19
    assert _role_names(db) == ["builders"]


def test_processes_adding_versions_never_exceed_five(
    db: Database, db_url: str, account: str
) -> None:
    policy_id = db.run(True, lambda conn: add_policy(conn, "Contended"))
    results = run_workers(db_url, "version", policy_id, count=6, processes=4)
    assert sum(r["ok"] for r in results) == MAX_VERSIONS - 1
    assert sum(r["full"] for r in results) == 24 - (MAX_VERSIONS - 1)
    with db.transaction(write=False) as conn:
        assert count_versions(conn, policy_id) == MAX_VERSIONS
        versions: list[str] = list(
            conn.execute(
                select(schema.policy_versions.c.version_id).where(
                    schema.policy_versions.c.policy_id == policy_id
                )
            ).scalars()
        )
        assert sorted(versions) == ["v1", "v2", "v3", "v4", "v5"]


def test_processes_touching_the_account_lose_no_count(
    db: Database, db_url: str, account: str
) -> None:
    results = run_workers(db_url, "touch", account, count=25, processes=4)
    assert sum(r["ok"] for r in results) == 100
    with db.transaction(write=False) as conn:
        assert change_counter(conn, account) == 100
        total = conn.execute(select(func.count()).select_from(schema.accounts)).scalar_one()
        assert total == 1
