"""``iamd account create|list`` end to end, as subprocesses, also beside a running writer."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from iamd.config import Settings
from iamd.store import access_keys
from iamd.store.bootstrap import open_store
from iamd.store.db import Database, change_counter


def _iamd() -> list[str]:
    beside = Path(sys.executable).with_name("iamd")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("iamd")
    return [found] if found else [sys.executable, "-m", "iamd.cli.main"]


def iamd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_iamd(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _store_args(db_url: str, tmp_path: Path) -> list[str]:
    if db_url.startswith("sqlite"):
        return ["--data-dir", str(tmp_path / "data")]
    return ["--db", db_url]


def _env(tmp_path: Path) -> dict[str, str]:
    # With --db the master key comes from the default data dir: point it at the test's.
    return {"IAMD_DATA_DIR": str(tmp_path / "data")}


def test_create_and_list(db_url: str, tmp_path: Path) -> None:
    store = _store_args(db_url, tmp_path)
    made = iamd("account", "create", *store, "--json", env=_env(tmp_path))
    assert made.returncode == 0, made.stderr
    body = json.loads(made.stdout)
    assert set(body) == {"AccountId", "AccessKeyId", "SecretAccessKey"}
    assert len(body["AccountId"]) == 12 and body["AccessKeyId"].startswith("AKIA")

    named = iamd(
        "account", "create", *store, "--id", "444455556666", "--alias", "team-b", "--json",
        env=_env(tmp_path),
    )  # fmt: skip
    assert named.returncode == 0, named.stderr
    assert json.loads(named.stdout)["AccountId"] == "444455556666"

    listed = iamd("account", "list", *store, "--json", env=_env(tmp_path))
    assert listed.returncode == 0, listed.stderr
    entries = json.loads(listed.stdout)["Accounts"]
    assert {e["AccountId"] for e in entries} == {body["AccountId"], "444455556666"}
    assert {e["AccountAlias"] for e in entries} == {None, "team-b"}

    text = iamd("account", "list", *store, env=_env(tmp_path))
    assert "444455556666" in text.stdout and "team-b" in text.stdout

    # The printed credentials are the stored ones.
    settings = Settings(data_dir=tmp_path / "data", db_url=None if "sqlite" in db_url else db_url)
    opened = open_store(settings, announce=io.StringIO())
    try:
        with opened.db.transaction(write=False) as conn:
            found = access_keys.get_for_authentication(conn, opened.secrets, body["AccessKeyId"])
        assert found is not None
        assert (found.account_id, found.secret) == (body["AccountId"], body["SecretAccessKey"])
    finally:
        opened.db.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--id", "12"], "12 digits"),
        (["--alias", "Bad_Alias"], "alias"),
    ],
)
def test_create_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = iamd("account", "create", "--data-dir", str(tmp_path), *args, "--json")
    assert result.returncode == 2 and message in result.stderr and result.stdout == ""


def test_create_refuses_a_taken_id(tmp_path: Path) -> None:
    first = iamd("account", "create", "--data-dir", str(tmp_path), "--id", "444455556666")
    assert first.returncode == 0, first.stderr
    again = iamd("account", "create", "--data-dir", str(tmp_path), "--id", "444455556666")
    assert again.returncode == 1 and "already exists" in again.stderr


def test_create_with_the_wrong_master_key(tmp_path: Path) -> None:
    assert iamd("account", "create", "--data-dir", str(tmp_path)).returncode == 0
    wrong = iamd(
        "account", "create", "--data-dir", str(tmp_path),
        env={"IAMD_MASTER_KEY": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
    )  # fmt: skip
    assert wrong.returncode == 1 and "master key" in wrong.stderr


_WRITER = """
import sys, time
from iamd.store.db import Database, touch_account
db = Database(sys.argv[1])
print("ready", flush=True)
deadline = time.monotonic() + float(sys.argv[3])
while time.monotonic() < deadline:
    db.run(True, lambda c: touch_account(c, sys.argv[2]))
db.dispose()
"""


def test_create_while_a_server_writes(db_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", db_url=None if "sqlite" in db_url else db_url)
    opened = open_store(settings, announce=io.StringIO())
    opened.db.dispose()
    url = settings.database_url
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url, settings.account_id, "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(0.2)
        store = _store_args(db_url, tmp_path)
        for _ in range(3):
            made = iamd("account", "create", *store, "--json", env=_env(tmp_path))
            assert made.returncode == 0, made.stderr
        listed = iamd("account", "list", *store, "--json", env=_env(tmp_path))
        assert len(json.loads(listed.stdout)["Accounts"]) == 4  # default + 3
    finally:
        _, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    with Database(url) as db, db.transaction(write=False) as conn:
        assert change_counter(conn, settings.account_id) > 0  # the writer kept writing
