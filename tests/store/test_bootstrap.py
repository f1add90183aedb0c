"""Start-up seeding: root credentials once, AWS managed policies, safe with racing starts."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from iamd.config import Settings
from iamd.policy import PolicyKind, parse_policy
from iamd.store import access_keys, accounts, schema
from iamd.store.bootstrap import (
    ROOT_CREDENTIALS_FILE,
    BootstrapError,
    Store,
    load_aws_managed_policies,
    open_store,
)
from iamd.store.secrets import WrongMasterKey

from .rows import NOW

REQUIRED = {
    "AdministratorAccess",
    "PowerUserAccess",
    "IAMFullAccess",
    "IAMReadOnlyAccess",
    "ReadOnlyAccess",
}


def _open(settings: Settings, announce: io.StringIO | None = None) -> Store:
    return open_store(settings, now=NOW, announce=announce or io.StringIO())


def _settings(db_url: str, tmp_path: Path, **kw: str) -> Settings:
    return Settings(data_dir=tmp_path / "data", db_url=db_url, **kw)  # type: ignore[arg-type]


def test_first_start_generates_root_credentials_once(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    out = io.StringIO()
    store = _open(settings, out)
    try:
        creds = store.generated_root
        assert creds is not None and creds.account_id == settings.account_id
        assert creds.secret_access_key in out.getvalue()  # printed once, to the operator
        assert creds.secret_access_key not in repr(creds)
        path = settings.data_dir / ROOT_CREDENTIALS_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        if settings.database_url.startswith("sqlite"):  # keys and hashes: owner only
            database = Path(settings.database_url.removeprefix("sqlite:///"))
            assert stat.S_IMODE(database.stat().st_mode) == 0o600
        assert json.loads(path.read_text()) == {
            "AccountId": settings.account_id,
            "AccessKeyId": creds.access_key_id,
            "SecretAccessKey": creds.secret_access_key,
        }
        with store.db.transaction(write=False) as conn:
            found = access_keys.get_for_authentication(conn, store.secrets, creds.access_key_id)
            assert found is not None and found.user_id is None
            assert found.secret == creds.secret_access_key
    finally:
        store.db.dispose()
    again_out = io.StringIO()
    again = _open(settings, again_out)
    try:
        assert again.generated_root is None
        assert again_out.getvalue() == ""
        with again.db.transaction(write=False) as conn:
            assert access_keys.count_access_keys(conn, settings.account_id, None) == 1
    finally:
        again.db.dispose()


def test_operator_chosen_root_credentials(db_url: str, tmp_path: Path) -> None:
    settings = _settings(
        db_url,
        tmp_path,
        account_id="000000000000",
        root_access_key_id="test",
        root_secret_access_key="test",
    )
    for secret in ["test", "test", "changed"]:
        store = _open(dataclasses.replace(settings, root_secret_access_key=secret))
        try:
            assert store.generated_root is None
            with store.db.transaction(write=False) as conn:
                found = access_keys.get_for_authentication(conn, store.secrets, "test")
                assert found is not None
                assert (found.account_id, found.user_id, found.secret) == (
                    "000000000000",
                    None,
                    secret,
                )
                assert access_keys.count_access_keys(conn, "000000000000", None) == 1
                assert accounts.get_account(conn, "000000000000") is not None
        finally:
            store.db.dispose()
    assert not (settings.data_dir / ROOT_CREDENTIALS_FILE).exists()


def test_half_configured_root_credentials(db_url: str, tmp_path: Path) -> None:
    with pytest.raises(BootstrapError, match="both"):
        _open(_settings(db_url, tmp_path, root_access_key_id="test"))


def test_root_key_id_of_another_identity_is_refused(db_url: str, tmp_path: Path) -> None:
    first = _open(
        _settings(db_url, tmp_path, root_access_key_id="shared", root_secret_access_key="s3cret")
    )
    first.db.dispose()
    with pytest.raises(BootstrapError, match="another identity"):
        _open(
            _settings(
                db_url,
                tmp_path,
                account_id="999999999999",
                root_access_key_id="shared",
                root_secret_access_key="s3cret",
            )
        )


def test_aws_managed_policies_are_seeded_once(db_url: str, tmp_path: Path) -> None:
    settings = _settings(db_url, tmp_path)
    for _ in range(2):
        store = _open(settings)
        try:
            mp, pv = schema.managed_policies, schema.policy_versions
            with store.db.transaction(write=False) as conn:
                rows = conn.execute(
                    select(mp.c.name, mp.c.arn, mp.c.path, mp.c.policy_id, mp.c.default_version_id,
                           mp.c.account_id, pv.c.document, pv.c.is_default, pv.c.version_id)
                    .join(pv, pv.c.policy_id == mp.c.policy_id)
                ).all()  # fmt: skip
        finally:
            store.db.dispose()
        names = {row.name for row in rows}
        assert names >= REQUIRED
        assert len(rows) == len(load_aws_managed_policies())
        for row in rows:
            assert row.account_id == "aws"
            assert row.arn == f"arn:aws:iam::aws:policy{row.path}{row.name}"
            assert row.policy_id.startswith("ANPA") and len(row.policy_id) == 21
            assert (row.version_id, row.default_version_id, row.is_default) == ("v1", "v1", True)
            parse_policy(row.document, PolicyKind.IDENTITY)
    admin = next(row for row in rows if row.name == "AdministratorAccess")
    assert json.loads(admin.document)["Statement"] == [
        {"Effect": "Allow", "Action": "*", "Resource": "*"}
    ]
    assert any(row.path == "/service-role/" for row in rows)


def test_wrong_master_key_refuses_to_start(db_url: str, tmp_path: Path) -> None:
    key = base64.b64encode(bytes(32)).decode()
    _open(_settings(db_url, tmp_path, master_key=key)).db.dispose()
    other = base64.b64encode(bytes([7]) * 32).decode()
    with pytest.raises(WrongMasterKey):
        _open(_settings(db_url, tmp_path, master_key=other))


_START = """
import io, sys
from iamd.config import Settings
from iamd.store.bootstrap import open_store
store = open_store(Settings.from_env(), announce=io.StringIO())
print("generated" if store.generated_root else "existing")
store.db.dispose()
"""


def test_racing_starts_generate_one_set_of_credentials(db_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "IAMD_DATA_DIR": str(tmp_path / "data"),
        "IAMD_DB_URL": db_url,
        "PYTHONWARNINGS": "error",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _START], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env,
        )
        for _ in range(4)
    ]  # fmt: skip
    outcomes = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        outcomes.append(out.strip())
    assert sorted(outcomes) == ["existing", "existing", "existing", "generated"]
    store = _open(Settings(data_dir=tmp_path / "data", db_url=db_url))
    try:
        with store.db.transaction(write=False) as conn:
            assert access_keys.count_access_keys(conn, store_account(), None) == 1
            count = len(conn.execute(select(schema.managed_policies.c.policy_id)).all())
            assert count == len(load_aws_managed_policies())
    finally:
        store.db.dispose()


def store_account() -> str:
    return Settings().account_id
