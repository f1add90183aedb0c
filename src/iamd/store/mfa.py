"""Virtual MFA devices: rows of ``mfa_devices``, their seeds encrypted under the master key.

No business rules here (``iamd.iam.mfa`` has them). Lists are pages in serial-number order
read from the ``(account_id, serial_number)`` index.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from iamd.store import schema
from iamd.store.db import as_utc
from iamd.store.secrets import SecretBox

_mfa = schema.mfa_devices


@dataclass(frozen=True, slots=True)
class MfaDevice:
    serial_number: str
    account_id: str
    name: str
    path: str
    user_id: str | None
    created_at: dt.datetime
    enabled_at: dt.datetime | None
    last_used_step: int | None
    drift: int
    seed_ciphertext: bytes = field(repr=False)

    def seed(self, box: SecretBox) -> bytes:
        return box.decrypt(self.seed_ciphertext)


def _device(row: Row[Any]) -> MfaDevice:
    m = row._mapping
    return MfaDevice(
        serial_number=m["serial_number"],
        account_id=m["account_id"],
        name=m["name"],
        path=m["path"],
        user_id=m["user_id"],
        created_at=as_utc(m["created_at"]),
        enabled_at=as_utc(m["enabled_at"]) if m["enabled_at"] else None,
        last_used_step=m["last_used_step"],
        drift=int(m["drift"] or 0),
        seed_ciphertext=m["seed_ciphertext"],
    )


def insert_device(
    conn: Connection,
    box: SecretBox,
    *,
    serial_number: str,
    account_id: str,
    name: str,
    path: str,
    seed: bytes,
    created_at: dt.datetime,
) -> None:
    conn.execute(
        insert(_mfa).values(
            serial_number=serial_number,
            account_id=account_id,
            name=name,
            path=path,
            seed_ciphertext=box.encrypt(seed),
            user_id=None,
            created_at=created_at,
            enabled_at=None,
            last_used_step=None,
            drift=0,
        )
    )


def get_device(conn: Connection, serial_number: str) -> MfaDevice | None:
    row = conn.execute(select(_mfa).where(_mfa.c.serial_number == serial_number)).first()
    return _device(row) if row is not None else None


def devices_of_user(conn: Connection, user_id: str) -> list[MfaDevice]:
    rows = conn.execute(select(_mfa).where(_mfa.c.user_id == user_id).order_by(_mfa.c.enabled_at))
    return [_device(r) for r in rows]


def list_page(
    conn: Connection, account_id: str, assigned: bool | None, after: str | None, limit: int
) -> list[MfaDevice]:
    """Up to ``limit`` devices by serial number after ``after``; ``assigned`` filters."""
    stmt = select(_mfa).where(_mfa.c.account_id == account_id)
    if assigned is True:
        stmt = stmt.where(_mfa.c.user_id.is_not(None))
    elif assigned is False:
        stmt = stmt.where(_mfa.c.user_id.is_(None))
    if after is not None:
        stmt = stmt.where(_mfa.c.serial_number > after)
    stmt = stmt.order_by(_mfa.c.serial_number).limit(limit)
    return [_device(r) for r in conn.execute(stmt)]


def update_device(conn: Connection, serial_number: str, **values: object) -> None:
    conn.execute(update(_mfa).where(_mfa.c.serial_number == serial_number).values(**values))


def accept_step(conn: Connection, serial_number: str, step: int) -> bool:
    """Record ``step`` as the last accepted code, unless one at or after it already was.

    One statement, so two requests racing with the same code cannot both win.
    """
    result = conn.execute(
        update(_mfa)
        .where(
            _mfa.c.serial_number == serial_number,
            (_mfa.c.last_used_step.is_(None)) | (_mfa.c.last_used_step < step),
        )
        .values(last_used_step=step)
    )
    return bool(result.rowcount)


def delete_device(conn: Connection, serial_number: str) -> None:
    conn.execute(delete(_mfa).where(_mfa.c.serial_number == serial_number))
