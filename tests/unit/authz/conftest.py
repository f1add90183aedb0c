"""A real SQLite store with one account, a user in two groups and a role, written row by row.

Rows are inserted with SQLAlchemy Core straight into the schema so that these tests depend
only on the tables, not on the IAM operations that normally write them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, insert, update

from iamd.model.caller import Caller, CallerKind, Session
from iamd.operations import RequestInfo
from iamd.store import schema
from iamd.store.db import Database, touch_account

ACCOUNT = "111122223333"
NOW = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
ALICE_ID = "AIDAALICEEXAMPLE00001"
ALICE_ARN = f"arn:aws:iam::{ACCOUNT}:user/staff/alice"
ROLE_ID = "AROAAPPEXAMPLE0000001"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/service/app"
INFO = RequestInfo(
    source_ip="10.0.0.7", secure_transport=True, user_agent="ua/1", region="us-east-1"
)


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: str | list[str], resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


class Rows:
    """Writes the rows a test needs; every write bumps the account's change counter."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._n = 0

    def _run(self, fn: Any) -> None:
        def go(conn: Connection) -> None:
            fn(conn)
            touch_account(conn, ACCOUNT)

        self.db.run(True, go)

    def user(self, user_id: str, name: str, path: str = "/", boundary: str | None = None) -> str:
        arn = f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
        self._run(
            lambda c: c.execute(
                insert(schema.users).values(
                    user_id=user_id, account_id=ACCOUNT, name=name, name_lower=name.lower(),
                    path=path, arn=arn, created_at=NOW, permissions_boundary_arn=boundary,
                )
            )
        )  # fmt: skip
        return arn

    def role(self, role_id: str, name: str, path: str = "/", boundary: str | None = None) -> str:
        arn = f"arn:aws:iam::{ACCOUNT}:role{path}{name}"
        self._run(
            lambda c: c.execute(
                insert(schema.roles).values(
                    role_id=role_id, account_id=ACCOUNT, name=name, name_lower=name.lower(),
                    path=path, arn=arn, assume_role_policy="{}", trust_principal_ids="{}",
                    max_session_duration=3600, created_at=NOW,
                    permissions_boundary_arn=boundary,
                )
            )
        )  # fmt: skip
        return arn

    def group(self, group_id: str, name: str, *members: str) -> None:
        def go(c: Connection) -> None:
            c.execute(
                insert(schema.groups).values(
                    group_id=group_id, account_id=ACCOUNT, name=name, name_lower=name.lower(),
                    path="/", arn=f"arn:aws:iam::{ACCOUNT}:group/{name}", created_at=NOW,
                )
            )  # fmt: skip
            for member in members:
                c.execute(insert(schema.group_members).values(group_id=group_id, user_id=member))

        self._run(go)

    def inline(self, kind: str, owner_id: str, name: str, text: str) -> None:
        self._run(
            lambda c: c.execute(
                insert(schema.inline_policies).values(
                    principal_type=kind, principal_id=owner_id, name=name, document=text
                )
            )
        )

    def managed(self, name: str, text: str, account: str = ACCOUNT) -> str:
        self._n += 1
        policy_id = f"ANPAEXAMPLE{self._n:010d}"
        arn = f"arn:aws:iam::{account}:policy/{name}"

        def go(c: Connection) -> None:
            c.execute(
                insert(schema.managed_policies).values(
                    policy_id=policy_id, account_id=account, name=name, name_lower=name.lower(),
                    path="/", arn=arn, default_version_id="v1", next_version_number=2,
                    created_at=NOW, updated_at=NOW,
                )
            )  # fmt: skip
            c.execute(
                insert(schema.policy_versions).values(
                    policy_id=policy_id, version_id="v1", document=text, is_default=True,
                    created_at=NOW,
                )
            )  # fmt: skip

        self._run(go)
        return arn

    def set_version(self, arn: str, text: str, *, touch: bool = True) -> None:
        def go(c: Connection) -> None:
            mp, pv = schema.managed_policies, schema.policy_versions
            policy_id = c.execute(mp.select().where(mp.c.arn == arn)).one().policy_id
            c.execute(update(pv).where(pv.c.policy_id == policy_id).values(document=text))
            if touch:
                touch_account(c, ACCOUNT)

        self.db.run(True, go)

    def attach(self, kind: str, owner_id: str, arn: str) -> None:
        self._run(
            lambda c: c.execute(
                insert(schema.policy_attachments).values(
                    account_id=ACCOUNT, principal_type=kind, principal_id=owner_id, policy_arn=arn
                )
            )
        )

    def tag(self, kind: str, owner_id: str, **tags: str) -> None:
        def go(c: Connection) -> None:
            for i, (key, value) in enumerate(tags.items()):
                c.execute(
                    insert(schema.tags).values(
                        resource_type=kind, resource_id=owner_id, key=key, key_lower=key.lower(),
                        value=value, position=i,
                    )
                )  # fmt: skip

        self._run(go)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'authz.sqlite3'}")
    database.create_schema()
    database.run(
        True,
        lambda c: c.execute(
            insert(schema.accounts).values(account_id=ACCOUNT, created_at=NOW, change_counter=0)
        ),
    )
    yield database
    database.dispose()


@pytest.fixture
def rows(db: Database) -> Rows:
    return Rows(db)


def user_caller(user_id: str = ALICE_ID, arn: str = ALICE_ARN) -> Caller:
    return Caller(
        kind=CallerKind.USER,
        account_id=ACCOUNT,
        arn=arn,
        user_id=user_id,
        access_key_id="AKIAEXAMPLE",
        name=arn.rsplit("/", 1)[1],
        entity_id=user_id,
    )


def role_caller(
    session_policies: tuple[str, ...] = (),
    tags: tuple[tuple[str, str], ...] = (),
    mfa: bool = False,
) -> Caller:
    return Caller(
        kind=CallerKind.ROLE_SESSION,
        account_id=ACCOUNT,
        arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/app/sess",
        user_id=f"{ROLE_ID}:sess",
        access_key_id="ASIAEXAMPLE",
        name="app",
        entity_id=ROLE_ID,
        role_arn=ROLE_ARN,
        session_name="sess",
        session=Session(
            issued_at=NOW - dt.timedelta(minutes=5),
            expires_at=NOW + dt.timedelta(hours=1),
            session_policies=session_policies,
            has_session_policy=bool(session_policies),
            tags=tags,
        ),
        mfa=mfa,
    )


def root_caller() -> Caller:
    return Caller(
        kind=CallerKind.ROOT,
        account_id=ACCOUNT,
        arn=f"arn:aws:iam::{ACCOUNT}:root",
        user_id=ACCOUNT,
        access_key_id="root-key",
    )
