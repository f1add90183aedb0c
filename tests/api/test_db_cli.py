"""``iamd db``: backing a SQLite store up while it serves, and restoring it; versions."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from .conftest import Credentials, IamdServer


def _iamd(server: IamdServer, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "iamd.cli.main", *args],
        env=server.env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_backup_taken_while_serving_restores_to_a_working_server(
    iamd_server: IamdServer, account: Credentials, iam: Any, tmp_path: Path
) -> None:
    if iamd_server.db_url is not None:
        pytest.skip("backs up SQLite stores; PostgreSQL's case is the next test")
    for i in range(20):
        iam.create_user(UserName=f"before-{i}")

    stop = threading.Event()
    written: list[str] = []

    def keep_writing() -> None:  # the server keeps taking writes during the copy
        while not stop.is_set():
            name = f"during-{len(written)}"
            iam.create_user(UserName=name)
            written.append(name)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        copy = tmp_path / "restored" / "iamd.sqlite3"
        copy.parent.mkdir()
        done = _iamd(iamd_server, "db", "backup", str(copy))
    finally:
        stop.set()
        writer.join()
    assert done.returncode == 0, done.stderr
    assert copy.stat().st_mode & 0o077 == 0  # it holds the store's secrets: owner only
    assert written, "the server took no writes while the backup ran"

    restored = IamdServer("sqlite", copy.parent, None, iamd_server.master_key)
    restored.start()
    try:
        names = {
            u["UserName"]
            for page in restored.client("iam", account).get_paginator("list_users").paginate()
            for u in page["Users"]
        }
    finally:
        restored.stop()
        restored.close_database()
    assert {f"before-{i}" for i in range(20)} <= names
    # One consistent snapshot: the writes it holds are a prefix of those made.
    during = sorted((n for n in names if n.startswith("during-")), key=lambda n: int(n[7:]))
    assert during == written[: len(during)]


def test_backup_refuses_an_existing_file_and_postgresql(
    iamd_server: IamdServer, tmp_path: Path
) -> None:
    if iamd_server.db_url is not None:
        done = _iamd(iamd_server, "db", "backup", str(tmp_path / "copy"))
        assert done.returncode == 2
        assert "pg_dump" in done.stderr
        return
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    done = _iamd(iamd_server, "db", "backup", str(taken))
    assert done.returncode == 1
    assert "cannot create" in done.stderr
    assert taken.read_text() == "keep me"


def test_db_version_names_the_store_and_this_versions_revision(iamd_server: IamdServer) -> None:
    done = _iamd(iamd_server, "db", "version")
    assert done.returncode == 0, done.stderr
    versions = json.loads(done.stdout)
    assert versions["Store"] == versions["Head"]
    upgraded = _iamd(iamd_server, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "nothing to do" in upgraded.stdout
