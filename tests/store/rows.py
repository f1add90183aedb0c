"""Small row builders and repository steps shared by the store tests and their workers."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Connection, func, insert, select, update

from iamd.store import schema
from iamd.store.db import lock_row

NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
ACCOUNT = "111122223333"
MAX_VERSIONS = 5


def add_account(conn: Connection, account_id: str = ACCOUNT) -> None:
    conn.execute(
        insert(schema.accounts).values(account_id=account_id, created_at=NOW, change_counter=0)
    )


def add_role(conn: Connection, name: str, account_id: str = ACCOUNT) -> str:
    role_id = "AROA" + secrets.token_hex(8).upper()
    conn.execute(
        insert(schema.roles).values(
            role_id=role_id,
            account_id=account_id,
            name=name,
            name_lower=name.lower(),
            path="/",
            arn=f"arn:aws:iam::{account_id}:role/{name}",
            assume_role_policy="{}",
            trust_principal_ids="{}",
            max_session_duration=3600,
            created_at=NOW,
        )
    )
    return role_id


def add_user(conn: Connection, name: str, account_id: str = ACCOUNT) -> str:
    user_id = "AIDA" + secrets.token_hex(8).upper()
    conn.execute(
        insert(schema.users).values(
            user_id=user_id,
            account_id=account_id,
            name=name,
            name_lower=name.lower(),
            path="/",
            arn=f"arn:aws:iam::{account_id}:user/{name}",
            created_at=NOW,
        )
    )
    return user_id


def add_policy(conn: Connection, name: str, account_id: str = ACCOUNT) -> str:
    policy_id = "ANPA" + secrets.token_hex(8).upper()
    conn.execute(
        insert(schema.managed_policies).values(
            policy_id=policy_id,
            account_id=account_id,
            name=name,
            name_lower=name.lower(),
            path="/",
            arn=f"arn:aws:iam::{account_id}:policy/{name}",
            default_version_id="v1",
            next_version_number=2,
            created_at=NOW,
            updated_at=NOW,
        )
    )
    conn.execute(
        insert(schema.policy_versions).values(
            policy_id=policy_id, version_id="v1", document="{}", is_default=True, created_at=NOW
        )
    )
    return policy_id


def add_version_if_room(conn: Connection, policy_id: str) -> str | None:
    """CreatePolicyVersion's storage step: lock the policy, count, insert. None when full."""
    mp, pv = schema.managed_policies, schema.policy_versions
    policy = lock_row(conn, mp, {"policy_id": policy_id})
    assert policy is not None
    count = conn.execute(
        select(func.count()).select_from(pv).where(pv.c.policy_id == policy_id)
    ).scalar_one()
    if count >= MAX_VERSIONS:
        return None
    version = f"v{policy.next_version_number}"
    conn.execute(
        insert(pv).values(
            policy_id=policy_id, version_id=version, document="{}", is_default=False, created_at=NOW
        )
    )
    conn.execute(
        update(mp)
        .where(mp.c.policy_id == policy_id)
        .values(next_version_number=policy.next_version_number + 1)
    )
    return version


def count_versions(conn: Connection, policy_id: str) -> int:
    pv = schema.policy_versions
    stmt = select(func.count()).select_from(pv).where(pv.c.policy_id == policy_id)
    return int(conn.execute(stmt).scalar_one())
