"""Accounts: ids, aliases, listing."""

from __future__ import annotations

import datetime as dt
import itertools
import secrets

import pytest

from iamd.store import accounts
from iamd.store.accounts import AccountExists
from iamd.store.db import Database, RowConflict


def _create(db: Database, now: dt.datetime, **kwargs: str | None) -> accounts.Account:
    return db.run(
        True,
        lambda conn: accounts.create_account(
            conn, now=now, random_bytes=secrets.token_bytes, **kwargs
        ),
    )


def test_create_with_a_random_id(db: Database, now: dt.datetime) -> None:
    account = _create(db, now)
    assert accounts.is_account_id(account.account_id)
    assert account.alias is None and account.change_counter == 0 and account.created_at == now
    with db.transaction(write=False) as conn:
        assert accounts.get_account(conn, account.account_id) == account


def test_create_with_a_given_id_and_alias(db: Database, now: dt.datetime) -> None:
    account = _create(db, now, account_id="000011112222", alias="team-a")
    assert account.account_id == "000011112222" and account.alias == "team-a"
    with db.transaction(write=False) as conn:
        assert accounts.get_account_by_alias(conn, "team-a") == account
        assert accounts.get_account_by_alias(conn, "team-b") is None
        assert accounts.get_account(conn, "999999999999") is None


def test_duplicate_id_or_alias(db: Database, now: dt.datetime) -> None:
    _create(db, now, account_id="000011112222", alias="team-a")
    with pytest.raises(AccountExists):
        _create(db, now, account_id="000011112222")
    with pytest.raises(AccountExists):
        _create(db, now, alias="team-a")
    assert issubclass(AccountExists, RowConflict)


def test_random_ids_retry_on_collision(db: Database, now: dt.datetime) -> None:
    _create(db, now, account_id="000000000007")
    stream = itertools.chain([(7).to_bytes(8, "big")], itertools.repeat((8).to_bytes(8, "big")))

    def random_bytes(n: int) -> bytes:
        return next(stream)

    account = db.run(
        True, lambda conn: accounts.create_account(conn, now=now, random_bytes=random_bytes)
    )
    assert account.account_id == "000000000008"


@pytest.mark.parametrize("bad", ["12345678901", "1234567890123", "12345678901a", ""])
def test_bad_account_ids(db: Database, now: dt.datetime, bad: str) -> None:
    with pytest.raises(ValueError, match="12 digits"):
        _create(db, now, account_id=bad)


@pytest.mark.parametrize(
    "alias", ["ab", "-abc", "abc-", "a--b", "Upper", "has_underscore", "a" * 64, "123456789012"]
)
def test_bad_aliases(db: Database, now: dt.datetime, alias: str) -> None:
    assert accounts.alias_problem(alias) is not None
    with pytest.raises(ValueError, match="alias"):
        _create(db, now, alias=alias)


@pytest.mark.parametrize("alias", ["abc", "my-company-prod", "a1-b2-c3", "1234", "a" * 63])
def test_good_aliases(alias: str) -> None:
    assert accounts.alias_problem(alias) is None


def test_list_accounts_by_id(db: Database, now: dt.datetime) -> None:
    for account_id in ["300000000000", "100000000000", "200000000000"]:
        _create(db, now, account_id=account_id)
    with db.transaction(write=False) as conn:
        listed = accounts.list_accounts(conn)
    assert [a.account_id for a in listed] == ["100000000000", "200000000000", "300000000000"]


def test_set_and_remove_alias(db: Database, now: dt.datetime) -> None:
    _create(db, now, account_id="100000000000")
    _create(db, now, account_id="200000000000", alias="taken")
    assert db.run(True, lambda conn: accounts.set_alias(conn, "100000000000", "mine")) is True
    with pytest.raises(AccountExists):
        db.run(True, lambda conn: accounts.set_alias(conn, "100000000000", "taken"))
    with pytest.raises(ValueError):
        db.run(True, lambda conn: accounts.set_alias(conn, "100000000000", "Bad_Alias"))
    assert db.run(True, lambda conn: accounts.set_alias(conn, "999999999999", "other")) is False
    with db.transaction(write=False) as conn:
        assert accounts.get_account_by_alias(conn, "mine") is not None
    assert db.run(True, lambda conn: accounts.set_alias(conn, "100000000000", None)) is True
    with db.transaction(write=False) as conn:
        assert accounts.get_account(conn, "100000000000").alias is None  # type: ignore[union-attr]
