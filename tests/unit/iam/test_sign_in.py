"""Console sign-in outcomes name the account and the user an attempt was for, when they
exist, a refusal unseen included: the audit trail records every attempt from them."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from iamd.iam import sign_in

from .harness import ACCOUNT, Harness, make_harness

importlib.import_module("iamd.iam.login_profiles")

PASSWORD = "Corr3ct-Horse-Battery!"


@pytest.fixture
def h(tmp_path: Path) -> Harness:
    harness = make_harness(tmp_path)
    harness.call("CreateUser", {"UserName": "ann"})
    harness.call("CreateLoginProfile", {"UserName": "ann", "Password": PASSWORD})
    return harness


def _attempt(h: Harness, account: str, user: str | None, password: str) -> sign_in.Outcome:
    with h.db.transaction() as conn:
        return sign_in.attempt(conn, h.clock.now(), account, user, password)


def test_a_wrong_password_names_the_user_and_a_right_one_signs_in(h: Harness) -> None:
    wrong = _attempt(h, ACCOUNT, "ANN", "nope")
    assert not wrong.ok and wrong.account_id == ACCOUNT
    assert wrong.user is not None and wrong.user.name == "ann"
    right = _attempt(h, ACCOUNT, "ann", PASSWORD)
    assert right.ok and right.user is not None and right.user.name == "ann"


def test_an_unknown_user_names_the_account_and_no_user(h: Harness) -> None:
    outcome = _attempt(h, ACCOUNT, "Hunter2-typed-here", "x")
    assert outcome == sign_in.Outcome(ok=False, account_id=ACCOUNT)


def test_an_unknown_account_names_nothing(h: Harness) -> None:
    assert _attempt(h, "999999999990", "ann", PASSWORD) == sign_in.Outcome(ok=False)
    assert _attempt(h, "no-such-alias", None, PASSWORD) == sign_in.Outcome(ok=False)


@pytest.mark.parametrize(
    ("user", "named"), [("ann", "ann"), ("nobody", None), (None, None)], ids=str
)
def test_a_refusal_unseen_names_whom_it_was_for(
    h: Harness, user: str | None, named: str | None
) -> None:
    for _ in range(sign_in.FREE_ATTEMPTS):
        assert not _attempt(h, ACCOUNT, user, "wrong").retry_after
    refused = _attempt(h, ACCOUNT, user, PASSWORD)  # the clock stands still: within the wait
    assert not refused.ok and refused.retry_after == 1
    assert refused.account_id == ACCOUNT
    assert (refused.user.name if refused.user is not None else None) == named
    h.clock.advance(1)
    assert _attempt(h, ACCOUNT, user, PASSWORD).ok is (user == "ann")


def test_a_refusal_unseen_of_an_unknown_account_names_nothing(h: Harness) -> None:
    for _ in range(sign_in.FREE_ATTEMPTS):
        _attempt(h, "999999999990", "ann", "wrong")
    refused = _attempt(h, "999999999990", "ann", "wrong")
    assert refused == sign_in.Outcome(ok=False, retry_after=1)


def _failure_rows(h: Harness) -> list[tuple[str, int]]:
    from sqlalchemy import select

    from iamd.store.schema import sign_in_failures

    with h.db.transaction() as conn:
        rows = conn.execute(select(sign_in_failures.c.subject, sign_in_failures.c.failures))
        return [(str(r[0]), int(r[1])) for r in rows]


def test_a_name_typed_in_the_user_box_is_never_stored(h: Harness) -> None:
    """A failure is counted under a digest of what was typed: a password typed in the user
    name box is not kept in the store, in any case."""
    typed = "Tr0ub4dor&3-typed-here"
    _attempt(h, ACCOUNT, typed, "nope")
    _attempt(h, ACCOUNT, typed, "nope")
    rows = _failure_rows(h)
    assert [count for _, count in rows] == [2]  # still counted, under one subject
    assert all(typed.lower() not in subject and typed not in subject for subject, _ in rows)
    assert all(len(subject) == 64 for subject, _ in rows)


def test_forgotten_failures_are_swept_by_later_ones(h: Harness) -> None:
    """Names tried once do not pile up: each failure deletes more forgotten rows than
    it adds."""
    from iamd.store.sign_in import SWEEP

    for n in range(2 * SWEEP):
        _attempt(h, ACCOUNT, f"sprayed-{n}", "nope")
    assert len(_failure_rows(h)) == 2 * SWEEP
    h.clock.advance(sign_in.FORGET_AFTER.total_seconds() + 60)
    _attempt(h, ACCOUNT, "ann", "nope")
    assert len(_failure_rows(h)) == SWEEP + 1  # SWEEP of the old ones went, ann's came
    _attempt(h, ACCOUNT, "ann", "nope")
    assert _failure_rows(h) == [(sign_in.subject(ACCOUNT, "ann"), 2)]


def test_failures_by_alias_and_by_account_id_are_one_count(h: Harness) -> None:
    """Naming the account by its alias gives no fresh attempts after failing by its id."""
    h.call("CreateAccountAlias", {"AccountAlias": "acme"})
    for _ in range(sign_in.FREE_ATTEMPTS):
        assert not _attempt(h, ACCOUNT, "ann", "nope").retry_after
    assert _attempt(h, "acme", "ann", PASSWORD).retry_after  # slowed, password unread
    assert _attempt(h, "ACME", "ann", PASSWORD).retry_after
