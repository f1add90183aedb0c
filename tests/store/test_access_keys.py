"""Access keys: generated and chosen, encrypted at rest, scoped to their owner."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from sqlalchemy import select

from iamd.model.ids import account_of_access_key
from iamd.store import access_keys as keys
from iamd.store import schema
from iamd.store.db import Database, RowConflict
from iamd.store.secrets import AesGcmBox

from .rows import add_user


def _create(
    db: Database, box: AesGcmBox, account: str, user_id: str | None, now: dt.datetime, **kw: str
) -> tuple[keys.AccessKey, str]:
    return db.run(
        True,
        lambda conn: keys.create_access_key(
            conn,
            box,
            account_id=account,
            user_id=user_id,
            now=now,
            random_bytes=secrets.token_bytes,
            **kw,
        ),
    )


def test_generated_root_key(db: Database, box: AesGcmBox, account: str, now: dt.datetime) -> None:
    key, secret = _create(db, box, account, None, now)
    assert key.access_key_id.startswith("AKIA") and len(key.access_key_id) == 20
    assert account_of_access_key(key.access_key_id) == account
    assert len(secret) == 40
    assert key.status == keys.ACTIVE and key.created_at == now and key.user_id is None
    with db.transaction(write=False) as conn:
        found = keys.get_for_authentication(conn, box, key.access_key_id)
        stored: bytes = conn.execute(select(schema.access_keys.c.secret_ciphertext)).scalar_one()
    assert found == keys.KeyForAuthentication(key.access_key_id, account, None, secret, "Active")
    assert found.active
    assert secret not in repr(found)
    assert secret.encode() not in stored  # encrypted at rest


def test_operator_chosen_key(db: Database, box: AesGcmBox, account: str, now: dt.datetime) -> None:
    key, secret = _create(db, box, account, None, now, key_id="test", secret="test")
    assert (key.access_key_id, secret) == ("test", "test")
    with db.transaction(write=False) as conn:
        found = keys.get_for_authentication(conn, box, "test")
    assert found is not None and found.secret == "test" and found.account_id == account
    with pytest.raises(RowConflict):
        _create(db, box, account, None, now, key_id="test", secret="other")


@pytest.mark.parametrize(
    ("key_id", "secret"), [("ab", "secret"), ("key", "ab"), ("has space", "abc"), ("a/b", "abc")]
)
def test_chosen_keys_need_three_characters(
    db: Database, box: AesGcmBox, account: str, now: dt.datetime, key_id: str, secret: str
) -> None:
    with pytest.raises(ValueError):
        _create(db, box, account, None, now, key_id=key_id, secret=secret)


def test_unknown_key(db: Database, box: AesGcmBox) -> None:
    with db.transaction(write=False) as conn:
        assert keys.get_for_authentication(conn, box, "AKIANOTAKEY") is None
        assert keys.get_access_key(conn, "AKIANOTAKEY") is None


def test_user_keys_are_listed_counted_and_scoped(
    db: Database, box: AesGcmBox, account: str, now: dt.datetime
) -> None:
    alice = db.run(True, lambda conn: add_user(conn, "alice"))
    bob = db.run(True, lambda conn: add_user(conn, "bob"))
    first, _ = _create(db, box, account, alice, now)
    second, _ = _create(db, box, account, alice, now + dt.timedelta(seconds=1))
    root, _ = _create(db, box, account, None, now)
    with db.transaction(write=False) as conn:
        listed = keys.list_access_keys(conn, account, alice)
        assert [k.access_key_id for k in listed] == [first.access_key_id, second.access_key_id]
        assert [k.access_key_id for k in keys.list_access_keys(conn, account, None)] == [
            root.access_key_id
        ]
        assert keys.list_access_keys(conn, account, bob) == []
        assert keys.count_access_keys(conn, account, alice) == 2
        assert keys.count_access_keys(conn, account, None) == 1
        auth = keys.get_for_authentication(conn, box, first.access_key_id)
        assert auth is not None and auth.user_id == alice
    # bob cannot touch alice's key; alice can.
    kid = first.access_key_id
    assert not db.run(True, lambda c: keys.update_status(c, account, bob, kid, keys.INACTIVE))
    assert not db.run(True, lambda c: keys.update_status(c, account, None, kid, keys.INACTIVE))
    assert db.run(True, lambda c: keys.update_status(c, account, alice, kid, keys.INACTIVE))
    with db.transaction(write=False) as conn:
        auth = keys.get_for_authentication(conn, box, kid)
        assert auth is not None and not auth.active
    with pytest.raises(ValueError):
        db.run(True, lambda c: keys.update_status(c, account, alice, kid, "Paused"))
    assert not db.run(True, lambda c: keys.delete_access_key(c, account, bob, kid))
    assert db.run(True, lambda c: keys.delete_access_key(c, account, alice, kid))
    assert not db.run(True, lambda c: keys.delete_access_key(c, account, alice, kid))
    assert db.run(True, lambda c: keys.delete_user_keys(c, account, alice)) == 1
    with db.transaction(write=False) as conn:
        assert keys.count_access_keys(conn, account, alice) == 0
        assert keys.count_access_keys(conn, account, None) == 1


def test_key_for_a_missing_user_is_refused(
    db: Database, box: AesGcmBox, account: str, now: dt.datetime
) -> None:
    with pytest.raises(RowConflict):
        _create(db, box, account, "AIDANOSUCHUSER", now)


def test_inactive_status_at_creation(
    db: Database, box: AesGcmBox, account: str, now: dt.datetime
) -> None:
    key, _ = _create(db, box, account, None, now, status=keys.INACTIVE)
    assert key.status == keys.INACTIVE
    with pytest.raises(ValueError):
        _create(db, box, account, None, now, status="Unknown")


def test_record_last_used(db: Database, box: AesGcmBox, account: str, now: dt.datetime) -> None:
    key, _ = _create(db, box, account, None, now)
    kid = key.access_key_id
    minute = dt.timedelta(minutes=1)

    def record(at: dt.datetime, service: str = "iam", granularity: dt.timedelta = minute) -> bool:
        return db.run(
            True,
            lambda c: keys.record_last_used(
                c, kid, at=at, service=service, region="us-east-1", granularity=granularity
            ),
        )

    assert record(now) is True
    assert record(now + dt.timedelta(seconds=10)) is False  # within the granularity
    assert record(now + dt.timedelta(seconds=20), service="sts") is True
    assert record(now + dt.timedelta(seconds=30), service="sts", granularity=dt.timedelta(0))
    with db.transaction(write=False) as conn:
        stored = keys.get_access_key(conn, kid)
    assert stored is not None
    assert stored.last_used_at == now + dt.timedelta(seconds=30)
    assert (stored.last_used_service, stored.last_used_region) == ("sts", "us-east-1")
    assert record(now + dt.timedelta(minutes=5), service="sts") is True
    assert (
        db.run(
            True,
            lambda c: keys.record_last_used(
                c, "AKIAGONE", at=now, service="iam", region="us-east-1"
            ),
        )
        is False
    )
