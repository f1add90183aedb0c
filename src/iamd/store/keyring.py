"""The STS key ring's rows in ``server_keys``: key material encrypted under the master key.

One row per key (``purpose`` ``sts-token``). ``active`` marks the key that seals new
session tokens; inactive keys still open the tokens they sealed until they are retired
(deleted). Several active keys may exist for a moment (two nodes creating the first key
at once); readers take the newest. No business rules here: ``iamd.sts.keyring`` decides.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.secrets import SecretBox

PURPOSE = "sts-token"

_keys = schema.server_keys


@dataclass(frozen=True, slots=True)
class StoredKey:
    key_id: str
    created_at: dt.datetime
    active: bool
    material: bytes = field(repr=False)


def load_keys(conn: Connection, box: SecretBox) -> list[StoredKey]:
    """Every key of the ring, decrypted, oldest first."""
    rows = conn.execute(
        select(_keys.c.key_id, _keys.c.material_ciphertext, _keys.c.created_at, _keys.c.active)
        .where(_keys.c.purpose == PURPOSE)
        .order_by(_keys.c.created_at, _keys.c.key_id)
    )
    return [
        StoredKey(
            r.key_id, as_utc(r.created_at), bool(r.active), box.decrypt(r.material_ciphertext)
        )
        for r in rows
    ]


def insert_key(
    conn: Connection,
    box: SecretBox,
    key_id: str,
    material: bytes,
    created_at: dt.datetime,
    *,
    deactivate_others: bool,
) -> None:
    """Add a key as the active one; with ``deactivate_others``, the only active one."""
    if deactivate_others:
        conn.execute(update(_keys).where(_keys.c.purpose == PURPOSE).values(active=False))
    conn.execute(
        insert(_keys).values(
            key_id=key_id,
            purpose=PURPOSE,
            material_ciphertext=box.encrypt(material),
            created_at=created_at,
            active=True,
        )
    )


def delete_key(conn: Connection, key_id: str) -> bool:
    """Retire a key: tokens it sealed no longer open. True if it existed."""
    result = conn.execute(delete(_keys).where(_keys.c.purpose == PURPOSE, _keys.c.key_id == key_id))
    return bool(result.rowcount)
