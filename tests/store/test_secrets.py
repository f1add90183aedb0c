"""The master key, AES-GCM secrets and the canary that refuses a wrong key."""

from __future__ import annotations

import base64
import secrets
import stat
import threading
from pathlib import Path

import pytest

from iamd.config import Settings
from iamd.store.db import Database
from iamd.store.secrets import (
    MASTER_KEY_FILE,
    AesGcmBox,
    DecryptionError,
    MasterKeyError,
    WrongMasterKey,
    load_master_key,
    open_secret_box,
    parse_master_key,
)


def test_round_trip_and_fresh_nonces() -> None:
    box = AesGcmBox(secrets.token_bytes(32))
    first, second = box.encrypt(b"wJalrXUtnFEMI"), box.encrypt(b"wJalrXUtnFEMI")
    assert first != second
    assert first[:1] == b"\x01" and len(first) == 1 + 12 + len(b"wJalrXUtnFEMI") + 16
    assert b"wJalrXUtnFEMI" not in first
    assert box.decrypt(first) == box.decrypt(second) == b"wJalrXUtnFEMI"
    assert box.decrypt(box.encrypt(b"")) == b""


def test_tampering_and_other_keys_are_detected() -> None:
    box = AesGcmBox(secrets.token_bytes(32))
    sealed = bytearray(box.encrypt(b"secret"))
    sealed[-1] ^= 1
    with pytest.raises(DecryptionError):
        box.decrypt(bytes(sealed))
    with pytest.raises(DecryptionError):
        AesGcmBox(secrets.token_bytes(32)).decrypt(box.encrypt(b"secret"))
    with pytest.raises(DecryptionError):
        box.decrypt(b"\x02" + box.encrypt(b"secret")[1:])
    with pytest.raises(DecryptionError):
        box.decrypt(b"\x01short")


def test_the_key_never_shows() -> None:
    key = secrets.token_bytes(32)
    assert key.hex() not in repr(AesGcmBox(key))
    assert "hidden" in repr(AesGcmBox(key))


def test_box_needs_32_bytes() -> None:
    with pytest.raises(MasterKeyError):
        AesGcmBox(b"short")


def test_master_key_from_settings(tmp_path: Path) -> None:
    key = secrets.token_bytes(32)
    settings = Settings(data_dir=tmp_path, master_key=base64.b64encode(key).decode())
    assert load_master_key(settings) == key
    assert not (tmp_path / MASTER_KEY_FILE).exists()


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"16 bytes only!!!").decode()])
def test_malformed_master_key(bad: str, tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="IAMD_MASTER_KEY"):
        load_master_key(Settings(data_dir=tmp_path, master_key=bad))
    with pytest.raises(MasterKeyError):
        parse_master_key(bad, source="x")


def test_master_key_file_is_created_once_owner_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = load_master_key(settings)
    path = tmp_path / "data" / MASTER_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_master_key(settings) == key
    assert base64.b64decode(path.read_text()) == key
    assert [p.name for p in path.parent.iterdir()] == [MASTER_KEY_FILE]  # no temporary left


def test_master_key_file_created_by_racing_threads_is_one_key(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def load() -> None:
        barrier.wait()
        keys.append(load_master_key(settings))

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(keys) == 8 and len(set(keys)) == 1


def test_master_key_file_garbage_is_refused(tmp_path: Path) -> None:
    (tmp_path / MASTER_KEY_FILE).write_text("garbage")
    with pytest.raises(MasterKeyError, match="master key file"):
        load_master_key(Settings(data_dir=tmp_path))


def test_store_refuses_another_master_key(db: Database, tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode())
    box = open_secret_box(first, db)
    assert box.decrypt(box.encrypt(b"x")) == b"x"
    open_secret_box(first, db)  # the same key again is fine
    other = Settings(data_dir=tmp_path, master_key=base64.b64encode(b"\x01" * 32).decode())
    with pytest.raises(WrongMasterKey, match="does not match"):
        open_secret_box(other, db)
