"""The console's sealed cookie and sign-in token: what they carry, that nothing else opens
them, and that a session ends with its credentials."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from iamd.console.seal import NotSealed, open_sealed, seal
from iamd.console.session import (
    HISTORY,
    SIGNED_IN,
    ConsoleSession,
    Identity,
    RecentRole,
    signed_in,
)
from iamd.store.db import Database
from iamd.sts.keyring import KeyRing, Purpose

from .conftest import START

USER = Identity("ASIAUSER", "token-u", int(START.timestamp()) + 3600, "arn:aws:iam::1:user/a", "1")
ROLE = Identity("ASIAROLE", "token-r", int(START.timestamp()) + 600, "arn:aws:sts::1:x", "1")


def _sealed(ring: KeyRing, db: Database, rng: random.Random, session: ConsoleSession) -> str:
    return db.run(
        True,
        lambda conn: seal(
            ring, conn, Purpose.CONSOLE_SESSION, session.payload(), now=START, random=rng.randbytes
        ),
    )


def test_a_session_round_trips_through_its_cookie(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    session = signed_in(USER).switched_to(ROLE, RecentRole("1", "r", "R", "green"))
    text = _sealed(ring, db, rng, session)
    assert "token-r" not in text and "ASIA" not in text
    opened = db.run(False, lambda conn: open_sealed(ring, conn, Purpose.CONSOLE_SESSION, text))
    assert ConsoleSession.of(opened) == session
    assert session.identity == ROLE and session.original == USER
    assert session.switched_back().identity == USER


def test_a_cookie_is_not_a_sign_in_token_and_cannot_be_altered(
    ring: KeyRing, db: Database, rng: random.Random
) -> None:
    text = _sealed(ring, db, rng, signed_in(USER))
    with pytest.raises(NotSealed):
        db.run(False, lambda conn: open_sealed(ring, conn, Purpose.SIGNIN_TOKEN, text))
    flipped = text[:-3] + ("A" if text[-3] != "A" else "B") + text[-2:]
    with pytest.raises(NotSealed):
        db.run(False, lambda conn: open_sealed(ring, conn, Purpose.CONSOLE_SESSION, flipped))
    with pytest.raises(NotSealed):
        db.run(False, lambda conn: open_sealed(ring, conn, Purpose.CONSOLE_SESSION, "A" * 9000))


def test_a_session_expires_with_the_credentials_it_acts_with() -> None:
    session = signed_in(USER)
    assert session.stage == SIGNED_IN
    assert not session.expired(START + dt.timedelta(minutes=59))
    assert session.expired(START + dt.timedelta(hours=1))
    switched = session.switched_to(ROLE, RecentRole("1", "r", "R", "blue"))
    assert switched.expired(START + dt.timedelta(minutes=10))  # the role's credentials


def test_recent_roles_are_the_last_five_without_repeats() -> None:
    session = signed_in(USER)
    for n in range(7):
        session = session.switched_to(ROLE, RecentRole("1", f"r{n}", f"R{n}", "red"))
    session = session.switched_to(ROLE, RecentRole("1", "r4", "R4 again", "red"))
    assert [r.role for r in session.history] == ["r4", "r6", "r5", "r3", "r2"]
    assert len(session.history) == HISTORY
