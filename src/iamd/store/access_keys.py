"""Long-term access keys of IAM users and account roots, their secrets encrypted at rest.

A key with ``user_id`` None belongs to the account's root user. Generated keys look like
AWS's (``AKIA`` + 16 characters that carry the account, 40-character secrets); an
operator may also choose a root key id and secret of 3 or more characters (``test``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, update

from iamd.model.ids import IdPrefix, access_key_id, secret_access_key
from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.secrets import SecretBox
from iamd.store.sql import Query

RandomBytes = Callable[[int], bytes]

ACTIVE = "Active"
INACTIVE = "Inactive"
STATUSES = (ACTIVE, INACTIVE)
MIN_CHOSEN_LENGTH = 3
MAX_KEY_ID_LENGTH = 128


@dataclass(frozen=True, slots=True)
class AccessKey:
    """An access key as listed: everything but the secret."""

    access_key_id: str
    account_id: str
    user_id: str | None
    status: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = None
    last_used_service: str | None = None
    last_used_region: str | None = None


@dataclass(frozen=True, slots=True)
class KeyForAuthentication:
    """What signature verification needs; the secret stays out of repr."""

    access_key_id: str
    account_id: str
    user_id: str | None  # None: the account's root user
    secret: str = field(repr=False)
    status: str

    @property
    def active(self) -> bool:
        return self.status == ACTIVE


def _key(row: Row[Any]) -> AccessKey:
    return AccessKey(
        access_key_id=row.access_key_id,
        account_id=row.account_id,
        user_id=row.user_id,
        status=row.status,
        created_at=as_utc(row.created_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at is not None else None,
        last_used_service=row.last_used_service,
        last_used_region=row.last_used_region,
    )


def _check_chosen(key_id: str | None, secret: str | None) -> None:
    if key_id is not None and not (
        MIN_CHOSEN_LENGTH <= len(key_id) <= MAX_KEY_ID_LENGTH
        and key_id.isascii()
        and key_id.isprintable()
        and " " not in key_id
        and "/" not in key_id
    ):
        raise ValueError(
            f"an access key id has {MIN_CHOSEN_LENGTH} to {MAX_KEY_ID_LENGTH} printable "
            "ASCII characters without spaces or slashes"
        )
    if secret is not None and len(secret) < MIN_CHOSEN_LENGTH:
        raise ValueError(f"a secret access key has at least {MIN_CHOSEN_LENGTH} characters")


def create_access_key(
    conn: Connection,
    box: SecretBox,
    *,
    account_id: str,
    user_id: str | None,
    now: dt.datetime,
    random_bytes: RandomBytes,
    key_id: str | None = None,
    secret: str | None = None,
    status: str = ACTIVE,
) -> tuple[AccessKey, str]:
    """Create a key for a user (or the root with ``user_id=None``); returns it and its secret.

    ``key_id``/``secret`` are for operator-chosen root credentials; by default both are
    generated. A key id already in use raises RowConflict (from the transaction).
    """
    _check_chosen(key_id, secret)
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    key_id = key_id or access_key_id(IdPrefix.LONG_TERM_KEY, account_id, random_bytes)
    secret = secret or secret_access_key(random_bytes)
    conn.execute(
        insert(schema.access_keys).values(
            access_key_id=key_id,
            account_id=account_id,
            user_id=user_id,
            secret_ciphertext=box.encrypt(secret.encode()),
            status=status,
            created_at=now,
        )
    )
    return AccessKey(key_id, account_id, user_id, status, now), secret


# Built once: a request runs it whenever its key's account has changed since it was cached.
_FOR_AUTHENTICATION = Query(
    select(
        schema.access_keys.c.account_id,
        schema.access_keys.c.user_id,
        schema.access_keys.c.secret_ciphertext,
        schema.access_keys.c.status,
    ).where(schema.access_keys.c.access_key_id == bindparam("key_id"))
)


def get_for_authentication(
    conn: Connection, box: SecretBox, key_id: str
) -> KeyForAuthentication | None:
    """The key's owner, decrypted secret and status, or None for an unknown key id."""
    row = _FOR_AUTHENTICATION.first(conn, {"key_id": key_id})
    if row is None:
        return None
    account_id, user_id, ciphertext, status = row
    secret = box.decrypt(ciphertext).decode()
    return KeyForAuthentication(key_id, account_id, user_id, secret, status)


def get_access_key(conn: Connection, key_id: str) -> AccessKey | None:
    row = conn.execute(
        select(schema.access_keys).where(schema.access_keys.c.access_key_id == key_id)
    ).first()
    return _key(row) if row is not None else None


def _owner(account_id: str, user_id: str | None) -> list[Any]:
    ak = schema.access_keys
    owner = ak.c.user_id.is_(None) if user_id is None else ak.c.user_id == user_id
    return [ak.c.account_id == account_id, owner]


def list_access_keys(conn: Connection, account_id: str, user_id: str | None) -> list[AccessKey]:
    """The keys of a user (or of the root with ``user_id=None``), oldest first."""
    ak = schema.access_keys
    rows = conn.execute(
        select(ak).where(*_owner(account_id, user_id)).order_by(ak.c.created_at, ak.c.access_key_id)
    )
    return [_key(row) for row in rows]


def count_access_keys(conn: Connection, account_id: str, user_id: str | None) -> int:
    ak = schema.access_keys
    stmt = select(func.count()).select_from(ak).where(*_owner(account_id, user_id))
    return int(conn.execute(stmt).scalar_one())


def update_status(
    conn: Connection, account_id: str, user_id: str | None, key_id: str, status: str
) -> bool:
    """Set Active/Inactive on the owner's key; False if the owner has no such key."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}")
    ak = schema.access_keys
    result = conn.execute(
        update(ak)
        .where(ak.c.access_key_id == key_id, *_owner(account_id, user_id))
        .values(status=status)
    )
    return bool(result.rowcount == 1)


def delete_access_key(conn: Connection, account_id: str, user_id: str | None, key_id: str) -> bool:
    """Delete the owner's key; False if the owner has no such key."""
    ak = schema.access_keys
    result = conn.execute(
        delete(ak).where(ak.c.access_key_id == key_id, *_owner(account_id, user_id))
    )
    return bool(result.rowcount == 1)


def delete_user_keys(conn: Connection, account_id: str, user_id: str) -> int:
    """Delete every key of a user (when the user goes); returns how many."""
    ak = schema.access_keys
    return int(conn.execute(delete(ak).where(*_owner(account_id, user_id))).rowcount)


def record_last_used(
    conn: Connection,
    key_id: str,
    *,
    at: dt.datetime,
    service: str,
    region: str,
    granularity: dt.timedelta = dt.timedelta(0),
) -> bool:
    """Remember when, where and for which service a key was last used.

    With ``granularity``, a use within that long of the recorded one changes nothing (AWS
    reports last use to the nearest few minutes, and this saves a write per request).
    Returns whether the row changed.
    """
    ak = schema.access_keys
    stmt = update(ak).where(ak.c.access_key_id == key_id)
    if granularity:
        stmt = stmt.where(
            or_(
                ak.c.last_used_at.is_(None),
                ak.c.last_used_at <= at - granularity,
                ak.c.last_used_service != service,
                ak.c.last_used_region != region,
            )
        )
    result = conn.execute(
        stmt.values(last_used_at=at, last_used_service=service, last_used_region=region)
    )
    return bool(result.rowcount == 1)
