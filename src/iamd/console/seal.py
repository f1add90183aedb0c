"""Sealed blobs for the console: its session cookie and the federation endpoint's
sign-in tokens.

A payload (JSON) is sealed with AES-256-GCM under STS's key ring, with a key derived for
its purpose (``Purpose.CONSOLE_SESSION``, ``Purpose.SIGNIN_TOKEN``), so a cookie can never
be passed off as a sign-in token or a session token, and every node opens what another
sealed. Rotating the ring's keys (``iamd keys rotate``) rotates these too; retiring a key
ends the console sessions it sealed.

Wire form: ``b64url(key id | nonce | ciphertext+tag)``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection

from iamd.sts.keyring import KEY_ID_BYTES, KeyRing, Purpose, RandomBytes
from iamd.sts.tokens import b64decode, b64encode, pack, unpack

NONCE_BYTES = 12
MAX_SEALED = 8192  # characters: larger is not ours (a cookie is at most 4096 bytes anyway)


class NotSealed(Exception):
    """Not a blob this ring sealed for this purpose (altered, truncated, retired key)."""


def seal(
    ring: KeyRing,
    conn: Connection,
    purpose: Purpose,
    payload: dict[str, Any],
    *,
    now: dt.datetime,
    random: RandomBytes,
) -> str:
    key = ring.sealing_key(conn, now, random)
    nonce = random(NONCE_BYTES)
    body = key.aead(purpose).encrypt(nonce, pack(payload), purpose.value + key.key_id)
    return b64encode(key.key_id + nonce + body)


def open_sealed(ring: KeyRing, conn: Connection, purpose: Purpose, text: str) -> dict[str, Any]:
    if len(text) > MAX_SEALED:
        raise NotSealed("too long")
    try:
        data = b64decode(text)
    except ValueError:
        raise NotSealed("not base64") from None
    if len(data) < KEY_ID_BYTES + NONCE_BYTES + 17:
        raise NotSealed("too short")
    key_id, nonce = data[:KEY_ID_BYTES], data[KEY_ID_BYTES : KEY_ID_BYTES + NONCE_BYTES]
    key = ring.opening_key(conn, key_id)
    if key is None:
        raise NotSealed("sealed under a key the ring does not have")
    try:
        plain = key.aead(purpose).decrypt(
            nonce, data[KEY_ID_BYTES + NONCE_BYTES :], purpose.value + key_id
        )
        payload = unpack(plain)
    except (InvalidTag, ValueError):
        raise NotSealed("does not authenticate") from None
    if not isinstance(payload, dict):
        raise NotSealed("not an object")
    return payload
