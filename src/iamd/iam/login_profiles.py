"""Login profiles (an IAM user's console password): Create/Get/Update/DeleteLoginProfile
and ChangePassword, and ``check_sign_in`` for the console.

The password is kept only as its scrypt hash (``passwords.py``) and must meet the
account's password policy (``password_policy.py``). The policy's reuse rule keeps as many
earlier hashes as it needs; its maximum age makes a password expire, after which the user
must choose a new one at sign-in (or, with HardExpiry, have an administrator set one).

ChangePassword is a user's own: the root and role sessions get InvalidUserType. A user
may call it when the account's policy lets users change their own password, or when
their identity policies allow ``iam:ChangePassword`` on their own user, as in AWS.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, delete, insert, select, update

from iamd.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
)
from iamd.iam.password_policy import PasswordPolicy, check_password, get_policy
from iamd.iam.passwords import hash_password, verify_password
from iamd.iam.users import get_user, target_of_name, user_target
from iamd.model.caller import CallerKind
from iamd.operations import OperationContext, Params, Result, Target, operation
from iamd.store import schema
from iamd.store.users import User

_T = schema.login_profiles


def _row(conn: Connection, user_id: str) -> Row[Any] | None:
    return conn.execute(select(_T).where(_T.c.user_id == user_id)).first()


def not_found(name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Login Profile for User {name} cannot be found.")


def has_login_profile(conn: Connection, user_id: str) -> bool:
    return _row(conn, user_id) is not None


def delete_login_profile_of(conn: Connection, user_id: str) -> bool:
    return conn.execute(delete(_T).where(_T.c.user_id == user_id)).rowcount == 1


def _shape(user: User, row: Row[Any]) -> dict[str, Any]:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return {
        "UserName": user.name,
        "CreateDate": created,
        "PasswordResetRequired": bool(row.reset_required),
    }


def _reused(policy: PasswordPolicy | None, row: Row[Any] | None, password: str) -> bool:
    if row is None or policy is None or not policy.reuse_prevention:
        return False
    earlier = [row.password_hash, *json.loads(row.previous_hashes)][: policy.reuse_prevention]
    return any(verify_password(password, h) for h in earlier)


def _set_password(
    ctx: OperationContext,
    user: User,
    row: Row[Any],
    password: str,
    policy: PasswordPolicy | None,
    reset_required: bool,
) -> None:
    keep = policy.reuse_prevention if policy and policy.reuse_prevention else 0
    previous = [row.password_hash, *json.loads(row.previous_hashes)][: max(keep - 1, 0)]
    ctx.db.execute(
        update(_T)
        .where(_T.c.user_id == user.user_id)
        .values(
            password_hash=hash_password(password),
            previous_hashes=json.dumps(previous),
            reset_required=reset_required,
            password_changed_at=ctx.now,
        )
    )


@operation("iam", "CreateLoginProfile", target=user_target)
def create_login_profile(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    if _row(ctx.db, user.user_id) is not None:
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
    password = params.get("Password")
    if password is None:
        raise PasswordPolicyViolation("Password does not conform to the account password policy.")
    check_password(ctx.db, ctx.account_id, password)
    ctx.db.execute(
        insert(_T).values(
            user_id=user.user_id,
            account_id=ctx.account_id,
            password_hash=hash_password(password),
            previous_hashes="[]",
            reset_required=bool(params.get("PasswordResetRequired")),
            created_at=ctx.now,
            password_changed_at=ctx.now,
        )
    )
    row = _row(ctx.db, user.user_id)
    assert row is not None
    return {"LoginProfile": _shape(user, row)}


@operation("iam", "GetLoginProfile", target=user_target)
def get_login_profile(ctx: OperationContext, params: Params) -> Result:
    name = params.get("UserName") or ctx.caller.name
    user = get_user(ctx, str(name))
    row = _row(ctx.db, user.user_id)
    if row is None:
        raise not_found(user.name)
    return {"LoginProfile": _shape(user, row)}


@operation("iam", "UpdateLoginProfile", target=user_target)
def update_login_profile(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    row = _row(ctx.db, user.user_id)
    if row is None:
        raise not_found(user.name)
    reset = params.get("PasswordResetRequired")
    password = params.get("Password")
    if password is not None:
        policy = check_password(ctx.db, ctx.account_id, password)
        if _reused(policy, row, password):
            raise PasswordPolicyViolation(
                "Password does not conform to the account password policy."
            )
        _set_password(ctx, user, row, password, policy, bool(reset))
    elif reset is not None:
        ctx.db.execute(
            update(_T).where(_T.c.user_id == user.user_id).values(reset_required=bool(reset))
        )
    return {}


@operation("iam", "DeleteLoginProfile", target=user_target)
def delete_login_profile(ctx: OperationContext, params: Params) -> Result:
    user = get_user(ctx, params["UserName"])
    if not delete_login_profile_of(ctx.db, user.user_id):
        raise not_found(user.name)
    return {}


def own_user_target(ctx: OperationContext, params: Params) -> Target:
    if ctx.caller.kind is not CallerKind.USER or not ctx.caller.name:
        raise InvalidUserType("Only IAM users can change their own password.")
    return target_of_name(ctx, ctx.caller.name)


@operation("iam", "ChangePassword", authorize=False)
def change_password(ctx: OperationContext, params: Params) -> Result:
    target = own_user_target(ctx, params)
    policy = get_policy(ctx.db, ctx.account_id)
    if policy is None or not policy.allow_users_to_change:
        ctx.authorize("iam:ChangePassword", target)
    user = get_user(ctx, str(ctx.caller.name))
    row = _row(ctx.db, user.user_id)
    if row is None:
        raise not_found(user.name)
    if not verify_password(params["OldPassword"], row.password_hash):
        raise AccessDenied("The old password is incorrect.")
    if policy is not None and policy.hard_expiry and _expired(policy, row, ctx.now):
        raise AccessDenied("The password has expired; an administrator must reset it.")
    new = params["NewPassword"]
    policy = check_password(ctx.db, ctx.account_id, new)
    if _reused(policy, row, new):
        raise PasswordPolicyViolation("Password does not conform to the account password policy.")
    _set_password(ctx, user, row, new, policy, False)
    return {}


def _expired(policy: PasswordPolicy, row: Row[Any], now: dt.datetime) -> bool:
    changed = row.password_changed_at
    changed = changed if changed.tzinfo else changed.replace(tzinfo=dt.UTC)
    expires = policy.expires_at(changed)
    return expires is not None and now >= expires


@dataclass(frozen=True, slots=True)
class SignIn:
    """What a password sign-in found: whether it may go on, and whether the user must
    choose a new password first (reset required, or expired without HardExpiry)."""

    ok: bool
    must_change: bool = False


def check_sign_in(conn: Connection, user: User, password: str, now: dt.datetime) -> SignIn:
    """The console's password check for ``user`` (constant-time, one hash per call)."""
    row = _row(conn, user.user_id)
    if row is None or not verify_password(password, row.password_hash):
        return SignIn(ok=False)
    policy = get_policy(conn, user.account_id)
    expired = policy is not None and _expired(policy, row, now)
    if expired and policy is not None and policy.hard_expiry:
        return SignIn(ok=False)
    return SignIn(ok=True, must_change=bool(row.reset_required) or expired)


def must_change(conn: Connection, user: User, now: dt.datetime) -> bool:
    """Whether ``user``'s password must be replaced at sign-in (reset or expired)."""
    row = _row(conn, user.user_id)
    if row is None:
        return False
    policy = get_policy(conn, user.account_id)
    return bool(row.reset_required) or (policy is not None and _expired(policy, row, now))
