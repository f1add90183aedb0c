"""Console sign-in by password: an IAM user's login profile or an account root's password.

The rules, as AWS's sign-in applies them:

- the account is named by its 12-digit id or its alias;
- an IAM user signs in with the password of their login profile; a password to be reset,
  or expired under the account's policy without HardExpiry, signs in only to choose a new
  one; with HardExpiry an expired password does not sign in;
- a user with an MFA device must then give its current code;
- failed attempts are slowed: after ``FREE_ATTEMPTS`` failures in a row (within
  ``FORGET_AFTER`` of each other) each further attempt must wait twice as long as the
  last, up to ``MAX_WAIT`` seconds; an attempt made while waiting is refused without its
  password being looked at. Counts live in the store, so every node slows the same
  attacker;
- every refusal says the same thing, whether the account, the user or the password was
  wrong, and costs one password hash either way;
- every outcome names the account and the user it was for, when they exist, so that the
  audit trail records every attempt on an account (a refusal unseen too: two indexed
  reads, no hash).

The password check is one scrypt hash (tens of milliseconds): callers run it off the
event loop.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection

from iamd.iam import login_profiles, naming
from iamd.iam.login_profiles import check_sign_in
from iamd.iam.mfa import check_code
from iamd.iam.passwords import hash_password, verify_password
from iamd.store import mfa as mfa_store
from iamd.store import sign_in as store
from iamd.store.accounts import get_account, get_account_by_alias, is_account_id
from iamd.store.secrets import SecretBox
from iamd.store.users import User, get_user_by_id, user_from_row

__all__ = ["Outcome", "User", "attempt", "attempt_code", "resolve_account", "set_root_password"]

FREE_ATTEMPTS = 3
MAX_WAIT = 300
FORGET_AFTER = dt.timedelta(minutes=15)
ROOT = "root"
MAX_NAME = 128
# A hash of nothing anyone knows: an unknown account or user costs the same as a wrong password.
_DECOY = hash_password("iamd sign-in decoy password")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an attempt found. ``ok``: the password was right; ``retry_after``: refused
    unseen, that many seconds to wait. Every outcome, a refusal unseen too, names the
    account (``account_id``) and the user it was for when they exist (for the audit
    trail; the person is told nothing more): an account without a user, on an attempt
    that named a user, is a user name the account does not have."""

    ok: bool
    account_id: str | None = None
    user: User | None = None  # None with ok: the account root
    must_change: bool = False
    mfa_serials: tuple[str, ...] = ()
    retry_after: int = 0


def resolve_account(conn: Connection, reference: str) -> str | None:
    """The account id ``reference`` (an id or an alias) names, if the store has it."""
    reference = reference.strip()
    if is_account_id(reference):
        return reference if get_account(conn, reference) is not None else None
    found = get_account_by_alias(conn, reference.lower()) if len(reference) <= 63 else None
    return found.account_id if found is not None else None


def subject(account_reference: str, user_name: str | None) -> str:
    """The row failures are counted under: a digest of what was typed, bounded and folded.
    Never the text itself: a password typed in the user name box would stay in the store."""
    who = ROOT if user_name is None else user_name
    typed = f"{account_reference.strip().lower()[:63]}/{who.lower()[:MAX_NAME]}"
    return hashlib.sha256(typed.encode()).hexdigest()


def wait_seconds(failures: store.Failures | None, now: dt.datetime) -> int:
    """How long before the next attempt on a subject with ``failures`` is looked at."""
    if failures is None or failures.count < FREE_ATTEMPTS or now - failures.last_at > FORGET_AFTER:
        return 0
    delay = min(MAX_WAIT, 2 ** (failures.count - FREE_ATTEMPTS))
    remaining = delay - (now - failures.last_at).total_seconds()
    return max(0, int(remaining + 0.999))


def attempt(
    conn: Connection, now: dt.datetime, account_reference: str, user_name: str | None, password: str
) -> Outcome:
    """One sign-in attempt; the caller commits (failures are written here)."""
    account_id = resolve_account(conn, account_reference)
    # One count per account whether it was named by id or by alias.
    key = subject(account_id or account_reference, user_name)
    wait = wait_seconds(store.failures(conn, key), now)
    if wait:
        user = _named_user(conn, account_id, user_name)
        return Outcome(ok=False, account_id=account_id, user=user, retry_after=wait)
    outcome = _check(conn, now, account_id, user_name, password[:MAX_NAME])
    if outcome.ok:
        store.clear_failures(conn, key)
    else:
        store.record_failure(conn, key, now, now - FORGET_AFTER)
    return outcome


def _named_user(conn: Connection, account_id: str | None, user_name: str | None) -> User | None:
    """The user ``user_name`` names in ``account_id``, if both exist."""
    if account_id is None or user_name is None:
        return None
    row = naming.find_by_name(conn, naming.USER, account_id, user_name[:MAX_NAME])
    return user_from_row(row) if row is not None else None


def _check(
    conn: Connection, now: dt.datetime, account_id: str | None, user_name: str | None, password: str
) -> Outcome:
    if account_id is None:
        verify_password(password, _DECOY)
        return Outcome(ok=False)
    if user_name is None:
        stored = store.root_password_hash(conn, account_id)
        if not verify_password(password, stored or _DECOY) or stored is None:
            return Outcome(ok=False, account_id=account_id)
        store.note_root_sign_in(conn, account_id, now)
        return Outcome(ok=True, account_id=account_id)
    user = _named_user(conn, account_id, user_name)
    if user is None:
        verify_password(password, _DECOY)
        return Outcome(ok=False, account_id=account_id)
    checked = check_sign_in(conn, user, password, now)
    if not checked.ok:
        return Outcome(ok=False, account_id=account_id, user=user)
    serials = tuple(
        d.serial_number for d in mfa_store.devices_of_user(conn, user.user_id) if d.enabled_at
    )
    return Outcome(
        ok=True,
        account_id=account_id,
        user=user,
        must_change=checked.must_change,
        mfa_serials=serials,
    )


def set_root_password(conn: Connection, account_id: str, password: str, now: dt.datetime) -> None:
    """``iamd account password``: the root's console password (8 to 128 characters)."""
    store.set_root_password(conn, account_id, hash_password(password), now)


def attempt_code(
    conn: Connection,
    box: SecretBox,
    now: dt.datetime,
    account_id: str,
    user_id: str,
    user_name: str,
    code: str,
) -> Outcome:
    """The MFA step after a right password: ``code`` from any of the user's enabled
    devices (each code is taken once). A wrong code counts as a failed attempt."""
    key = subject(account_id, user_name)
    wait = wait_seconds(store.failures(conn, key), now)
    row = get_user_by_id(conn, user_id)
    if wait:
        return Outcome(ok=False, account_id=account_id, user=row, retry_after=wait)
    serials = [d.serial_number for d in mfa_store.devices_of_user(conn, user_id) if d.enabled_at]
    ok = (
        row is not None
        and code.isdigit()
        and any(check_code(conn, box, now, user_id, serial, code) for serial in serials)
    )
    if not ok or row is None:
        store.record_failure(conn, key, now, now - FORGET_AFTER)
        return Outcome(ok=False, account_id=account_id, user=row)
    store.clear_failures(conn, key)
    return Outcome(
        ok=True,
        account_id=account_id,
        user=row,
        must_change=login_profiles.must_change(conn, row, now),
    )
