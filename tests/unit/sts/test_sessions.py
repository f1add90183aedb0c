"""Session claims become the Caller the rest of iamd sees; expiry is the opener's clock's."""

from __future__ import annotations

import dataclasses
import random

import pytest

from iamd.clock import FixedClock
from iamd.errors import ExpiredToken, InvalidClientTokenId
from iamd.model.caller import CallerKind
from iamd.store.db import Database
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
