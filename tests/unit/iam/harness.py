"""Direct calls of IAM operation handlers against a real SQLite store.

``Harness.call(caller, "CreateUser", {...})`` runs the registered handler in one write
transaction, as the server does (rolled back when it raises), with a fixed clock and
seeded randomness. Authorization is recorded, not enforced: ``authorized`` lists the
``(action, target)`` pairs the handler asked for, so tests can check the ARNs.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from iamd.clock import FixedClock
from iamd.config import Quotas, Settings
from iamd.model.arn import iam_arn, root_arn
from iamd.model.caller import Caller, CallerKind
from iamd.operations import OperationContext, Params, RequestInfo, Result, Target, lookup
from iamd.store import schema
from iamd.store.accounts import create_account
from iamd.store.db import Database, insert_ignore
from iamd.store.secrets import AesGcmBox

ACCOUNT = "123456789012"
OTHER_ACCOUNT = "210987654321"
START = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


MODULES = (
    "users",
    "groups",
    "access_keys",
    "managed_policies",
    "policy_versions",
    "user_policies",
    "group_policies",
    "account",
    "credential_report",
)


def load_operations() -> None:
    """Import the operation modules under test so each handler registers itself."""
    for name in MODULES:
        if importlib.util.find_spec(f"iamd.iam.{name}") is not None:
            importlib.import_module(f"iamd.iam.{name}")


def root(account: str = ACCOUNT) -> Caller:
    return Caller(CallerKind.ROOT, account, root_arn(account), account)


def as_user(account: str, name: str, user_id: str, path: str = "/") -> Caller:
    return Caller(
        CallerKind.USER,
        account,
        iam_arn(account, "user", path, name),
        user_id,
        name=name,
        entity_id=user_id,
    )


@dataclass
class Harness:
    db: Database
    settings: Settings
    clock: FixedClock
    box: AesGcmBox
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    authorized: list[tuple[str, Target, Mapping[str, object]]] = field(default_factory=list)

    def call(self, name: str, params: Params | None = None, caller: Caller | None = None) -> Result:
        op = lookup("iam", name)
        assert op is not None, f"iam:{name} is not registered"
        params = dict(params or {})
        with self.context(name, caller, write=not op.readonly) as ctx:
            target = op.target(ctx, params)
            context = op.request_context(ctx, params) if op.request_context else {}
            self.authorized.append((op.action, target, context))
            return op.handler(ctx, params)

    @contextmanager
    def context(
        self, action: str = "Test", caller: Caller | None = None, *, write: bool = True
    ) -> Iterator[OperationContext]:
        """An OperationContext inside one transaction (rolled back if the block raises)."""
        with self.db.transaction(write=write) as conn:
            yield OperationContext(
                request_id="req",
                service="iam",
                action=action,
                caller=caller or root(),
                db=conn,
                clock=self.clock,
                settings=self.settings,
                random=self.rng.randbytes,
                secrets=self.box,
                request=RequestInfo(),
                authorize=self._record,
                now=self.clock.now(),
            )

    def _record(
        self, action: str, target: Target, context: Mapping[str, object] | None = None
    ) -> None:
        self.authorized.append((action, target, context or {}))

    def last_target(self) -> Target:
        return self.authorized[-1][1]

    def seed_aws_policy(self, name: str, document: str) -> str:
        """An AWS managed policy, as the bootstrap seeds them."""
        arn = f"arn:aws:iam::aws:policy/{name}"
        with self.db.transaction() as conn:
            pid = "ANPA" + name.upper()[:17].ljust(17, "X")
            insert_ignore(
                conn,
                schema.managed_policies,
                {
                    "policy_id": pid,
                    "account_id": schema.AWS_MANAGED_ACCOUNT,
                    "name": name,
                    "name_lower": name.lower(),
                    "path": "/",
                    "arn": arn,
                    "description": None,
                    "default_version_id": "v1",
                    "next_version_number": 2,
                    "created_at": START,
                    "updated_at": START,
                },
            )
            insert_ignore(
                conn,
                schema.policy_versions,
                {
                    "policy_id": pid,
                    "version_id": "v1",
                    "document": document,
                    "is_default": True,
                    "created_at": START,
                },
            )
        return arn


def make_harness(tmp_path: Path, quotas: Quotas | None = None) -> Harness:
    load_operations()
    db = Database(f"sqlite:///{tmp_path / 'iamd.sqlite3'}")
    db.create_schema()
    with db.transaction() as conn:
        for account in (ACCOUNT, OTHER_ACCOUNT):
            create_account(conn, now=START, random_bytes=secrets.token_bytes, account_id=account)
    settings = Settings(data_dir=tmp_path, account_id=ACCOUNT, quotas=quotas or Quotas())
    return Harness(db, settings, FixedClock(START), AesGcmBox(secrets.token_bytes(32)))
