"""Session claims become the Caller the rest of iamd sees; expiry is the opener's clock's."""

from __future__ import annotations

import dataclasses
import random

import pytest

from iamd.clock import FixedClock
from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.model.caller import CallerKind
from iamd.store import keyring as store
from iamd.store.db import Database
from iamd.store.secrets import AesGcmBox
from iamd.sts import tokens
from iamd.sts.keyring import KeyRing
from iamd.sts.sessions import TemporaryCredentials, caller_of
from iamd.sts.tokens import SessionClaims, SessionKind

from .conftest import START

ACCOUNT = "123456789012"
NOW = int(START.timestamp())
ROLE = SessionClaims(
    kind=SessionKind.ROLE,
    account_id=ACCOUNT,
    principal_id="AROAEXAMPLEEXAMPLE1",
    principal_arn=f"arn:aws:iam::{ACCOUNT}:role/team/deploy",
    name="alice",
    issued_at=NOW,
    expires_at=NOW + 900,
    secret="s" * 40,
    tags=(("Project", "x"),),
    source_identity="alice",
    mfa_at=NOW,
)


def test_role_session_caller() -> None:
    caller = caller_of(ROLE, "ASIAKEY")
    assert caller.kind is CallerKind.ROLE_SESSION
    assert caller.arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/alice"
    assert caller.user_id == "AROAEXAMPLEEXAMPLE1:alice"
    assert caller.role_arn == ROLE.principal_arn and caller.entity_id == ROLE.principal_id
    assert caller.mfa and caller.may_call_iam
    assert caller.session is not None and caller.session.source_identity == "alice"
    assert caller.session.issued_at == START


def test_other_session_kinds() -> None:
    fed = caller_of(
        dataclasses.replace(
            ROLE,
            kind=SessionKind.FEDERATED_USER,
            principal_id="AIDAUSER",
            principal_arn=f"arn:aws:iam::{ACCOUNT}:user/broker",
            name="carol",
            mfa_at=None,
        ),
        "ASIAKEY",
    )
    assert fed.kind is CallerKind.FEDERATED_USER
    assert fed.arn == f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
    assert fed.user_id == f"{ACCOUNT}:carol" and fed.source_user_id == "AIDAUSER"
    assert not fed.may_call_iam
    user = caller_of(
        dataclasses.replace(ROLE, kind=SessionKind.USER, principal_id="AIDAUSER", mfa_at=None),
        "ASIAKEY",
    )
    assert user.kind is CallerKind.USER and user.user_id == "AIDAUSER" and not user.may_call_iam
    root = caller_of(dataclasses.replace(ROLE, kind=SessionKind.ROOT), "ASIAKEY")
    assert root.kind is CallerKind.ROOT and root.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert root.may_call_iam  # with MFA


def test_open_checks_expiry_with_its_clock(ring: KeyRing, db: Database, rng: random.Random) -> None:
    with db.transaction() as conn:
        token = tokens.seal(ring, conn, ROLE, "ASIAKEY", now=START, random=rng.randbytes)
    clock = FixedClock(START)
    opener = TemporaryCredentials(ring, clock)
    with db.transaction(write=False) as conn:
        assert opener.open(conn, "ASIAKEY", token).secret == "s" * 40
        with pytest.raises(InvalidClientTokenId):
            opener.open(conn, "ASIAKEY", None)
        with pytest.raises(InvalidClientTokenId):
            opener.open(conn, "ASIAOTHER", token)
        clock.advance(900)
        with pytest.raises(ExpiredToken):
            opener.open(conn, "ASIAKEY", token)


def _seal_role(ring: KeyRing, db: Database, rng: random.Random, akid: str = "ASIAKEY") -> str:
    with db.transaction() as conn:
        return tokens.seal(ring, conn, ROLE, akid, now=START, random=rng.randbytes)


def test_open_remembers_what_it_opened_and_checks_the_rest_every_time(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    token = _seal_role(ring, db, rng)
    clock = FixedClock(START)
    opener = TemporaryCredentials(ring, clock)
    with db.transaction(write=False) as conn:
        first = opener.open(conn, "ASIAKEY", token)
        assert opener.open(conn, "ASIAKEY", token) is first
        with pytest.raises(InvalidClientTokenId):  # still bound to its access key id
            opener.open(conn, "ASIAOTHER", token)
        altered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
        with pytest.raises(InvalidClientTokenId):
            opener.open(conn, "ASIAKEY", altered)
        clock.advance(900)
        with pytest.raises(ExpiredToken):
            opener.open(conn, "ASIAKEY", token)


def test_a_remembered_token_survives_a_ring_refresh_but_not_its_keys_retirement(
    box: AesGcmBox, db: Database, rng: random.Random
) -> None:
    now = [100.0]
    ring = KeyRing(box, monotonic=lambda: now[0])
    ring.ensure(db, START, rng.randbytes)
    token = _seal_role(ring, db, rng)
    opener = TemporaryCredentials(ring, FixedClock(START))
    with db.transaction(write=False) as conn:
        first = opener.open(conn, "ASIAKEY", token)
    now[0] += 120  # the ring reloads: new RingKey objects for the same keys
    with db.transaction(write=False) as conn:
        assert opener.open(conn, "ASIAKEY", token) is first
    with db.transaction() as conn:
        retired = ring.keys(conn)[0]
        ring.rotate(conn, START, rng.randbytes)
        assert store.delete_key(conn, retired.key_id_hex)
    with db.transaction(write=False) as conn, pytest.raises(InvalidClientTokenId):
        opener.open(conn, "ASIAKEY", token)


def test_open_remembers_a_bounded_number_of_tokens(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    sealed = [(f"ASIAKEY{i}", _seal_role(ring, db, rng, f"ASIAKEY{i}")) for i in range(3)]
    opener = TemporaryCredentials(ring, FixedClock(START), cache_size=2)
    with db.transaction(write=False) as conn:
        opened = [opener.open(conn, akid, token) for akid, token in sealed]
        assert opener.open(conn, *sealed[2]) is opened[2]
        again = opener.open(conn, *sealed[0])  # the oldest was forgotten, and opens anew
        assert again is not opened[0] and again == opened[0]
