"""The account password policy: Update/Get/DeleteAccountPasswordPolicy, and the rules a
new password must meet.

Without a policy of its own an account has AWS's default rules for IAM users' passwords:
at least eight characters, with at least three of uppercase letters, lowercase letters,
numbers and symbols. A policy set with UpdateAccountPasswordPolicy replaces them; a
member left out takes AWS's default for it (a minimum length of 6, nothing required,
users may not change their own password, no expiry, no reuse rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from iamd.errors import NoSuchEntity, PasswordPolicyViolation
from iamd.operations import OperationContext, Params, Result, no_resource, operation
from iamd.store import schema

SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    minimum_length: int = 6
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase: bool = False
    require_lowercase: bool = False
    allow_users_to_change: bool = False
    max_age_days: int | None = None
    reuse_prevention: int | None = None
    hard_expiry: bool | None = None

    def expires_at(self, changed_at: dt.datetime) -> dt.datetime | None:
        if not self.max_age_days:
            return None
        return changed_at + dt.timedelta(days=self.max_age_days)


def get_policy(conn: Connection, account_id: str) -> PasswordPolicy | None:
    t = schema.password_policies
    row = conn.execute(select(t).where(t.c.account_id == account_id)).first()
    if row is None:
        return None
    values = row._asdict()
    values.pop("account_id")
    return PasswordPolicy(**values)


def violations(password: str, policy: PasswordPolicy | None) -> list[str]:
    """What ``password`` lacks under ``policy`` (AWS's default rules when None)."""
    kinds = {
        "uppercase": any(c.isascii() and c.isupper() for c in password),
        "lowercase": any(c.isascii() and c.islower() for c in password),
        "numbers": any(c.isdigit() for c in password),
        "symbols": any(c in SYMBOLS for c in password),
    }
    if policy is None:
        found = []
        if len(password) < 8:
            found.append("at least 8 characters")
        if sum(kinds.values()) < 3:
            found.append("three of: uppercase, lowercase, numbers, symbols")
        return found
    found = []
    if len(password) < policy.minimum_length:
        found.append(f"at least {policy.minimum_length} characters")
    for kind, required in (
        ("uppercase", policy.require_uppercase),
        ("lowercase", policy.require_lowercase),
        ("numbers", policy.require_numbers),
        ("symbols", policy.require_symbols),
    ):
        if required and not kinds[kind]:
            found.append(kind)
    return found


def check_password(conn: Connection, account_id: str, password: str) -> PasswordPolicy | None:
    """The account's policy, once ``password`` is shown to meet it (or the default rules)."""
    policy = get_policy(conn, account_id)
    if violations(password, policy):
        raise PasswordPolicyViolation("Password does not conform to the account password policy.")
    return policy


def policy_shape(policy: PasswordPolicy) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "MinimumPasswordLength": policy.minimum_length,
        "RequireSymbols": policy.require_symbols,
        "RequireNumbers": policy.require_numbers,
        "RequireUppercaseCharacters": policy.require_uppercase,
        "RequireLowercaseCharacters": policy.require_lowercase,
        "AllowUsersToChangePassword": policy.allow_users_to_change,
        "ExpirePasswords": bool(policy.max_age_days),
    }
    if policy.max_age_days:
        shape["MaxPasswordAge"] = policy.max_age_days
    if policy.reuse_prevention:
        shape["PasswordReusePrevention"] = policy.reuse_prevention
    if policy.hard_expiry is not None:
        shape["HardExpiry"] = policy.hard_expiry
    return shape


def _not_found(ctx: OperationContext) -> NoSuchEntity:
    return NoSuchEntity(f"The Password Policy with domain name {ctx.account_id} cannot be found.")


@operation("iam", "UpdateAccountPasswordPolicy", target=no_resource)
def update_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    policy = PasswordPolicy(
        minimum_length=params.get("MinimumPasswordLength") or 6,
        require_symbols=bool(params.get("RequireSymbols")),
        require_numbers=bool(params.get("RequireNumbers")),
        require_uppercase=bool(params.get("RequireUppercaseCharacters")),
        require_lowercase=bool(params.get("RequireLowercaseCharacters")),
        allow_users_to_change=bool(params.get("AllowUsersToChangePassword")),
        max_age_days=params.get("MaxPasswordAge"),
        reuse_prevention=params.get("PasswordReusePrevention"),
        hard_expiry=params.get("HardExpiry"),
    )
    t = schema.password_policies
    ctx.db.execute(delete(t).where(t.c.account_id == ctx.account_id))
    values = {f: getattr(policy, f) for f in PasswordPolicy.__dataclass_fields__}
    ctx.db.execute(insert(t).values(account_id=ctx.account_id, **values))
    return {}


@operation("iam", "GetAccountPasswordPolicy", target=no_resource)
def get_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    policy = get_policy(ctx.db, ctx.account_id)
    if policy is None:
        raise _not_found(ctx)
    return {"PasswordPolicy": policy_shape(policy)}


@operation("iam", "DeleteAccountPasswordPolicy", target=no_resource)
def delete_account_password_policy(ctx: OperationContext, params: Params) -> Result:
    t = schema.password_policies
    if ctx.db.execute(delete(t).where(t.c.account_id == ctx.account_id)).rowcount == 0:
        raise _not_found(ctx)
    return {}
