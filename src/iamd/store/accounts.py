"""Accounts: the 12-digit tenants of one iamd, each with an optional alias."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from iamd.store import schema
from iamd.store.db import RowConflict, as_utc, savepoint

RandomBytes = Callable[[int], bytes]

# AWS's pattern for AccountAlias (3-63 characters, lowercase letters, digits, single
# dashes inside); like AWS, an alias may not pass for an account id.
_ALIAS = re.compile(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")


class AccountExists(RowConflict):
    """The account id or the alias is already taken."""

    def __init__(self, what: str) -> None:
        super().__init__("unique", "accounts", what)


@dataclass(frozen=True, slots=True)
class Account:
    account_id: str
    alias: str | None
    created_at: dt.datetime
    change_counter: int


def is_account_id(value: str) -> bool:
    return bool(_ACCOUNT_ID.match(value))


def alias_problem(alias: str) -> str | None:
    """Why ``alias`` is not a valid account alias, or None if it is."""
    if not _ALIAS.match(alias):
        return (
            "an account alias is 3 to 63 lowercase letters, digits and dashes, "
            "neither starting nor ending with a dash, without two dashes in a row"
        )
    if is_account_id(alias):
        return "an account alias cannot be a 12-digit number"
    return None


def random_account_id(random_bytes: RandomBytes) -> str:
    """Twelve random digits."""
    return f"{int.from_bytes(random_bytes(8), 'big') % 10**12:012d}"


def _account(row: Row[Any]) -> Account:
    return Account(
        account_id=row.account_id,
        alias=row.alias,
        created_at=as_utc(row.created_at),
        change_counter=int(row.change_counter),
    )


def create_account(
    conn: Connection,
    *,
    now: dt.datetime,
    random_bytes: RandomBytes,
    account_id: str | None = None,
    alias: str | None = None,
) -> Account:
    """Create an account (a random id unless one is given). Raises AccountExists or
    ValueError for an id or alias that breaks the rules."""
    if account_id is not None and not is_account_id(account_id):
        raise ValueError(f"account id {account_id!r} is not 12 digits")
    if alias is not None and (problem := alias_problem(alias)):
        raise ValueError(f"alias {alias!r}: {problem}")
    if alias is not None and get_account_by_alias(conn, alias) is not None:
        raise AccountExists(f"alias {alias!r}")
    for _ in range(20):
        candidate = account_id or random_account_id(random_bytes)
        try:
            with savepoint(conn):
                conn.execute(
                    insert(schema.accounts).values(
                        account_id=candidate, alias=alias, created_at=now, change_counter=0
                    )
                )
        except RowConflict as exc:
            if account_id is not None or get_account(conn, candidate) is None:
                raise AccountExists(f"account {candidate!r}" if account_id else str(exc)) from exc
            continue
        return Account(candidate, alias, now, 0)
    raise AccountExists("no free random account id after 20 tries")


def get_account(conn: Connection, account_id: str) -> Account | None:
    row = conn.execute(
        select(schema.accounts).where(schema.accounts.c.account_id == account_id)
    ).first()
    return _account(row) if row is not None else None


def get_account_by_alias(conn: Connection, alias: str) -> Account | None:
    row = conn.execute(select(schema.accounts).where(schema.accounts.c.alias == alias)).first()
    return _account(row) if row is not None else None


def list_accounts(conn: Connection) -> list[Account]:
    """Every account, by id."""
    rows = conn.execute(select(schema.accounts).order_by(schema.accounts.c.account_id))
    return [_account(row) for row in rows]


def set_alias(conn: Connection, account_id: str, alias: str | None) -> bool:
    """Set (or with None remove) the account's alias; False if the account does not exist.

    Raises AccountExists when another account has the alias, ValueError when it is invalid.
    """
    if alias is not None and (problem := alias_problem(alias)):
        raise ValueError(f"alias {alias!r}: {problem}")
    acc = schema.accounts
    try:
        with savepoint(conn):
            result = conn.execute(
                update(acc).where(acc.c.account_id == account_id).values(alias=alias)
            )
    except RowConflict as exc:
        raise AccountExists(f"alias {alias!r}") from exc
    return bool(result.rowcount == 1)
