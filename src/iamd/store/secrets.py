"""Secrets at rest: the master key and authenticated encryption under it.

The master key is 32 random bytes, given base64-encoded by ``IAMD_MASTER_KEY`` or kept in
``master.key`` in the data directory (created on first start, readable only by its owner).
``AesGcmBox`` encrypts with AES-256-GCM under a fresh 96-bit nonce; its ciphertexts start
with a version byte, so the format can change without ambiguity.

A canary encrypted under the key lives in ``server_meta``: a server started with another
key refuses to start (``WrongMasterKey``) instead of failing later on every secret.
Neither the key nor any plaintext is ever logged or shown in a repr.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Connection, select

from iamd.config import Settings
from iamd.store import schema
from iamd.store.db import Database, insert_ignore

MASTER_KEY_FILE = "master.key"
KEY_BYTES = 32
_NONCE_BYTES = 12
_VERSION_AES_GCM = b"\x01"
_CANARY_KEY = "master_key_canary"
_CANARY_PLAINTEXT = b"iamd master key canary"


class SecretBox(Protocol):
    """Authenticated encryption of secrets at rest (``iamd.operations.SecretBox``)."""

    def encrypt(self, plaintext: bytes) -> bytes: ...

    def decrypt(self, ciphertext: bytes) -> bytes: ...


class MasterKeyError(Exception):
    """The master key is missing, malformed or not the one the store was created with."""


class WrongMasterKey(MasterKeyError):
    pass


class DecryptionError(Exception):
    """A ciphertext failed authentication: wrong key, corrupted or not ours."""


class AesGcmBox:
    """``SecretBox`` (see ``iamd.operations``): AES-256-GCM under the master key."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise MasterKeyError(f"the master key must be {KEY_BYTES} bytes, not {len(key)}")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "AesGcmBox(<key hidden>)"

    def encrypt(self, plaintext: bytes) -> bytes:
        nonce = secrets.token_bytes(_NONCE_BYTES)
        return _VERSION_AES_GCM + nonce + self._aead.encrypt(nonce, plaintext, _VERSION_AES_GCM)

    def decrypt(self, ciphertext: bytes) -> bytes:
        if len(ciphertext) < 1 + _NONCE_BYTES + 16 or ciphertext[:1] != _VERSION_AES_GCM:
            raise DecryptionError("not a ciphertext of this format")
        nonce = ciphertext[1 : 1 + _NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, ciphertext[1 + _NONCE_BYTES :], _VERSION_AES_GCM)
        except InvalidTag:
            raise DecryptionError("the ciphertext does not authenticate under this key") from None


def parse_master_key(encoded: str, *, source: str) -> bytes:
    """Decode a base64 master key; ``source`` names where it came from for the message."""
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{source} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise MasterKeyError(
            f"{source} must encode {KEY_BYTES} bytes (base64 of 32 random bytes), "
            f"it encodes {len(key)}"
        )
    return key


def load_master_key(settings: Settings) -> bytes:
    """``IAMD_MASTER_KEY`` if set, else ``master.key`` in the data directory (created once)."""
    if settings.master_key:
        return parse_master_key(settings.master_key, source="IAMD_MASTER_KEY")
    path = settings.data_dir / MASTER_KEY_FILE
    if not path.exists():
        _create_key_file(path)
    try:
        encoded = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MasterKeyError(f"cannot read the master key file {str(path)!r}: {exc}") from None
    return parse_master_key(encoded, source=f"the master key file {str(path)!r}")


def _create_key_file(path: Path) -> None:
    # Write to a private temporary file, then link it into place: the link fails if another
    # process got there first, and nobody ever reads a half-written key.
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def check_canary(conn: Connection, box: AesGcmBox) -> None:
    """Store the canary on first use; afterwards require that it decrypts under ``box``."""
    meta = schema.server_meta
    insert_ignore(conn, meta, {"key": _CANARY_KEY, "value": box.encrypt(_CANARY_PLAINTEXT)})
    stored: bytes = conn.execute(select(meta.c.value).where(meta.c.key == _CANARY_KEY)).scalar_one()
    try:
        ok = box.decrypt(stored) == _CANARY_PLAINTEXT
    except DecryptionError:
        ok = False
    if not ok:
        raise WrongMasterKey(
            "the master key does not match the one this store's secrets were encrypted with; "
            "start iamd with the original key (IAMD_MASTER_KEY or master.key in the data "
            "directory)"
        )


def open_secret_box(settings: Settings, db: Database) -> AesGcmBox:
    """The master key's box, checked against the store's canary (the schema must exist)."""
    box = AesGcmBox(load_master_key(settings))
    db.run(True, lambda conn: check_canary(conn, box))
    return box
